"""Mogan over a real, standalone Ironic (fake-hardware), through Mogan's HTTP API only.

Ironic is set up the way an operator would (nodes enrolled and made ``available`` over
Ironic's own API); everything Mogan does is asked of a real ``mogan serve`` process, and its
effect is read back from Ironic.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import conformance
from tests.functional.process import MoganProcess
from tests.harness import Api, fault_of, project
from tests.peers.ironic import IronicServer, expect

# Ironic decides what these tests check; Mogan's data paths under them run on both databases
# in tests/api. PostgreSQL, the database of a cloud that runs Ironic.
pytestmark = [pytest.mark.functional, pytest.mark.backends("postgresql")]

TENANT_B = project("tenant-b")


@pytest.fixture
def ironic(tmp_path: Path) -> Iterator[IronicServer]:
    server = IronicServer(tmp_path).start()
    yield server
    server.stop()


def serve_on(ironic: IronicServer, tmp_path: Path, url: str, **engine: Any) -> MoganProcess:
    return MoganProcess(
        tmp_path,
        url,
        DEFAULT={"enabled_drivers": "ironic"},
        ironic={
            "auth_type": "none",
            "endpoint_override": ironic.url,
            "poll_interval": 0.1,
            "deploy_timeout": 60,
            "status_code_retries": 0,
        },
        engine={"sync_inventory_interval": 0, **engine},
    ).start()


@pytest.fixture
def mogan(ironic: IronicServer, fresh_url: str, tmp_path: Path) -> Iterator[MoganProcess]:
    process = serve_on(ironic, tmp_path, fresh_url)
    yield process
    process.kill()


@pytest.fixture
def api(mogan: MoganProcess) -> Iterator[Api]:
    with conformance.client(mogan.url, timeout=60) as client:
        yield Api(client)


def sync(api: Api) -> dict[str, Any]:
    """A sync that succeeded, and what it did."""
    record = api.sync()
    assert record["result"] == "success", record
    return record


def settled(api: Api, uuid: str) -> bool:
    """No power change is pending on the instance."""
    return api.get(f"/v1/instances/{uuid}/states").json()["target_power_state"] is None


def setup_tenancy(api: Api, resource_class: str = "baremetal") -> tuple[dict, dict, dict]:
    trait = "CUSTOM_" + resource_class.upper().replace("-", "_")
    type_ = api.make_type(f"bm.{resource_class}", extra_specs={f"resources:{trait}": "1"})
    return type_, api.make_image(), api.make_network()


def nodes_of(api: Api, **filters: str) -> dict[str, dict[str, Any]]:
    response = api.admin.get("/v1/nodes", params={"driver": "ironic", **filters})
    assert response.status_code == 200, response.text
    return {n["uuid"]: n for n in response.json()["nodes"]}


def test_instances_live_their_whole_life_in_ironic(ironic: IronicServer, api: Api):
    enrolled = ironic.enrol(10, port_type="10GE", properties={"cpus": 8, "local_gb": 200})
    result = sync(api)
    assert sorted(result["added"]) == sorted(n["uuid"] for n in enrolled)
    assert result["orphans"] == []

    # Ironic's nodes are Mogan's, with their resource class, properties and ports.
    mirrored = nodes_of(api)
    assert set(mirrored) == {n["uuid"] for n in enrolled}
    first = mirrored[enrolled[0]["uuid"]]
    assert first["name"] == "ironic-node-000"
    assert first["resource_class"] == "baremetal"

    # Synced again with nothing changed in Ironic, nothing changes in Mogan.
    again = sync(api)
    assert (again["added"], again["updated"], again["removed"]) == ([], [], []), again
    assert first["properties"]["local_gb"] == 200
    assert first["provision_state"] == "available"
    assert [(n["mac_address"], n["port_type"]) for n in first["nics"]] == [
        ("52:54:01:00:00:00", "10GE")
    ]

    type_, image, network = setup_tenancy(api)
    created = [
        api.create(
            type_, image, [{"net_id": network["uuid"], "port_type": "10GE"}], name=f"web-{i}"
        ).json()
        for i in range(3)
    ]
    actives = [api.wait_status(c["uuid"], "active", timeout=60) for c in created]

    # Ironic shows each deployment, claimed with the instance's uuid.
    by_instance = {n["instance_uuid"]: n for n in ironic.nodes() if n["instance_uuid"]}
    assert set(by_instance) == {c["uuid"] for c in created}
    for active in actives:
        node = by_instance[active["uuid"]]
        assert node["provision_state"] == "active"
        assert node["instance_info"]["image_source"] == image["url"]
        assert node["instance_info"]["display_name"] == active["name"]
        assert node["instance_info"]["root_gb"] == "200"
        (port,) = active["network_info"].values()
        assert port["mac_address"] in [
            n["mac_address"] for n in nodes_of(api)[node["uuid"]]["nics"]
        ]
    # Ironic itself refuses a second claim of a node Mogan deployed.
    claimed = by_instance[created[0]["uuid"]]["uuid"]
    with ironic.api() as direct:
        refused = direct.patch(
            f"/v1/nodes/{claimed}",
            json=[{"op": "replace", "path": "/instance_uuid", "value": created[1]["uuid"]}],
        )
        assert refused.status_code == 409

    # Power goes through Ironic's power API and is observed from Ironic.
    target = created[0]["uuid"]
    node_uuid = by_instance[target]["uuid"]
    for action, observed in (("off", "power off"), ("on", "power on"), ("reboot", "power on")):
        response = api.put(f"/v1/instances/{target}/states/power", {"target": action})
        assert response.status_code == 202, response.text
        api.wait_for(
            target,
            lambda i, o=observed: i["power_state"] == o and settled(api, i["uuid"]),
            timeout=30,
            what=f"power {action}",
        )
        assert ironic.node(node_uuid)["power_state"] == observed

    # Delete: Ironic undeploys and the node is available again, for Mogan too.
    assert api.delete(f"/v1/instances/{target}").status_code == 204
    api.wait_gone(target, timeout=60)
    freed = ironic.node(node_uuid)
    assert freed["provision_state"] == "available"
    assert freed["instance_uuid"] is None
    assert freed["instance_info"] == {}
    # Mogan's node is ``cleaning`` until its clean has seen Ironic's cleaning end.
    deadline = time.monotonic() + 30
    while (state := nodes_of(api)[node_uuid]["provision_state"]) != "available":
        assert state == "cleaning"
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert nodes_of(api)[node_uuid]["instance_uuid"] is None

    # Seven nodes were free and one came back: eight more instances fit, the ninth does not.
    more = [
        api.create(type_, image, [{"net_id": network["uuid"]}], name=f"batch-{i}").json()["uuid"]
        for i in range(9)
    ]
    finals = [api.wait_for(u, lambda i: i["status"] in ("active", "error"), 60) for u in more]
    assert sorted(i["status"] for i in finals) == ["active"] * 8 + ["error"]
    assert all(n["provision_state"] == "active" for n in ironic.nodes())


def test_sync_follows_ironic(ironic: IronicServer, api: Api):
    enrolled = ironic.enrol(3)
    sync(api)
    a, b, c = (n["uuid"] for n in enrolled)
    with ironic.api() as direct:
        expect(direct.put(f"/v1/nodes/{a}/maintenance", json={"reason": "fan failure"}), 202)
        expect(direct.delete(f"/v1/nodes/{b}"), 204)
        ironic.move(direct, c, "manage", "manageable")
    (added,) = ironic.enrol(1, prefix="late")
    result = sync(api)
    assert result["added"] == [added["uuid"]]
    assert result["removed"] == [b]

    mirrored = nodes_of(api)
    assert set(mirrored) == {a, c, added["uuid"]}
    assert mirrored[a]["maintenance"] is True
    assert mirrored[a]["maintenance_reason"] == "Ironic: fan failure"
    assert mirrored[c]["provision_state"] == "manageable"

    # Only the available, non-maintenance node is schedulable.
    type_, image, network = setup_tenancy(api)
    first = api.create(type_, image, [{"net_id": network["uuid"]}], name="one").json()
    assert api.wait_status(first["uuid"], "active", 60)
    assert ironic.node(added["uuid"])["instance_uuid"] == first["uuid"]
    second = api.create(type_, image, [{"net_id": network["uuid"]}], name="two").json()
    failed = api.wait_status(second["uuid"], "error", 60)
    assert "No valid node" in failed["fault"]["message"]

    # Ironic lifts the maintenance: so does the next sync. A maintenance set in Mogan for
    # Mogan's own reason survives syncs.
    with ironic.api() as direct:
        expect(direct.delete(f"/v1/nodes/{a}/maintenance"), 202)
    sync(api)
    assert nodes_of(api)[a]["maintenance"] is False
    patched = api.admin.patch(
        f"/v1/nodes/{a}",
        [
            {"op": "replace", "path": "/maintenance", "value": True},
            {"op": "replace", "path": "/maintenance_reason", "value": "rack move"},
        ],
    )
    assert patched.status_code == 200, patched.text
    sync(api)
    assert nodes_of(api)[a]["maintenance_reason"] == "rack move"

    # Ownership and the failure domain property are Ironic's too.
    with ironic.api() as direct:
        expect(
            direct.patch(
                f"/v1/nodes/{c}",
                json=[
                    {"op": "add", "path": "/owner", "value": "team-x"},
                    {"op": "add", "path": "/lessee", "value": "team-y"},
                    {"op": "add", "path": "/properties/rack", "value": "r7"},
                ],
            ),
            200,
        )
    sync(api)
    owned = nodes_of(api)[c]
    assert (owned["owner"], owned["lessee"], owned["properties"]["rack"]) == (
        "team-x",
        "team-y",
        "r7",
    )


def test_nodes_of_ironic_are_not_enrolled_in_mogan(ironic: IronicServer, api: Api):
    response = api.admin.post(
        "/v1/nodes",
        {"name": "x", "driver": "ironic", "driver_info": {}, "nics": []},
    )
    assert response.status_code == 400
    assert "/v1/nodes/sync" in fault_of(response)["faultstring"]
    assert api.post("/v1/nodes/sync").status_code == 403  # a tenant may not


def test_deploy_failures_are_rescheduled_then_faulted(ironic: IronicServer, api: Api):
    # ``ramdisk`` deploys need a boot interface these nodes lack: Ironic's validation fails.
    broken = ironic.enrol(2, resource_class="flaky", deploy_interface="ramdisk", prefix="bad")
    sync(api)
    type_, image, network = setup_tenancy(api, "flaky")
    created = api.create(type_, image, [{"net_id": network["uuid"]}], name="doomed").json()
    failed = api.wait_status(created["uuid"], "error", 60)
    message = failed["fault"]["message"]
    assert "Deploy failed on 2 node(s)" in message or "2 node(s) already failed" in message
    assert "ramdisk_boot" in message  # Ironic's own words
    for node in broken:
        left = ironic.node(node["uuid"])
        assert left["provision_state"] == "available"
        assert left["instance_uuid"] is None
        assert left["instance_info"] == {}
        assert nodes_of(api)[node["uuid"]]["instance_uuid"] is None

    # With a good node among them, the reschedule lands there.
    (good,) = ironic.enrol(1, resource_class="flaky", prefix="good")
    sync(api)
    second = api.create(type_, image, [{"net_id": network["uuid"]}], name="lucky").json()
    api.wait_status(second["uuid"], "active", 60)
    assert ironic.node(good["uuid"])["instance_uuid"] == second["uuid"]


def test_ironic_stopping_leaves_no_orphan(ironic: IronicServer, api: Api):
    ironic.enrol(4)
    sync(api)
    type_, image, network = setup_tenancy(api)
    kept = api.create(type_, image, [{"net_id": network["uuid"]}], name="kept").json()
    api.wait_status(kept["uuid"], "active", 60)

    ironic.stop()
    power = api.put(f"/v1/instances/{kept['uuid']}/states/power", {"target": "off"})
    assert power.status_code == 202
    after_power = api.wait_for(
        kept["uuid"], lambda i: settled(api, i["uuid"]), 60, "power request to end"
    )
    assert after_power["status"] == "active"
    new = api.create(type_, image, [{"net_id": network["uuid"]}], name="new").json()
    failed = api.wait_status(new["uuid"], "error", 60)
    assert "unreachable" in failed["fault"]["message"]
    assert api.delete(f"/v1/instances/{kept['uuid']}").status_code == 204
    undeletable = api.wait_status(kept["uuid"], "error", 60)
    assert "unreachable" in undeletable["fault"]["message"]
    unreachable = api.sync()
    assert unreachable["result"] == "error" and "unreachable" in unreachable["message"]

    ironic.start()
    sync(api)
    # Every Ironic node that serves an instance serves one Mogan placed there.
    placed = {n["uuid"]: n["instance_uuid"] for n in nodes_of(api).values() if n["instance_uuid"]}
    for node in ironic.nodes():
        if node["instance_uuid"] is not None:
            assert placed.get(node["uuid"]) == node["instance_uuid"], node
    assert all(not n["maintenance"] for n in nodes_of(api).values())

    # Deleting again works now; Ironic ends with nothing deployed.
    for uuid in (kept["uuid"], new["uuid"]):
        assert api.delete(f"/v1/instances/{uuid}").status_code == 204
        api.wait_gone(uuid, timeout=60)
    assert all(
        n["provision_state"] == "available" and n["instance_uuid"] is None for n in ironic.nodes()
    )


def test_adopting_a_deployed_node(ironic: IronicServer, api: Api):
    nodes = ironic.enrol(2)
    running = nodes[0]["uuid"]
    with ironic.api() as direct:  # deployed outside Mogan, e.g. before Mogan existed
        expect(
            direct.patch(
                f"/v1/nodes/{running}",
                json=[{"op": "add", "path": "/instance_info/image_source", "value": "http://i/x"}],
            ),
            200,
        )
        ironic.move(direct, running, "active", "active")
    result = sync(api)
    assert [o["node_uuid"] for o in result["orphans"]] == [running]

    listed = api.admin.get("/v1/manageable_instances")
    assert listed.status_code == 200
    assert [m["node_uuid"] for m in listed.json()["manageable_instances"]] == [running]
    assert api.get("/v1/manageable_instances").status_code == 403

    type_, image, _ = setup_tenancy(api)
    body = {
        "name": "legacy-db",
        "node": "ironic-node-000",
        "project_id": "tenant-b",
        "instance_type_uuid": type_["uuid"],
        "image_uuid": image["uuid"],
    }
    adopted = api.admin.post("/v1/manageable_instances", body)
    assert adopted.status_code == 201, adopted.text
    instance = adopted.json()
    api.as_(TENANT_B).wait_status(instance["uuid"], "active", 60)
    assert ironic.node(running)["instance_uuid"] == instance["uuid"]
    assert ironic.node(running)["provision_state"] == "active"  # not redeployed
    assert [i["uuid"] for i in api.as_(TENANT_B).get("/v1/instances").json()["instances"]] == [
        instance["uuid"]
    ]
    assert api.get("/v1/instances").json()["instances"] == []

    # Neither twice, nor a node that is not deployed.
    again = api.admin.post("/v1/manageable_instances", {**body, "name": "again"})
    assert again.status_code == 409
    idle = api.admin.post(
        "/v1/manageable_instances", {**body, "name": "idle", "node": nodes[1]["uuid"]}
    )
    assert idle.status_code == 409
    assert "'available'" in fault_of(idle)["faultstring"]
    assert sync(api)["orphans"] == []

    # Deleting the adopted instance undeploys it in Ironic, like any other.
    assert api.as_(TENANT_B).delete(f"/v1/instances/{instance['uuid']}").status_code == 204
    api.as_(TENANT_B).wait_gone(instance["uuid"], timeout=60)
    assert ironic.node(running)["provision_state"] == "available"


def test_rebuild_is_ironics_own_on_the_same_node(ironic: IronicServer, api: Api):
    ironic.enrol(2, port_type="10GE")
    sync(api)
    type_, image, network = setup_tenancy(api)
    created = api.create(type_, image, [{"net_id": network["uuid"]}], name="db").json()
    active = api.wait_status(created["uuid"], "active", timeout=60)
    (node,) = [n for n in ironic.nodes() if n["instance_uuid"] == created["uuid"]]
    deployed_at = node["provision_updated_at"]

    newer = api.make_image("debian")
    response = api.put(
        f"/v1/instances/{created['uuid']}/states/provision",
        {"target": "rebuild", "image_uuid": newer["uuid"], "preserve_ephemeral": True},
    )
    assert response.status_code == 202, response.text
    rebuilt = api.wait_status(created["uuid"], "active", timeout=60)
    assert rebuilt["image_uuid"] == newer["uuid"]
    assert rebuilt["network_info"] == active["network_info"]
    after = ironic.node(node["uuid"])
    assert after["instance_uuid"] == created["uuid"]  # never released, never another node
    assert after["provision_state"] == "active"
    assert after["provision_updated_at"] != deployed_at  # Ironic went through a deploy again
    assert after["instance_info"]["image_source"] == newer["url"]
    assert after["instance_info"]["preserve_ephemeral"] is True

    # Ironic refusing (here: the node put in maintenance behind Mogan's back) is a fault on
    # an instance that keeps its node.
    with ironic.api() as direct:
        assert direct.put(f"/v1/nodes/{node['uuid']}/maintenance").status_code == 202
    assert (
        api.put(
            f"/v1/instances/{created['uuid']}/states/provision", {"target": "rebuild"}
        ).status_code
        == 202
    )
    failed = api.wait_status(created["uuid"], "error", timeout=60)
    assert "Rebuild of instance" in failed["fault"]["message"]
    assert ironic.node(node["uuid"])["instance_uuid"] == created["uuid"]
