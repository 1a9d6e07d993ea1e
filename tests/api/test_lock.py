"""Locking an instance: what its owner, a reader, another tenant and an operator may do."""

from __future__ import annotations

from typing import Any

from tests.harness import Api, fault_of, project


def _active(api: Api, fleet: dict[str, Any]) -> str:
    created = api.create(fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}])
    assert created.status_code == 201, created.text
    return str(api.wait_status(created.json()["uuid"], "active")["uuid"])


def _lock(caller: Api, uuid: str, target: bool, reason: str | None = None) -> Any:
    body: dict[str, Any] = {"target": target}
    if reason is not None:
        body["reason"] = reason
    return caller.put(f"/v1/instances/{uuid}/states/lock", body)


def test_a_locked_instance_refuses_its_owner_until_unlocked(api: Api, fleet):
    uuid = _active(api, fleet)
    locked = _lock(api, uuid, True, "payroll run")
    assert locked.status_code == 200, locked.text
    assert (locked.json()["locked"], locked.json()["locked_reason"]) == (True, "payroll run")
    shown = api.get(f"/v1/instances/{uuid}").json()
    assert (shown["locked"], shown["locked_by"], shown["locked_reason"]) == (
        True,
        "owner",
        "payroll run",
    )
    for response in (
        api.put(f"/v1/instances/{uuid}/states/power", {"target": "off"}),
        api.patch(f"/v1/instances/{uuid}", [{"op": "replace", "path": "/name", "value": "x"}]),
        api.delete(f"/v1/instances/{uuid}"),
    ):
        assert response.status_code == 409, response.text
        assert "locked (payroll run)" in fault_of(response)["faultstring"]
    assert api.get(f"/v1/instances/{uuid}").json()["status"] == "active"
    assert _lock(api, uuid, False).json()["locked"] is False
    assert api.put(f"/v1/instances/{uuid}/states/power", {"target": "off"}).status_code == 202


def test_an_operator_overrides_a_lock_and_its_own_lock_binds_the_owner(api: Api, fleet):
    uuid = _active(api, fleet)
    assert _lock(api, uuid, True).status_code == 200
    assert api.admin.put(f"/v1/instances/{uuid}/states/power", {"target": "off"}).status_code == 202
    assert _lock(api, uuid, False).status_code == 200
    assert _lock(api.admin, uuid, True, "legal hold").status_code == 200
    refused = _lock(api, uuid, False)
    assert refused.status_code == 409
    assert "locked by an administrator (legal hold)" in fault_of(refused)["faultstring"]
    assert api.get(f"/v1/instances/{uuid}").json()["locked_by"] == "admin"
    # The administrator's lock holds against every change by the owner: its reason, the tags.
    assert _lock(api, uuid, True, "mine now").status_code == 409
    assert api.get(f"/v1/instances/{uuid}").json()["locked_reason"] == "legal hold"
    for response in (
        api.put(f"/v1/instances/{uuid}/tags/mine"),
        api.put(f"/v1/instances/{uuid}/tags", {"tags": ["mine"]}),
        api.delete(f"/v1/instances/{uuid}/tags"),
    ):
        assert response.status_code == 409, response.text
        assert "locked by an administrator" in fault_of(response)["faultstring"]
    assert api.get(f"/v1/instances/{uuid}/tags").json()["tags"] == []
    assert _lock(api, uuid, False).status_code == 409
    assert api.admin.put(f"/v1/instances/{uuid}/tags/held").status_code == 201
    assert _lock(api.admin, uuid, False).status_code == 200
    assert api.get(f"/v1/instances/{uuid}").json()["locked"] is False


def test_readers_strangers_and_bad_bodies(api: Api, fleet):
    uuid = _active(api, fleet)
    reader = api.as_(project("tenant-a", "reader"))
    assert _lock(reader, uuid, True).status_code == 403
    assert reader.put(f"/v1/instances/{uuid}/states/lock", {"target": "yes"}).status_code == 403
    assert _lock(api.as_(project("tenant-b")), uuid, True).status_code == 404
    for body in ({"target": "yes"}, {}, {"target": True, "reason": "r" * 256}, {"x": 1}):
        assert api.put(f"/v1/instances/{uuid}/states/lock", body).status_code == 400
    assert api.get(f"/v1/instances/{uuid}").json()["locked"] is False
