"""Rescue on the fake driver: ``POST``/``DELETE /v1/instances/{id}/states/rescue``. The
simulated machine shows what a BMC would: the rescue image booted from the CD, the disk
untouched, and back. Ironic's own rescue is in ``tests/functional/test_ironic_lifecycle.py``."""

from __future__ import annotations

import hashlib
from typing import Any

from mogan.db.fake_hardware import DatabaseHardwareStore
from tests.harness import Api, fault_of, project


def _active(api: Api, fleet: dict[str, Any], **kwargs: Any) -> dict:
    created = api.create(
        fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}], **kwargs
    )
    assert created.status_code == 201, created.text
    return api.wait_status(created.json()["uuid"], "active")


def _node_of(api: Api, uuid: str) -> str:
    nodes = api.admin.get("/v1/nodes").json()["nodes"]
    return str(next(n["uuid"] for n in nodes if n["instance_uuid"] == uuid))


def _states(api: Api, uuid: str) -> dict:
    answer = api.get(f"/v1/instances/{uuid}/states")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_a_rescue_boots_the_rescue_system_with_the_password_and_the_disk_untouched(
    mogan, api: Api, fleet
):
    instance = _active(api, fleet)
    uuid = instance["uuid"]
    node = _node_of(api, uuid)
    machines = DatabaseHardwareStore(mogan.db)
    rescue_image = api.admin.post(
        "/v1/images",
        {"name": "rescue", "url": "http://images.example.com/rescue.iso", "disk_format": "iso"},
    ).json()

    asked = api.post(
        f"/v1/instances/{uuid}/states/rescue",
        {"rescue_password": "s3cret-rescue", "image_uuid": rescue_image["uuid"]},
    )
    assert asked.status_code == 202, asked.text
    assert asked.json() == {"rescue_password": "s3cret-rescue"}
    assert asked.headers["Location"].endswith(f"/v1/instances/{uuid}/states")
    assert _states(api, uuid)["target_status"] in ("rescue", None)
    rescued = api.wait_status(uuid, "rescue")
    assert rescued["power_state"] == "power on"
    assert _states(api, uuid) | {"power_state": None} == {
        "power_state": None,
        "target_power_state": None,
        "status": "rescue",
        "target_status": None,
    }
    machine = machines.load(node)
    assert machine.boot_device == "cd"
    assert machine.rescue_image_url == "http://images.example.com/rescue.iso"
    assert machine.rescue_password_sha256 == hashlib.sha256(b"s3cret-rescue").hexdigest()
    assert machine.disk_written_by == uuid and machine.deployed_instance == uuid
    assert "s3cret-rescue" not in api.get(f"/v1/instances/{uuid}").text

    # Rescued: no rebuild, no power change, no second rescue (409), as Nova.
    rebuild = api.put(f"/v1/instances/{uuid}/states/provision", {"target": "rebuild"})
    assert rebuild.status_code == 409, rebuild.text
    assert api.put(f"/v1/instances/{uuid}/states/power", {"target": "off"}).status_code == 409
    again = api.post(f"/v1/instances/{uuid}/states/rescue", {})
    assert again.status_code == 409 and "active" in fault_of(again)["faultstring"]

    back = api.delete(f"/v1/instances/{uuid}/states/rescue")
    assert back.status_code == 202, back.text
    active = api.wait_status(uuid, "active")
    assert active["power_state"] == "power on"
    machine = machines.load(node)
    assert (machine.boot_device, machine.rescue_image_url) == ("disk", None)
    assert machine.rescue_password_sha256 is None
    assert machines.calls(node)[-2:] == ["rescue", "unrescue"]
    assert api.delete(f"/v1/instances/{uuid}/states/rescue").status_code == 409  # not rescued

    history = api.get(f"/v1/instances/{uuid}/actions").json()["actions"]
    assert [a["action"] for a in history[:2]] == ["unrescue", "rescue"]
    rescue_action = api.get(f"/v1/instances/{uuid}/actions/{history[1]['request_id']}").json()
    assert [e["event"] for e in rescue_action["events"]] == ["rescue"]
    assert rescue_action["events"][0]["result"] == "success"


def test_a_rescue_without_a_password_gets_one_and_the_operation_forgets_it(mogan, api: Api, fleet):
    instance = _active(api, fleet)
    asked = api.post(f"/v1/instances/{instance['uuid']}/states/rescue", {})
    assert asked.status_code == 202, asked.text
    password = asked.json()["rescue_password"]
    assert len(password) == 16 and password.isalnum()
    api.wait_status(instance["uuid"], "rescue")
    machine = DatabaseHardwareStore(mogan.db).load(_node_of(api, instance["uuid"]))
    assert machine.rescue_password_sha256 == hashlib.sha256(password.encode()).hexdigest()
    assert machine.rescue_image_url == "fake://rescue"  # the driver's own rescue system
    # The password is nowhere in Mogan's database once the rescue ran.
    from sqlalchemy import text

    with mogan.db.read_rows() as connection:
        stored = connection.execute(text("SELECT state FROM operations")).scalars().all()
    assert stored and all(password not in str(state) for state in stored)


def test_a_failed_rescue_leaves_the_instance_active_on_its_disk_with_the_fault(
    mogan, api: Api, fleet
):
    instance = _active(api, fleet)
    uuid = instance["uuid"]
    node = _node_of(api, uuid)
    patched = api.admin.patch(
        f"/v1/nodes/{node}",
        [{"op": "add", "path": "/driver_info/fake_fail_rescue", "value": True}],
    )
    assert patched.status_code == 200, patched.text
    assert api.post(f"/v1/instances/{uuid}/states/rescue", {}).status_code == 202

    def failed(found: dict) -> bool:
        actions = api.get(f"/v1/instances/{uuid}/actions").json()["actions"]
        return (
            found["status"] == "active"
            and actions[0]["action"] == "rescue"
            and bool(
                api.get(f"/v1/instances/{uuid}/actions/{actions[0]['request_id']}").json()["events"]
            )
        )

    api.wait_for(uuid, failed, what="the failed rescue undone")
    machine = DatabaseHardwareStore(mogan.db).load(node)
    assert (machine.boot_device, machine.rescue_image_url) == ("disk", None)
    (latest, *_) = api.get(f"/v1/instances/{uuid}/actions").json()["actions"]
    detail = api.get(f"/v1/instances/{uuid}/actions/{latest['request_id']}").json()
    assert detail["message"] and "refused the rescue image" in detail["message"]
    assert "boots its disk" in detail["message"] or "own disk again" in detail["message"]
    assert [e["result"] for e in detail["events"]] == ["error"]
    assert "refused the rescue image" in api.admin.get(f"/v1/nodes/{node}").json()["last_error"]


def test_only_the_owning_member_rescues_and_never_a_locked_one(api: Api, fleet):
    instance = _active(api, fleet)
    uuid = instance["uuid"]
    path = f"/v1/instances/{uuid}/states/rescue"

    other = api.as_(project("tenant-b"))
    assert other.post(path, {}).status_code == 404
    assert other.delete(path).status_code == 404
    reader = api.as_(project("tenant-a", "reader"))
    assert reader.post(path, {}).status_code == 403
    assert reader.post(path, {"rescue_password": ""}).status_code == 403  # 403 before 400
    assert reader.delete(path).status_code == 403
    assert api.http.post(path, json={}).status_code == 401  # anonymous
    assert api.http.delete(path).status_code == 401

    for bad in (
        {"rescue_password": ""},
        {"rescue_password": "x" * 256},
        {"rescue_password": "line\nbreak"},
        {"image_uuid": "not-a-uuid"},
        {"rescue": {}},
    ):
        refused = api.post(path, bad)
        assert refused.status_code == 400, (bad, refused.text)
    missing = api.post(path, {"image_uuid": "6c5d2a4e-3b1f-4e8a-9c7d-1a2b3c4d5e6f"})
    assert missing.status_code == 400 and "'image_uuid'" in fault_of(missing)["faultstring"]
    assert api.get(f"/v1/instances/{uuid}").json()["status"] == "active"  # nothing changed

    locked = api.admin.put(f"/v1/instances/{uuid}/states/lock", {"target": True})
    assert locked.status_code == 200, locked.text
    refused = api.post(path, {})
    assert refused.status_code == 409 and "locked" in fault_of(refused)["faultstring"]
    # An administrator may (Nova's rule); the owner may not unrescue it either while locked.
    assert api.admin.post(path, {}).status_code == 202
    api.wait_status(uuid, "rescue")
    assert api.delete(path).status_code == 409
    assert api.admin.delete(path).status_code == 202
    api.wait_status(uuid, "active")


def test_a_rescued_instance_deletes_and_its_node_is_left_clean(mogan, api: Api, fleet):
    instance = _active(api, fleet)
    uuid = instance["uuid"]
    node = _node_of(api, uuid)
    assert api.post(f"/v1/instances/{uuid}/states/rescue", {}).status_code == 202
    api.wait_status(uuid, "rescue")
    assert api.delete(f"/v1/instances/{uuid}").status_code == 204
    api.wait_gone(uuid)
    machine = DatabaseHardwareStore(mogan.db).load(node)
    assert (machine.boot_device, machine.rescue_image_url) == ("disk", None)
