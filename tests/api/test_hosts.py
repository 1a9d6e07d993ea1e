"""Tenants never learn the fleet: their instances' faults and history name no node and no URL
of the operator's, only an opaque host id; operators see the nodes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tests.harness import Api


def _host_id(project_id: str, node: dict[str, Any]) -> str:
    """Nova's hostId: what the project may compare, and nobody can reverse."""
    return hashlib.sha224(f"{project_id}{node['uuid']}".encode()).hexdigest()


def _failed(api: Api, fleet: dict[str, Any]) -> str:
    for node in fleet["nodes"]:
        response = api.admin.patch(
            f"/v1/nodes/{node['uuid']}",
            [{"op": "add", "path": "/driver_info/fake_fail_deploy", "value": True}],
        )
        assert response.status_code == 200, response.text
    created = api.create(fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}])
    assert created.status_code == 201, created.text
    return str(api.wait_status(created.json()["uuid"], "error", timeout=30)["uuid"])


def _everything_a_caller_reads(caller: Api, uuid: str) -> str:
    shown = [caller.get(f"/v1/instances/{uuid}").json()]
    shown.append(caller.get("/v1/instances/detail").json())
    actions = caller.get(f"/v1/instances/{uuid}/actions").json()["actions"]
    shown += [caller.get(f"/v1/instances/{uuid}/actions/{a['request_id']}").json() for a in actions]
    shown.append(actions)
    return json.dumps(shown)


def test_a_tenant_reads_host_ids_where_an_operator_reads_node_names(api: Api, fleet):
    uuid = _failed(api, fleet)
    tenant_view = _everything_a_caller_reads(api, uuid)
    for node in fleet["nodes"]:
        assert node["name"] not in tenant_view and node["uuid"] not in tenant_view
    assert "http://img/u.qcow2" not in tenant_view  # the image's location is the operator's
    tried = [n for n in fleet["nodes"] if f"host {_host_id('tenant-a', n)}" in tenant_view]
    assert tried, tenant_view  # the fault and the events say where, in the tenant's terms
    assert "\u27e6" not in tenant_view  # no raw mention ever shows

    operator_view = _everything_a_caller_reads(api.admin, uuid)
    assert any(n["name"] in operator_view for n in fleet["nodes"])
    assert "\u27e6" not in operator_view


def test_an_instance_shows_its_host_id_to_its_project(api: Api, fleet):
    created = api.create(fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}])
    active = api.wait_status(created.json()["uuid"], "active")
    node = next(
        n
        for n in api.admin.get("/v1/nodes").json()["nodes"]
        if n["instance_uuid"] == active["uuid"]
    )
    expected = hashlib.sha224(f"tenant-a{node['uuid']}".encode()).hexdigest()
    assert active["host_id"] == expected
