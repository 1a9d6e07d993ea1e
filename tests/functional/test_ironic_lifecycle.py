"""Inspection and cleaning of Ironic's nodes are Ironic's: a real Ironic (fake-hardware, its
fake inspect interface, automated cleaning on) behind a real ``mogan serve``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.functional.test_ironic import serve_on, setup_tenancy, sync
from tests.harness import Api
from tests.peers.ironic import IronicServer, expect

# Ironic inspects and cleans; Mogan's side of it runs on both databases in tests/api.
pytestmark = [pytest.mark.functional, pytest.mark.backends("sqlite")]


@pytest.fixture
def ironic(tmp_path: Path) -> Iterator[IronicServer]:
    server = IronicServer(tmp_path, automated_clean=True).start()
    yield server
    server.stop()


@pytest.fixture
def api(ironic: IronicServer, fresh_url: str, tmp_path: Path) -> Iterator[Api]:
    process = serve_on(ironic, tmp_path, fresh_url)
    with httpx.Client(base_url=process.url, timeout=60) as client:
        yield Api(client)
    process.kill()


def _history(api: Api, uuid: str) -> list[dict[str, Any]]:
    return list(api.admin.get(f"/v1/nodes/{uuid}/history").json()["history"])


def _finished(api: Api, uuid: str, action: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in _history(api, uuid):
            if entry["action"] == action and entry["result"] is not None:
                return entry
        time.sleep(0.1)
    raise AssertionError(f"no finished {action} of node {uuid}: {_history(api, uuid)}")


def test_ironic_inspects_and_cleans_its_nodes(ironic: IronicServer, api: Api):
    (node,) = ironic.enrol(1, properties={"cpus": 8, "memory_mb": 16384, "local_gb": 100})
    uuid = node["uuid"]
    sync(api)
    # Inspection: Ironic's manage → inspect → manageable → provide, then the sync.
    response = api.admin.post(f"/v1/nodes/{uuid}/inspect")
    assert response.status_code == 202, response.text
    inspected = _finished(api, uuid, "inspect")
    assert inspected["result"] == "success", inspected
    with ironic.api() as ironic_api:
        found = expect(ironic_api.get(f"/v1/nodes/{uuid}"), 200)
    assert found["inspection_finished_at"] is not None
    assert found["provision_state"] == "available"
    assert api.admin.get(f"/v1/nodes/{uuid}").json()["provision_state"] == "available"
    inventory = api.admin.get(f"/v1/nodes/{uuid}/inventory").json()["inventory"]
    assert inventory["raw"]["properties"]["memory_mb"] == 16384

    # Cleaning after a tear-down is Ironic's automated cleaning, waited for.
    cleans_before = _cleans_in_log(ironic, uuid)
    type_, image, network = setup_tenancy(api)
    created = api.create(type_, image, [{"net_id": network["uuid"]}])
    assert created.status_code == 201, created.text
    instance = created.json()["uuid"]
    api.wait_status(instance, "active", timeout=60)
    assert api.delete(f"/v1/instances/{instance}").status_code == 204
    api.wait_gone(instance, timeout=60)
    cleaned = _finished(api, uuid, "clean")
    assert cleaned["result"] == "success", cleaned
    assert [e["event"] for e in cleaned["events"]] == ["ironic_clean"]
    assert "automated cleaning" in cleaned["events"][0]["details"]
    sync(api)
    mogan_node = api.admin.get(f"/v1/nodes/{uuid}").json()
    assert (mogan_node["provision_state"], mogan_node["instance_uuid"]) == ("available", None)
    assert f'Node {uuid} moved to provision state "cleaning" from state "deleting"' in (
        ironic.log_path.read_text()
    )
    assert _cleans_in_log(ironic, uuid) == cleans_before + 1
    with ironic.api() as ironic_api:
        found = expect(ironic_api.get(f"/v1/nodes/{uuid}"), 200)
    assert (found["provision_state"], found["instance_uuid"]) == ("available", None)

    # An operator's clean of an idle node: manage → provide, which cleans again.
    response = api.admin.post(f"/v1/nodes/{uuid}/clean")
    assert response.status_code == 202, response.text
    deadline = time.monotonic() + 60
    while len([e for e in _history(api, uuid) if e["action"] == "clean"]) < 2 or any(
        e["result"] is None for e in _history(api, uuid)
    ):
        assert time.monotonic() < deadline, _history(api, uuid)
        time.sleep(0.1)
    latest = _history(api, uuid)[0]
    assert latest["result"] == "success" and "manage, provide" in latest["events"][0]["details"]
    assert _cleans_in_log(ironic, uuid) == cleans_before + 2


def _cleans_in_log(ironic: IronicServer, uuid: str) -> int:
    """How many cleans of the node Ironic's conductor completed."""
    return ironic.log_path.read_text().count(f"Node {uuid} cleaning complete")


def test_ironic_rescues_and_unrescues_its_node(ironic: IronicServer, api: Api):
    """Ironic's own rescue, as Nova's driver asks for it: the node really moves through
    ``rescuing`` to ``rescue`` (fake rescue interface), and back to ``active``. A node whose
    rescue interface cannot rescue is refused by Ironic: the instance stays active, the
    action says why, and the node is still ``active`` in Ironic."""
    (rescuable,) = ironic.enrol(1, rescue_interface="fake", prefix="rescuable")
    sync(api)
    type_, image, network = setup_tenancy(api)

    def on(node: dict[str, Any]) -> str:
        """An active instance on ``node``, the only free node of the fleet."""
        created = api.create(type_, image, [{"net_id": network["uuid"]}])
        assert created.status_code == 201, created.text
        uuid = str(created.json()["uuid"])
        api.wait_status(uuid, "active", timeout=60)
        assert ironic.node(node["uuid"])["instance_uuid"] == uuid
        return uuid

    uuid = on(rescuable)
    asked = api.post(f"/v1/instances/{uuid}/states/rescue", {"rescue_password": "r3scue-me"})
    assert asked.status_code == 202, asked.text
    api.wait_status(uuid, "rescue", timeout=60)
    found = ironic.node(rescuable["uuid"])
    assert (found["provision_state"], found["target_provision_state"]) == ("rescue", None)
    assert api.delete(f"/v1/instances/{uuid}/states/rescue").status_code == 202
    api.wait_status(uuid, "active", timeout=60)
    assert ironic.node(rescuable["uuid"])["provision_state"] == "active"
    with ironic.api() as ironic_api:
        history = expect(ironic_api.get(f"/v1/nodes/{rescuable['uuid']}/history"), 200)
    assert "r3scue-me" not in str(history)

    (unable,) = ironic.enrol(1, rescue_interface="no-rescue", prefix="unable")
    sync(api)
    refused_on = on(unable)
    assert api.post(f"/v1/instances/{refused_on}/states/rescue", {}).status_code == 202

    def undone(found: dict[str, Any]) -> bool:
        (latest, *_) = api.get(f"/v1/instances/{refused_on}/actions").json()["actions"]
        return (
            found["status"] == "active" and latest["action"] == "rescue" and bool(latest["message"])
        )

    api.wait_for(refused_on, undone, what="the refused rescue", timeout=60)
    (latest, *_) = api.get(f"/v1/instances/{refused_on}/actions").json()["actions"]
    assert "rescue" in latest["message"].lower() and "Ironic" in latest["message"]
    assert ironic.node(unable["uuid"])["provision_state"] == "active"


def test_a_console_asks_ironic_to_enable_the_nodes_console(ironic: IronicServer, api: Api):
    """Ironic's console is Ironic's: opening one sets ``console_enabled`` in Ironic, as Nova's
    driver does. The fake console interface gives no stream to relay (a real one,
    ipmitool-socat, gives ``tcp://``), so the WebSocket is closed saying so."""
    from websockets.exceptions import ConnectionClosed, InvalidStatus
    from websockets.sync.client import connect

    (node,) = ironic.enrol(1, console_interface="fake", prefix="with-console")
    sync(api)
    type_, image, network = setup_tenancy(api)
    created = api.create(type_, image, [{"net_id": network["uuid"]}])
    assert created.status_code == 201, created.text
    uuid = created.json()["uuid"]
    api.wait_status(uuid, "active", timeout=60)
    with ironic.api() as ironic_api:
        before = expect(ironic_api.get(f"/v1/nodes/{node['uuid']}/states/console"), 200)
    assert before["console_enabled"] is False

    opened = api.post(f"/v1/instances/{uuid}/remote_consoles", {"protocol": "serial"})
    assert opened.status_code == 200, opened.text
    url = opened.json()["remote_console"]["url"]
    try:
        with connect(url) as ws:
            ws.recv(timeout=30)
        raise AssertionError("a console Ironic gives no stream for was relayed")
    except (InvalidStatus, ConnectionClosed):
        pass  # refused: nothing to relay
    with ironic.api() as ironic_api:
        after = expect(ironic_api.get(f"/v1/nodes/{node['uuid']}/states/console"), 200)
    assert after["console_enabled"] is True


def test_ironic_node_traits_place_instances_and_reach_ironic_as_novas_do(
    ironic: IronicServer, api: Api
):
    """Traits are Ironic's (set there, synced); a type's ``trait:…=required`` picks the node
    and goes to Ironic in ``instance_info.traits``, which selects Ironic's deploy templates."""
    plain, raid = ironic.enrol(2, prefix="traits")
    with ironic.api() as ironic_api:
        expect(ironic_api.put(f"/v1/nodes/{raid['uuid']}/traits/CUSTOM_RAID10"), 204)
    sync(api)
    assert api.admin.get(f"/v1/nodes/{raid['uuid']}/traits").json()["traits"] == ["CUSTOM_RAID10"]
    refused = api.admin.put(f"/v1/nodes/{plain['uuid']}/traits/CUSTOM_RAID10")
    assert refused.status_code == 409, refused.text  # Ironic's to set
    _, image, network = setup_tenancy(api)
    raid10 = api.make_type("db.raid10", extra_specs={"trait:CUSTOM_RAID10": "required"})
    created = api.create(raid10, image, [{"net_id": network["uuid"]}])
    assert created.status_code == 201, created.text
    api.wait_status(created.json()["uuid"], "active", timeout=60)
    found = ironic.node(raid["uuid"])
    assert found["instance_uuid"] == created.json()["uuid"]
    assert found["instance_info"]["traits"] == ["CUSTOM_RAID10"]
    assert ironic.node(plain["uuid"])["instance_uuid"] is None
