"""Rebuild: a new image on the same node, keeping its ports and addresses."""

from __future__ import annotations

import base64
import json
from typing import Any

from mogan.db.fake_hardware import DatabaseHardwareStore
from tests.harness import Api, fault_of, project


def _active(api: Api, fleet: dict[str, Any], **extra: Any) -> dict[str, Any]:
    created = api.create(
        fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}], **extra
    )
    assert created.status_code == 201, created.text
    return api.wait_status(created.json()["uuid"], "active")


def _rebuild(caller: Api, uuid: str, **body: Any) -> Any:
    return caller.put(f"/v1/instances/{uuid}/states/provision", {"target": "rebuild", **body})


def _serving(api: Api, uuid: str) -> dict[str, Any]:
    (node,) = [n for n in api.admin.get("/v1/nodes").json()["nodes"] if n["instance_uuid"] == uuid]
    return node


def _machine(mogan: Any, node_uuid: str) -> Any:
    return DatabaseHardwareStore(mogan.db).load(node_uuid)


def test_a_rebuild_deploys_the_new_image_on_the_same_node_and_ports(api: Api, mogan, fleet):
    instance = _active(api, fleet, user_data=base64.b64encode(b"#!/bin/sh\necho hi\n").decode())
    uuid = instance["uuid"]
    node = _serving(api, uuid)
    newer = api.make_image("debian")
    answered = _rebuild(api, uuid, image_uuid=newer["uuid"])
    assert answered.status_code == 202, answered.text
    assert answered.headers["Location"].endswith(f"/v1/instances/{uuid}")
    rebuilt = api.wait_status(uuid, "active")
    assert rebuilt["image_uuid"] == newer["uuid"]
    assert rebuilt["network_info"] == instance["network_info"]
    assert rebuilt["launched_at"] > instance["launched_at"]
    assert _serving(api, uuid)["uuid"] == node["uuid"]
    machine = _machine(mogan, node["uuid"])
    assert machine.deployed_image_url == newer["url"]
    drive = {k: base64.b64decode(v) for k, v in machine.config_drive.items()}
    assert json.loads(drive["meta_data.json"])["uuid"] == uuid
    assert drive["user_data"] == b"#!/bin/sh\necho hi\n"

    action = api.get(f"/v1/instances/{uuid}/actions").json()["actions"][0]
    assert (action["action"], action["result"]) == ("rebuild", "success")
    events = api.get(f"/v1/instances/{uuid}/actions/{action['request_id']}").json()["events"]
    assert [e["event"] for e in events] == ["rebuild"]
    assert f"node host {rebuilt['host_id']}" in events[0]["details"]
    assert node["name"] not in events[0]["details"]

    # Without an image: the current one, again.
    assert _rebuild(api, uuid, preserve_ephemeral=True).status_code == 202
    assert api.wait_status(uuid, "active")["image_uuid"] == newer["uuid"]


def test_a_failed_rebuild_is_an_error_on_the_same_node(api: Api, fleet):
    before = _active(api, fleet)
    uuid = before["uuid"]
    node = _serving(api, uuid)
    patched = api.admin.patch(
        f"/v1/nodes/{node['uuid']}",
        [{"op": "add", "path": "/driver_info/fake_fail_deploy", "value": True}],
    )
    assert patched.status_code == 200
    assert _rebuild(api, uuid).status_code == 202
    failed = api.wait_status(uuid, "error")
    assert "injected fault" in failed["fault"]["message"]
    assert "Rebuild of instance" in failed["fault"]["message"]
    kept = _serving(api, uuid)
    assert kept["uuid"] == node["uuid"] and "injected fault" in kept["last_error"]
    assert failed["network_info"] == before["network_info"]  # ports and addresses kept
    ports = api.get(f"/v1/networks/{fleet['network']['uuid']}/ports").json()["ports"]
    assert [p["instance_uuid"] for p in ports] == [uuid]

    # The operator repairs the node; the tenant rebuilds from error.
    api.admin.patch(
        f"/v1/nodes/{node['uuid']}",
        [{"op": "remove", "path": "/driver_info/fake_fail_deploy"}],
    )
    assert _rebuild(api, uuid).status_code == 202
    rebuilt = api.wait_status(uuid, "active")
    assert "fault" not in rebuilt
    assert _serving(api, uuid)["uuid"] == node["uuid"]


def test_what_cannot_be_rebuilt_and_who_may_not(api: Api, fleet):
    uuid = _active(api, fleet)["uuid"]
    for body in (
        {"target": "rebuild", "image_uuid": "not-a-uuid"},
        {"target": "rebuilt"},
        {"target": "rebuild", "preserve_ephemeral": "yes"},
        {"target": "rebuild", "extra": 1},
    ):
        response = api.put(f"/v1/instances/{uuid}/states/provision", body)
        assert response.status_code == 400, (body, response.text)
    missing = _rebuild(api, uuid, image_uuid="0b5f8a4e-2d7c-4f3a-9e1b-6c8d7e9f0a12")
    assert missing.status_code == 400
    assert "image" in fault_of(missing)["faultstring"]

    reader = api.as_(project("tenant-a", "reader"))
    assert _rebuild(reader, uuid).status_code == 403
    assert reader.put(f"/v1/instances/{uuid}/states/provision", {"bad": 1}).status_code == 403
    assert _rebuild(api.as_(project("tenant-b")), uuid).status_code == 404
    assert _rebuild(Api(api.http, {"X-Roles": "member"}), uuid).status_code == 400  # no project

    assert api.put(f"/v1/instances/{uuid}/states/lock", {"target": True}).status_code == 200
    locked = _rebuild(api, uuid)
    assert locked.status_code == 409 and "locked" in fault_of(locked)["faultstring"]
    assert _rebuild(api.admin, uuid).status_code == 202  # an operator overrides the lock
    api.wait_status(uuid, "active")
    assert api.get(f"/v1/instances/{uuid}").json()["status"] == "active"

    for node in fleet["nodes"]:
        api.admin.patch(
            f"/v1/nodes/{node['uuid']}",
            [{"op": "add", "path": "/driver_info/fake_fail_deploy", "value": True}],
        )
    unbuilt = api.create(fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}])
    failed = api.wait_status(unbuilt.json()["uuid"], "error")
    refused = _rebuild(api, failed["uuid"])
    assert refused.status_code == 409
    assert "without a node" in fault_of(refused)["faultstring"]
