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
