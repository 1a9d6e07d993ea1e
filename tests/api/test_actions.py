"""The record of every action on an instance, as its owner and an operator read it."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from mogan.drivers.base import NodeRef
from mogan.engine.power_sync import sync_power_states
from tests.harness import Api, fault_of, project


def _net(fleet: dict[str, Any]) -> list[dict[str, str]]:
    return [{"net_id": fleet["network"]["uuid"]}]


def _request_id(response: httpx.Response) -> str:
    return response.headers["X-OpenStack-Request-Id"]


def _settled(api: Api, uuid: str, request_id: str) -> dict[str, Any]:
    """The action once its engine has finished it."""
    path = f"/v1/instances/{uuid}/actions/{request_id}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        action: dict[str, Any] = api.get(path).json()
        if action["finish_time"] is not None:
            return action
        time.sleep(0.05)
    raise AssertionError(f"action {request_id} of {uuid} still unfinished: {action}")


def test_every_request_that_changed_an_instance_is_on_record(api: Api, fleet):
    created = api.create(fleet["type"], fleet["image"], _net(fleet), name="web")
    uuid = created.json()["uuid"]
    api.wait_status(uuid, "active")
    asked = {"create": _request_id(created)}
    off = api.put(f"/v1/instances/{uuid}/states/power", {"target": "off"})
    asked["power_off"] = _request_id(off)
    _settled(api, uuid, asked["power_off"])
    renamed = api.patch(f"/v1/instances/{uuid}", [{"op": "replace", "path": "/name", "value": "w"}])
    asked["update"] = _request_id(renamed)
    asked["lock"] = _request_id(
        api.put(f"/v1/instances/{uuid}/states/lock", {"target": True, "reason": "audit"})
    )
    asked["unlock"] = _request_id(api.put(f"/v1/instances/{uuid}/states/lock", {"target": False}))
    api.get(f"/v1/instances/{uuid}")  # reading changes nothing, so is not on record

    listed = api.get(f"/v1/instances/{uuid}/actions")
    assert listed.status_code == 200, listed.text
    actions = listed.json()["actions"]
    assert [(a["action"], a["request_id"]) for a in actions] == [
        (name, asked[name]) for name in ("unlock", "lock", "update", "power_off", "create")
    ]
    for action in actions:
        assert action["instance_uuid"] == uuid
        assert (action["project_id"], action["user_id"]) == ("tenant-a", "tenant-a-user")
        assert action["result"] == "success" and action["finish_time"] >= action["start_time"]
    messages = {a["action"]: a["message"] for a in actions}
    assert messages["update"] == "Changed name."
    assert messages["lock"] == "audit"

    create = api.get(f"/v1/instances/{uuid}/actions/{asked['create']}").json()
    assert [(e["event"], e["result"]) for e in create["events"]] == [
        ("schedule", "success"),
        ("network", "success"),
        ("deploy", "success"),
    ]
    node = api.admin.get("/v1/nodes").json()["nodes"]
    (serving,) = [n for n in node if n["instance_uuid"] == uuid]
    created_host_id = api.get(f"/v1/instances/{uuid}").json()["host_id"]
    # The tenant reads where, as its host id; the operator reads the node's name.
    assert create["events"][0]["details"] == f"node host {created_host_id}"
    assert serving["name"] not in json.dumps(create)
    assert api.admin.get(f"/v1/instances/{uuid}/actions/{asked['create']}").json()["events"][0][
        "details"
    ] == (f"node {serving['name']}")
    port = next(iter(api.get(f"/v1/instances/{uuid}").json()["network_info"].values()))
    assert port["mac_address"] in create["events"][1]["details"]
    assert port["fixed_ips"][0]["ip_address"] in create["events"][1]["details"]
    assert all("host" not in e for e in create["events"])  # which engine: operators only
    seen_by_admin = api.admin.get(f"/v1/instances/{uuid}/actions/{asked['create']}").json()
    assert all(e["host"] for e in seen_by_admin["events"])

    power = api.get(f"/v1/instances/{uuid}/actions/{asked['power_off']}").json()
    assert [e["event"] for e in power["events"]] == ["power", "power_wait"]
    assert "'power off'" in power["events"][1]["details"]


def test_each_failed_try_is_an_event_and_the_action_says_why(api: Api, fleet):
    for node in fleet["nodes"]:
        response = api.admin.patch(
            f"/v1/nodes/{node['uuid']}",
            [{"op": "add", "path": "/driver_info/fake_fail_deploy", "value": True}],
        )
        assert response.status_code == 200
    created = api.create(fleet["type"], fleet["image"], _net(fleet))
    uuid = created.json()["uuid"]
    api.wait_status(uuid, "error")
    action = _settled(api, uuid, _request_id(created))
    assert action["result"] == "error"
    assert "Deploy failed on 3 node(s)" in action["message"]
    events = [(e["event"], e["result"]) for e in action["events"]]
    assert (
        events
        == [
            ("schedule", "success"),
            ("network", "success"),
            ("deploy", "error"),
            ("teardown", "success"),
        ]
        * 3
    )
    tried = {e["details"].split(":")[0] for e in action["events"] if e["event"] == "deploy"}
    assert len(tried) == 3  # three different nodes
    assert all("injected fault" in e["details"] for e in action["events"] if e["result"] == "error")
    assert "Traceback" not in str(action)


def test_the_record_outlives_the_instance_for_operators(api: Api, fleet):
    created = api.create(fleet["type"], fleet["image"], _net(fleet))
    uuid = created.json()["uuid"]
    api.wait_status(uuid, "active")
    deleted = api.delete(f"/v1/instances/{uuid}")
    api.wait_gone(uuid)

    assert api.get(f"/v1/instances/{uuid}/actions").status_code == 404
    gone = api.get(f"/v1/instances/{uuid}/actions/{_request_id(deleted)}")
    assert gone.status_code == 404
    assert uuid in fault_of(gone)["faultstring"]
    listed = api.admin.get(f"/v1/instances/{uuid}/actions").json()["actions"]
    assert [a["action"] for a in listed] == ["delete", "create"]
    delete = api.admin.get(f"/v1/instances/{uuid}/actions/{_request_id(deleted)}").json()
    assert delete["result"] == "success"
    assert delete["user_id"] == "tenant-a-user"
    assert [e["event"] for e in delete["events"]] == ["teardown", "release"]


def test_a_long_record_is_paged_newest_first(api: Api, fleet):
    created = api.create(fleet["type"], fleet["image"], _net(fleet))
    uuid = created.json()["uuid"]
    api.wait_status(uuid, "active")
    for index in range(7):
        api.patch(
            f"/v1/instances/{uuid}", [{"op": "replace", "path": "/name", "value": f"n{index}"}]
        )
    seen: list[str] = []
    url: str | None = f"/v1/instances/{uuid}/actions?limit=3"
    pages = 0
    while url:
        page = api.get(url)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["actions"]) <= 3
        seen += [a["action"] for a in body["actions"]]
        url = body.get("next")
        pages += 1
    assert seen == ["update"] * 7 + ["create"]
    assert pages == 3
    assert api.get(f"/v1/instances/{uuid}/actions?limit=0").status_code == 400
    assert api.get(f"/v1/instances/{uuid}/actions?limit=x").status_code == 400
    assert api.get(f"/v1/instances/{uuid}/actions?marker=req-nope").status_code == 400


def test_who_may_read_the_record(api: Api, fleet):
    created = api.create(fleet["type"], fleet["image"], _net(fleet))
    uuid = created.json()["uuid"]
    create = f"/v1/instances/{uuid}/actions/{_request_id(created)}"
    reader = api.as_(project("tenant-a", "reader"))
    assert reader.get(f"/v1/instances/{uuid}/actions").status_code == 200
    assert reader.get(create).status_code == 200
    stranger = api.as_(project("tenant-b"))
    assert stranger.get(f"/v1/instances/{uuid}/actions").status_code == 404
    assert stranger.get(create).status_code == 404
    assert Api(api.http, {"X-Roles": "admin"}).get(create).status_code == 400  # no project
    assert api.get(f"/v1/instances/{uuid}/actions/req-unknown").status_code == 404
    assert api.get("/v1/instances/not-a-uuid/actions").status_code == 404


def test_a_power_sync_correction_is_on_record(api: Api, mogan, fleet):
    created = api.create(fleet["type"], fleet["image"], _net(fleet))
    uuid = created.json()["uuid"]
    api.wait_status(uuid, "active")
    (node,) = [n for n in api.admin.get("/v1/nodes").json()["nodes"] if n["instance_uuid"] == uuid]
    mogan.drivers.get("fake").power.set_power_state(NodeRef(node["uuid"], node["name"], {}), "off")
    sync_power_states(mogan.db, mogan.drivers, workers=1)
    newest = api.get(f"/v1/instances/{uuid}/actions").json()["actions"][0]
    assert newest["action"] == "power_sync"
    assert newest["user_id"] is None and newest["project_id"] == "tenant-a"
    assert f"Node {node['name']} reports 'power off'" in newest["message"]
