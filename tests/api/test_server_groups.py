"""Server groups and scheduler hints: where a tenant's instances go relative to each other."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mogan.root import Mogan
from tests.harness import Api, ThreadedServer, fault_of, project


@pytest.fixture
def mogan(mogan_factory: Any) -> Mogan:
    return mogan_factory(scheduler__failure_domain="rack")


@pytest.fixture
def api(mogan: Mogan) -> Iterator[Api]:
    with (
        ThreadedServer(mogan.app) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        yield Api(client)


@pytest.fixture
def racks(api: Api) -> dict[str, Any]:
    """Three racks of two nodes each (``rack`` is the failure domain), a type, an image, a
    network."""
    for rack in ("r1", "r2", "r3"):
        for index in range(2):
            node = api.enrol(f"{rack}-n{index}")
            patched = api.admin.patch(
                f"/v1/nodes/{node['uuid']}",
                [{"op": "add", "path": "/properties/rack", "value": rack}],
            )
            assert patched.status_code == 200, patched.text
    return {"type": api.make_type(), "image": api.make_image(), "network": api.make_network()}


def _group(api: Api, policy: str, **rules: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": policy, "policy": policy}
    if rules:
        body["rules"] = rules
    response = api.post("/v1/server_groups", body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _create(api: Api, fleet: dict[str, Any], **extra: Any) -> Any:
    return api.create(
        fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}], **extra
    )


def _rack_of(api: Api, uuid: str) -> str:
    nodes = api.admin.get("/v1/nodes").json()["nodes"]
    return next(n["properties"]["rack"] for n in nodes if n["instance_uuid"] == uuid)


def _settle(api: Api, uuids: list[str]) -> list[dict[str, Any]]:
    return [api.wait_for(u, lambda i: i["status"] in ("active", "error")) for u in uuids]


def test_anti_affinity_spreads_members_across_racks_then_refuses(api: Api, racks):
    group = _group(api, "anti-affinity")
    hint = {"scheduler_hints": {"group": group["uuid"]}}
    made = [_create(api, racks, name=f"db-{i}", **hint).json()["uuid"] for i in range(4)]
    finals = _settle(api, made)
    active = [i for i in finals if i["status"] == "active"]
    assert len(active) == 3  # three racks
    assert sorted(_rack_of(api, i["uuid"]) for i in active) == ["r1", "r2", "r3"]
    (failed,) = [i for i in finals if i["status"] == "error"]
    assert "anti-affinity" in failed["fault"]["message"]
    assert failed["uuid"] not in {  # the failed one holds no node
        n["instance_uuid"] for n in api.admin.get("/v1/nodes").json()["nodes"]
    }
    shown = api.get(f"/v1/server_groups/{group['uuid']}").json()
    assert sorted(shown["members"]) == sorted(made)


def test_max_server_per_host_lets_a_rack_take_two(api: Api, racks):
    group = _group(api, "anti-affinity", max_server_per_host=2)
    made = [
        _create(api, racks, scheduler_hints={"group": group["uuid"]}).json()["uuid"]
        for _ in range(6)
    ]
    assert all(i["status"] == "active" for i in _settle(api, made))
    assert Counter(_rack_of(api, u) for u in made) == {"r1": 2, "r2": 2, "r3": 2}


def test_affinity_keeps_members_in_one_rack(api: Api, racks):
    group = _group(api, "affinity")
    made = [
        _create(api, racks, scheduler_hints={"group": group["uuid"]}).json()["uuid"]
        for _ in range(3)
    ]
    finals = _settle(api, made)
    active = [i["uuid"] for i in finals if i["status"] == "active"]
    assert len(active) == 2 and len({_rack_of(api, u) for u in active}) == 1
    (failed,) = [i for i in finals if i["status"] == "error"]
    assert "affinity policy" in failed["fault"]["message"]


def test_soft_policies_prefer_but_never_refuse(api: Api, racks):
    group = _group(api, "soft-anti-affinity")
    hint = {"scheduler_hints": {"group": group["uuid"]}}
    first = [_create(api, racks, **hint).json()["uuid"] for _ in range(3)]
    assert all(i["status"] == "active" for i in _settle(api, first))
    assert Counter(_rack_of(api, u) for u in first) == {"r1": 1, "r2": 1, "r3": 1}
    # Where hard anti-affinity would refuse, the soft policy places them anyway.
    more = [_create(api, racks, **hint).json()["uuid"] for _ in range(3)]
    assert all(i["status"] == "active" for i in _settle(api, more))

    together = _group(api, "soft-affinity")
    hint = {"scheduler_hints": {"group": together["uuid"]}}
    for uuid in first + more:
        api.delete(f"/v1/instances/{uuid}")
    for uuid in first + more:
        api.wait_gone(uuid)
    api.wait_cleaned()  # the deleted instances' nodes are cleaned first
    pair = [_create(api, racks, **hint).json()["uuid"] for _ in range(2)]
    _settle(api, pair)
    assert len({_rack_of(api, u) for u in pair}) == 1
    third = _create(api, racks, **hint).json()["uuid"]  # the rack is full: elsewhere
    assert api.wait_status(third, "active")


def test_different_and_same_host_hints(api: Api, racks):
    first = _create(api, racks).json()["uuid"]
    api.wait_status(first, "active")
    apart = _create(api, racks, scheduler_hints={"different_host": [first]}).json()["uuid"]
    near = _create(api, racks, scheduler_hints={"same_host": first}).json()["uuid"]
    _settle(api, [apart, near])
    assert _rack_of(api, apart) != _rack_of(api, first)
    assert _rack_of(api, near) == _rack_of(api, first)
    # The rack of the first is full now: same_host cannot be met.
    full = _create(api, racks, scheduler_hints={"same_host": [first]}).json()["uuid"]
    assert "same_host" in api.wait_status(full, "error")["fault"]["message"]


def test_bad_hints_and_other_projects_groups_are_refused(api: Api, racks):
    theirs = _group(api.as_(project("tenant-b")), "affinity")
    stranger_instance = _create(api.as_(project("tenant-b")), racks).json()["uuid"]
    for hints in (
        {"group": theirs["uuid"]},
        {"group": "0b5f8a4e-2d7c-4f3a-9e1b-6c8d7e9f0a12"},
        {"different_host": [stranger_instance]},
        {"same_host": ["not-a-uuid"]},
        {"build_near_host_ip": "10.0.0.1"},
    ):
        response = _create(api, racks, scheduler_hints=hints)
        assert response.status_code == 400, (hints, response.text)
    assert len(api.get("/v1/instances").json()["instances"]) == 0


def test_who_sees_and_deletes_groups(api: Api, racks):
    group = _group(api, "anti-affinity")
    path = f"/v1/server_groups/{group['uuid']}"
    reader = api.as_(project("tenant-a", "reader"))
    assert reader.get(path).status_code == 200
    assert [g["uuid"] for g in reader.get("/v1/server_groups").json()["server_groups"]] == [
        group["uuid"]
    ]
    assert reader.post("/v1/server_groups", {"name": "x", "policy": "nope"}).status_code == 403
    assert reader.delete(path).status_code == 403
    stranger = api.as_(project("tenant-b"))
    assert stranger.get(path).status_code == 404
    assert stranger.delete(path).status_code == 404
    assert stranger.get("/v1/server_groups").json()["server_groups"] == []
    # Another project's group as a marker is as unknown as a made-up uuid.
    for marker in (group["uuid"], "6f1d2e8c-9a8b-4c3d-8e7f-0a1b2c3d4e5f"):
        paged = stranger.get("/v1/server_groups", params={"marker": marker})
        assert paged.status_code == 400, paged.text
        assert fault_of(paged)["faultstring"] == f"Marker {marker} was not found."
    assert stranger.get("/v1/server_groups?all_projects=1").status_code == 403
    assert len(api.admin.get("/v1/server_groups?all_projects=1").json()["server_groups"]) == 1
    half_named = Api(api.http, {"X-Roles": "member"})  # no project: noauth refuses the caller
    assert half_named.get(path).status_code == 400
    assert (
        half_named.post("/v1/server_groups", {"name": "x", "policy": "affinity"}).status_code == 400
    )
    assert api.http.get(path).status_code == 401  # no headers at all: anonymous
    assert (
        api.http.post("/v1/server_groups", json={"name": "x", "policy": "affinity"}).status_code
        == 401
    )
    for body in (
        {"name": "x", "policy": "spread-out"},
        {"name": "x", "policy": "affinity", "rules": {"max_server_per_host": 2}},
        {"name": "x", "policy": "anti-affinity", "rules": {"max_server_per_host": 0}},
        {"name": "", "policy": "affinity"},
    ):
        assert api.post("/v1/server_groups", body).status_code == 400, body
    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404
    refused = _create(api, racks, scheduler_hints={"group": group["uuid"]})
    assert refused.status_code == 400 and "server group" in fault_of(refused)["faultstring"]
