"""The node's own life, through the API with the fake driver: cleaning between tenants,
inspection, maintenance, and who may ask for them."""

from __future__ import annotations

import time
from typing import Any

import pytest

from mogan.db.fake_hardware import DatabaseHardwareStore
from tests.harness import Api, fault_of, project

INVENTORY = {
    "cpus": 48,
    "cpu_arch": "x86_64",
    "cpu_model": "AMD EPYC 7443",
    "memory_mb": 196608,
    "disks": [
        {"name": "sdb", "size_gb": 960, "type": "ssd", "serial": "S2"},
        {"name": "sda", "size_gb": 240, "type": "ssd", "serial": "S1"},
        {"name": "sdc", "size_gb": 1, "type": "hdd", "serial": "tiny"},
    ],
    "nics": [
        {"mac_address": "52:54:00:ee:00:01", "speed_mbps": 25000},
        {"mac_address": "52:54:00:ee:00:02", "speed_mbps": 1000},
    ],
}


def _node(api: Api, ident: str) -> dict[str, Any]:
    response = api.admin.get(f"/v1/nodes/{ident}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def _wait_node(api: Api, ident: str, state: str, timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    node = _node(api, ident)
    while time.monotonic() < deadline:
        node = _node(api, ident)
        if node["provision_state"] == state:
            return node
        time.sleep(0.05)
    raise AssertionError(f"node {ident} not {state!r} in {timeout}s: {node}")


def _serve(api: Api, fleet: dict[str, Any], name: str = "server") -> str:
    response = api.create(
        fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}], name=name
    )
    assert response.status_code == 201, response.text
    uuid = str(response.json()["uuid"])
    api.wait_for(uuid, lambda i: i["status"] in ("active", "error"))
    return uuid


@pytest.fixture
def one_node(api: Api) -> dict[str, Any]:
    """A single node (cleaning for two seconds: long enough for a create to find it busy
    on a loaded machine), a type, an image and a network."""
    node = api.enrol("solo", driver_info={"fake_clean_latency": 2})
    return {
        "node": node,
        "type": api.make_type(),
        "image": api.make_image(),
        "network": api.make_network(),
    }


def test_a_node_is_cleaned_between_tenants_and_never_handed_out_before(api: Api, mogan, one_node):
    node = one_node["node"]
    assert node["provision_state"] == "available"
    first = _serve(api, one_node, "first")
    assert _node(api, node["uuid"])["provision_state"] == "active"
    machines = DatabaseHardwareStore(mogan.db)
    assert machines.load(node["uuid"]).disk_written_by == first
    assert api.delete(f"/v1/instances/{first}").status_code == 204
    api.wait_gone(first)
    # Gone from the tenant's view at once; the node is cleaning and nobody gets it meanwhile.
    assert _node(api, node["uuid"])["provision_state"] == "cleaning"
    other = api.as_(project("tenant-b"))
    early = _serve(other, one_node, "too-early")
    assert other.get(f"/v1/instances/{early}").json()["status"] == "error"
    cleaned = _wait_node(api, node["uuid"], "available")
    assert cleaned["instance_uuid"] is None and not cleaned["maintenance"]
    machine = machines.load(node["uuid"])
    assert (machine.disk_written_by, machine.cleanings, machine.last_clean_mode) == (
        None,
        1,
        "metadata",
    )
    # The next tenant gets wiped disks.
    second = _serve(other, one_node, "second")
    assert other.get(f"/v1/instances/{second}").json()["status"] == "active"
    # The node's history tells the operator what was done.
    history = api.admin.get(f"/v1/nodes/{node['uuid']}/history").json()["history"]
    clean = next(entry for entry in history if entry["action"] == "clean")
    assert clean["result"] == "success" and clean["message"] == "metadata clean"
    assert [e["event"] for e in clean["events"]] == ["erase_volumes"]
    assert first in clean["events"][0]["details"]
    assert clean["events"][0]["host"]


def test_a_failed_clean_ends_in_maintenance_until_an_operator_acts(api: Api, mogan, one_node):
    node = one_node["node"]
    fail = [{"op": "add", "path": "/driver_info/fake_fail_clean", "value": True}]
    assert api.admin.patch(f"/v1/nodes/{node['uuid']}", fail).status_code == 200
    first = _serve(api, one_node, "first")
    assert api.delete(f"/v1/instances/{first}").status_code == 204
    api.wait_gone(first)  # the tenant's delete succeeds whatever the clean does
    failed = _wait_node(api, node["uuid"], "clean failed")
    assert failed["maintenance"] is True
    assert "refused to delete volume" in failed["maintenance_reason"]
    assert failed["last_error"] == failed["maintenance_reason"]
    # Never reused: the next instance finds no node.
    later = _serve(api, one_node, "later")
    assert api.get(f"/v1/instances/{later}").json()["status"] == "error"
    assert DatabaseHardwareStore(mogan.db).load(node["uuid"]).disk_written_by == first
    # The operator mends the BMC and lifts the maintenance: the node is cleaned again.
    mend = [{"op": "remove", "path": "/driver_info/fake_fail_clean"}]
    assert api.admin.patch(f"/v1/nodes/{node['uuid']}", mend).status_code == 200
    assert api.admin.delete(f"/v1/nodes/{node['uuid']}/maintenance").status_code == 202
    assert _node(api, node["uuid"])["provision_state"] == "cleaning"
    mended = _wait_node(api, node["uuid"], "available")
    assert (mended["maintenance"], mended["maintenance_reason"], mended["last_error"]) == (
        False,
        None,
        None,
    )
    assert DatabaseHardwareStore(mogan.db).load(node["uuid"]).disk_written_by is None


def test_mode_none_reuses_a_node_at_once(mogan_factory, api_for):
    api = api_for(mogan_factory(cleaning__mode="none"))
    node = api.enrol("solo")
    fleet = {"type": api.make_type(), "image": api.make_image(), "network": api.make_network()}
    first = _serve(api, fleet, "first")
    assert api.delete(f"/v1/instances/{first}").status_code == 204
    api.wait_gone(first)
    assert _node(api, node["uuid"])["provision_state"] == "available"
    history = api.admin.get(f"/v1/nodes/{node['uuid']}/history").json()["history"]
    assert [entry["action"] for entry in history] == ["verify"]  # its enrolment's; no clean


def test_a_node_may_choose_its_own_mode(api: Api, mogan, one_node):
    node = one_node["node"]
    own = [{"op": "add", "path": "/driver_info/cleaning_mode", "value": "full"}]
    assert api.admin.patch(f"/v1/nodes/{node['uuid']}", own).status_code == 200
    first = _serve(api, one_node)
    assert api.delete(f"/v1/instances/{first}").status_code == 204
    _wait_node(api, node["uuid"], "available")
    assert DatabaseHardwareStore(mogan.db).load(node["uuid"]).last_clean_mode == "full"
    bad = [{"op": "replace", "path": "/driver_info/cleaning_mode", "value": "shred"}]
    response = api.admin.patch(f"/v1/nodes/{node['uuid']}", bad)
    assert response.status_code == 400
    assert "cleaning_mode" in fault_of(response)["faultstring"]


def test_an_operator_cleans_an_idle_node(api: Api, mogan, one_node):
    node = one_node["node"]
    response = api.admin.post(f"/v1/nodes/{node['name']}/clean", {"mode": "full"})
    assert response.status_code == 202, response.text
    assert response.json()["provision_state"] == "cleaning"
    again = api.admin.post(f"/v1/nodes/{node['name']}/clean")
    assert again.status_code == 409
    assert "'cleaning'" in fault_of(again)["faultstring"]
    _wait_node(api, node["uuid"], "available")
    assert DatabaseHardwareStore(mogan.db).load(node["uuid"]).last_clean_mode == "full"
    history = api.admin.get(f"/v1/nodes/{node['uuid']}/history").json()["history"]
    assert history[0]["user_id"] == "admin-user" or history[0]["user_id"]
    assert [e["event"] for e in history[0]["events"]] == ["erase_volumes", "erase_disks"]


def test_a_serving_node_is_neither_inspected_nor_cleaned(api: Api, one_node):
    node = one_node["node"]
    serving = _serve(api, one_node)
    for verb in ("inspect", "clean"):
        response = api.admin.post(f"/v1/nodes/{node['uuid']}/{verb}")
        assert response.status_code == 409, response.text
        assert serving in fault_of(response)["faultstring"]
    assert _node(api, node["uuid"])["provision_state"] == "active"
    bad = api.admin.post(f"/v1/nodes/{node['uuid']}/clean", {"mode": "shred"})
    assert bad.status_code == 400
    assert api.admin.post("/v1/nodes/no-such-node/inspect").status_code == 404


def test_inspection_fills_properties_and_nics(mogan_factory, api_for):
    api = api_for(mogan_factory(inspection__port_type_by_speed="25000:25GE,1000:1GE"))
    body = {
        "name": "inspected",
        "driver": "fake",
        "driver_info": {"fake_inventory": INVENTORY, "fake_inspect_latency": 0.3},
        "nics": [{"mac_address": "52:54:00:ee:00:01", "port_type": "physnet-a"}],
        "inspect": True,
    }
    created = api.admin.post("/v1/nodes", body)
    assert created.status_code == 201, created.text
    assert created.json()["provision_state"] == "verifying"  # then inspecting
    node = _wait_node(api, "inspected", "available")
    history = api.admin.get("/v1/nodes/inspected/history").json()["history"]
    assert [(h["action"], h["result"]) for h in history] == [
        ("inspect", "success"),
        ("verify", "success"),
    ]
    properties = node["properties"]
    assert {k: properties[k] for k in ("cpus", "cpu_arch", "cpu_model", "memory_mb")} == {
        "cpus": 48,
        "cpu_arch": "x86_64",
        "cpu_model": "AMD EPYC 7443",
        "memory_mb": 196608,
    }
    # The root device is the smallest disk big enough to be one, less 1 GiB to partition.
    assert properties["local_gb"] == 239
    assert [d["name"] for d in properties["disks"]] == ["sdb", "sda", "sdc"]
    nics = {nic["mac_address"]: nic for nic in node["nics"]}
    # The enrolled NIC keeps the port type its operator gave; the new one is typed by speed.
    assert (nics["52:54:00:ee:00:01"]["port_type"], nics["52:54:00:ee:00:01"]["speed_mbps"]) == (
        "physnet-a",
        25000,
    )
    assert (nics["52:54:00:ee:00:02"]["port_type"], nics["52:54:00:ee:00:02"]["speed_mbps"]) == (
        "1GE",
        1000,
    )
    inventory = api.admin.get("/v1/nodes/inspected/inventory").json()
    assert inventory["inventory"]["raw"] == INVENTORY and inventory["inspected_at"]

    # A value set by hand survives the next inspection; overwrite replaces it.
    mine = [{"op": "replace", "path": "/properties/cpus", "value": 40}]
    assert api.admin.patch("/v1/nodes/inspected", mine).status_code == 200
    assert api.admin.post("/v1/nodes/inspected/inspect").status_code == 202
    again = _wait_node(api, "inspected", "available")
    assert again["properties"]["cpus"] == 40
    history = api.admin.get("/v1/nodes/inspected/history").json()["history"]
    assert "kept as set by hand: cpus" in history[0]["events"][0]["details"]
    overwrite = api.admin.post("/v1/nodes/inspected/inspect", {"overwrite": True})
    assert overwrite.status_code == 202
    replaced = _wait_node(api, "inspected", "available")
    assert replaced["properties"]["cpus"] == 48
    assert {n["mac_address"]: n["port_type"] for n in replaced["nics"]} == {
        "52:54:00:ee:00:01": "25GE",
        "52:54:00:ee:00:02": "1GE",
    }


def test_an_inspecting_node_is_not_scheduled_and_a_failed_one_waits_for_an_operator(api: Api):
    fleet = {"type": api.make_type(), "image": api.make_image(), "network": api.make_network()}
    body = {
        "name": "broken",
        "driver": "fake",
        "driver_info": {"fake_fail_inspect": True, "fake_inspect_latency": 2},
        "nics": [{"mac_address": "52:54:00:ee:01:01"}],
        "inspect": True,
    }
    assert api.admin.post("/v1/nodes", body).status_code == 201
    early = _serve(api, fleet, "early")
    assert api.get(f"/v1/instances/{early}").json()["status"] == "error"
    failed = _wait_node(api, "broken", "inspect failed")
    assert failed["maintenance"] and "Inspection of node broken failed" in failed["last_error"]
    assert api.admin.get("/v1/nodes/broken/inventory").status_code == 409  # none yet
    # The operator lifts the maintenance: the node is theirs as they typed it.
    assert api.admin.delete("/v1/nodes/broken/maintenance").status_code == 202
    assert _node(api, "broken")["provision_state"] == "available"
    later = _serve(api, fleet, "later")
    assert api.get(f"/v1/instances/{later}").json()["status"] == "active"


def test_maintenance_set_and_unset_as_ironic_spells_them(api: Api, one_node):
    node = one_node["node"]
    path = f"/v1/nodes/{node['uuid']}/maintenance"
    assert api.admin.put(path, {"reason": "replacing a DIMM"}).status_code == 202
    held = _node(api, node["uuid"])
    assert (held["maintenance"], held["maintenance_reason"]) == (True, "replacing a DIMM")
    refused = _serve(api, one_node)
    assert api.get(f"/v1/instances/{refused}").json()["status"] == "error"
    assert api.admin.delete(path).status_code == 202
    assert _node(api, node["uuid"])["maintenance"] is False
    assert api.admin.put(path, {"reason": "x" * 5000}).status_code == 400


def test_only_operators_inspect_clean_and_read_node_lifecycles(api: Api, one_node):
    node = one_node["node"]["uuid"]
    member = api
    reader = api.as_(project("tenant-a", "reader"))
    anonymous = Api(api.http, {"X-Roles": "member"})  # no project: noauth refuses the caller
    calls = [
        ("POST", f"/v1/nodes/{node}/inspect", {"overwrite": "not-a-bool"}),
        ("POST", f"/v1/nodes/{node}/clean", {"mode": "shred"}),
        ("PUT", f"/v1/nodes/{node}/maintenance", {"reason": 5}),
        ("DELETE", f"/v1/nodes/{node}/maintenance", None),
        ("GET", f"/v1/nodes/{node}/inventory", None),
        ("GET", f"/v1/nodes/{node}/history", None),
    ]
    for method, path, body in calls:
        for caller in (member, reader):
            response = caller.request(method, path, json=body)
            assert response.status_code == 403, (method, path, response.text)
        assert anonymous.request(method, path, json=body).status_code == 400
    # Nothing changed.
    assert _node(api, node)["provision_state"] == "available"
    assert not _node(api, node)["maintenance"]
