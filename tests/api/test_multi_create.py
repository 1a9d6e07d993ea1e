"""Multi-create: as many as fit, from min_count up to max_count, all or nothing."""

from __future__ import annotations

from typing import Any

from tests.harness import Api, fault_of, project


def _batch(api: Api, fleet: dict[str, Any], name: str = "web", **extra: Any) -> Any:
    return api.create(
        fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}], name=name, **extra
    )


def _held(api: Api) -> set[str]:
    return {n["instance_uuid"] for n in api.admin.get("/v1/nodes").json()["nodes"]} - {None}


def test_a_batch_is_named_reserved_and_built(api: Api, fleet):
    response = _batch(api, fleet, min_count=2, max_count=3)
    assert response.status_code == 201, response.text
    body = response.json()
    names = [i["name"] for i in body["instances"]]
    assert names == ["web-1", "web-2", "web-3"]
    reservation = body["reservation_id"]
    assert all(i["reservation_id"] == reservation for i in body["instances"])
    assert response.headers["Location"].endswith(f"/v1/instances?reservation_id={reservation}")
    listed = api.get(f"/v1/instances?reservation_id={reservation}").json()["instances"]
    assert sorted(i["name"] for i in listed) == names
    for instance in body["instances"]:
        assert api.wait_status(instance["uuid"], "active")["reservation_id"] == reservation
    # Each on a node of its own, its ports wired.
    assert _held(api) == {i["uuid"] for i in body["instances"]}
    ports = api.get(f"/v1/networks/{fleet['network']['uuid']}/ports").json()["ports"]
    assert len(ports) == 3


def test_as_many_as_fit_down_to_min_count_then_none(api: Api, fleet):
    # Four nodes: a batch of up to 10 gets four.
    body = _batch(api, fleet, min_count=1, max_count=10).json()
    assert len(body["instances"]) == 4
    for instance in body["instances"]:
        api.wait_status(instance["uuid"], "active")
    # None free: a batch needing two makes nothing and holds nothing.
    for instance in body["instances"][:1]:
        api.delete(f"/v1/instances/{instance['uuid']}")
        api.wait_gone(instance["uuid"])
    api.wait_cleaned()
    before = {i["uuid"] for i in api.get("/v1/instances").json()["instances"]}
    refused = _batch(api, fleet, name="db", min_count=2, max_count=2)
    assert refused.status_code == 409, refused.text
    assert "Only 1 of the 2 instances requested fit" in fault_of(refused)["faultstring"]
    assert {i["uuid"] for i in api.get("/v1/instances").json()["instances"]} == before
    assert len(_held(api)) == 3


def test_the_quota_counts_the_whole_batch(api: Api, fleet):
    assert api.admin.put("/v1/quotas/tenant-a", {"instances": 3}).status_code == 200
    body = _batch(api, fleet, min_count=1, max_count=5).json()
    assert len(body["instances"]) == 3  # cut to the quota
    refused = _batch(api, fleet, min_count=1, max_count=2)
    assert refused.status_code == 403
    assert "requested 1, limit 3, in use 3" in fault_of(refused)["faultstring"]


def test_return_reservation_id_and_bad_counts(api: Api, fleet):
    response = _batch(api, fleet, max_count=2, return_reservation_id=True)
    assert response.status_code == 201
    assert set(response.json()) == {"reservation_id"}
    reservation = response.json()["reservation_id"]
    assert len(api.get(f"/v1/instances?reservation_id={reservation}").json()["instances"]) == 2
    for body in (
        {"min_count": 0},
        {"min_count": 3, "max_count": 2},
        {"max_count": 101},
        {"min_count": "2"},
    ):
        assert _batch(api, fleet, **body).status_code == 400, body
    reader = api.as_(project("tenant-a", "reader"))
    assert _batch(reader, fleet, min_count=0).status_code == 403  # 403 before 400


def test_a_batch_in_an_anti_affinity_group_takes_one_node_each(api: Api, fleet):
    group = api.post("/v1/server_groups", {"name": "g", "policy": "anti-affinity"}).json()
    hint = {"scheduler_hints": {"group": group["uuid"]}}
    body = _batch(api, fleet, min_count=1, max_count=6, **hint).json()
    assert len(body["instances"]) == 4
    assert len(_held(api)) == 4
    refused = _batch(api, fleet, min_count=1, max_count=1, **hint)
    # A single create is scheduled by the engine: it ends in error, holding nothing.
    failed = api.wait_status(refused.json()["uuid"], "error")
    assert "anti-affinity" in failed["fault"]["message"]
