"""Quotas, server groups and multi-create under real concurrency: API workers and engines as
separate processes on one PostgreSQL database, racing."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.functional.cluster import Cluster, settle
from tests.harness import ADMIN, Api, fault_of, project

pytestmark = pytest.mark.functional

TENANT = project("tenant-a")


def _net(fleet: dict[str, Any]) -> list[dict[str, str]]:
    return [{"net_id": fleet["network"]["uuid"]}]


def _fleet(api: Api, racks: int, per_rack: int) -> dict[str, Any]:
    def enrol(index: int) -> None:
        node = api.enrol(f"n{index:04d}", zone="az1")
        patch = [{"op": "add", "path": "/properties/rack", "value": f"rack-{index % racks}"}]
        assert api.admin.patch(f"/v1/nodes/{node['uuid']}", patch).status_code == 200

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(enrol, range(racks * per_rack)))
    return {
        "type": api.make_type(),
        "image": api.make_image(),
        "network": api.make_network(cidr="10.9.0.0/16"),
    }


def _concurrently(url: str, count: int, body: Any) -> list[httpx.Response]:
    def create(index: int) -> httpx.Response:
        with httpx.Client(base_url=url, timeout=60) as client:
            return Api(client, TENANT).post("/v1/instances", body(index))

    with ThreadPoolExecutor(32) as pool:
        return list(pool.map(create, range(count)))


def _create_body(fleet: dict[str, Any], **extra: Any) -> Any:
    return lambda index: {
        "name": f"vm-{index}",
        "instance_type_uuid": fleet["type"]["uuid"],
        "image_uuid": fleet["image"]["uuid"],
        "networks": _net(fleet),
        **extra,
    }


def test_200_racing_creates_against_a_quota_of_50(cluster: Cluster):
    api_process = cluster.start("api", api={"workers": 2})
    cluster.start("engine")
    with httpx.Client(base_url=api_process.url, timeout=60, headers=ADMIN) as client:
        api = Api(client)
        fleet = _fleet(api, racks=10, per_rack=6)
        assert api.admin.put("/v1/quotas/tenant-a", {"instances": 50}).status_code == 200

        # While the creates race, the project's usage is sampled as its users see it.
        samples: list[int] = []
        stop = threading.Event()

        def sample() -> None:
            with httpx.Client(base_url=api_process.url, timeout=30, headers=TENANT) as reader:
                while not stop.is_set():
                    usage = reader.get("/v1/quotas/tenant-a/usage").json()
                    samples.append(usage["instances"]["in_use"])

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            responses = _concurrently(api_process.url, 200, _create_body(fleet))
        finally:
            stop.set()
            sampler.join()
        assert Counter(r.status_code for r in responses) == {201: 50, 403: 150}
        refusal = fault_of(next(r for r in responses if r.status_code == 403))["faultstring"]
        assert refusal == "Quota exceeded for instances: requested 1, limit 50, in use 50."
        assert len(samples) > 10 and max(samples) <= 50, (len(samples), max(samples))
        instances = settle(api, 50)
        assert Counter(i["status"] for i in instances) == {"active": 50}


def test_racing_engines_never_share_a_rack_in_an_anti_affinity_group(cluster: Cluster):
    api_process = cluster.start("api", api={"workers": 2})
    for _ in range(2):
        cluster.start("engine", scheduler={"failure_domain": "rack"})
    with httpx.Client(base_url=api_process.url, timeout=60, headers=ADMIN) as client:
        api = Api(client)
        fleet = _fleet(api, racks=10, per_rack=3)
        tenant = api.as_(TENANT)
        # Twenty members: more than the default ten a group may have.
        limits = {"server_group_members": 20}
        assert api.admin.put("/v1/quotas/tenant-a", limits).status_code == 200
        for round_ in range(3):
            group = tenant.post(
                "/v1/server_groups", {"name": f"g{round_}", "policy": "anti-affinity"}
            ).json()
            hint = {"scheduler_hints": {"group": group["uuid"]}}
            responses = _concurrently(api_process.url, 20, _create_body(fleet, **hint))
            assert [r.status_code for r in responses] == [201] * 20
            instances = settle(api, 20)
            active = [i for i in instances if i["status"] == "active"]
            failed = [i for i in instances if i["status"] == "error"]
            nodes = api.admin.get("/v1/nodes", params={"limit": 1000}).json()["nodes"]
            rack_of = {n["instance_uuid"]: n["properties"]["rack"] for n in nodes}
            racks = sorted(rack_of.get(i["uuid"], "none") for i in active)
            assert len(active) == 10, (round_, Counter(i["status"] for i in instances), racks)
            assert len({rack_of[i["uuid"]] for i in active}) == 10  # one per rack
            assert all("anti-affinity" in i["fault"]["message"] for i in failed)
            assert not {i["uuid"] for i in failed} & set(rack_of)  # they hold no node
            for instance in instances:
                assert tenant.delete(f"/v1/instances/{instance['uuid']}").status_code == 204
            settle(api, 0)
        operations = cluster.operations()
        assert len({owner for kind, _, _, owner in operations if kind == "create"}) == 2


def test_racing_singles_and_batches_fill_each_rack_to_its_limit_and_no_further(cluster: Cluster):
    """Two per rack: members racing into one rack wait for each other under that rack's lock,
    those in other racks do not, and a multi-create claiming in the API races the engines'
    single claims for the same seats."""
    api_process = cluster.start("api", api={"workers": 2}, scheduler={"failure_domain": "rack"})
    for _ in range(2):
        cluster.start("engine", scheduler={"failure_domain": "rack"})
    with httpx.Client(base_url=api_process.url, timeout=60, headers=ADMIN) as client:
        api = Api(client)
        fleet = _fleet(api, racks=6, per_rack=4)  # 24 nodes, 12 seats
        tenant = api.as_(TENANT)
        assert api.admin.put("/v1/quotas/tenant-a", {"server_group_members": 40}).status_code == 200
        group = tenant.post(
            "/v1/server_groups",
            {"name": "two-a-rack", "policy": "anti-affinity", "rules": {"max_server_per_host": 2}},
        ).json()
        hint = {"scheduler_hints": {"group": group["uuid"]}}
        single = _create_body(fleet, **hint)
        batch = _create_body(fleet, min_count=1, max_count=3, **hint)
        # 12 single creates and 4 batches of up to 3: 24 asks for 12 seats.
        responses = _concurrently(
            api_process.url, 16, lambda index: (batch if index % 4 == 0 else single)(index)
        )
        assert {r.status_code for r in responses} <= {201, 409}, [r.text for r in responses]
        made = sum(
            len(r.json().get("instances", [None])) for r in responses if r.status_code == 201
        )
        instances = settle(api, made)
        nodes = api.admin.get("/v1/nodes", params={"limit": 1000}).json()["nodes"]
        rack_of = {n["instance_uuid"]: n["properties"]["rack"] for n in nodes}
        active = [i for i in instances if i["status"] == "active"]
        failed = [i for i in instances if i["status"] == "error"]
        assert len(active) + len(failed) == len(instances)
        per_rack = Counter(rack_of[i["uuid"]] for i in active)
        assert per_rack == {f"rack-{r}": 2 for r in range(6)}, per_rack
        assert all("anti-affinity" in i["fault"]["message"] for i in failed)
        assert not {i["uuid"] for i in failed} & set(rack_of)  # they hold no node


def test_racing_batches_are_all_or_nothing(cluster: Cluster):
    api_process = cluster.start("api", api={"workers": 2})
    cluster.start("engine")
    with httpx.Client(base_url=api_process.url, timeout=60, headers=ADMIN) as client:
        api = Api(client)
        fleet = _fleet(api, racks=1, per_rack=10)
        for _ in range(3):
            responses = _concurrently(
                api_process.url, 2, _create_body(fleet, min_count=6, max_count=6)
            )
            assert sorted(r.status_code for r in responses) == [201, 409]
            made = next(r for r in responses if r.status_code == 201).json()["instances"]
            assert len(made) == 6
            instances = settle(api, 6)
            assert Counter(i["status"] for i in instances) == {"active": 6}
            nodes = api.admin.get("/v1/nodes", params={"limit": 1000}).json()["nodes"]
            assert {n["instance_uuid"] for n in nodes} - {None} == {i["uuid"] for i in made}
            for instance in made:
                api.delete(f"/v1/instances/{instance['uuid']}")
            deadline = time.monotonic() + 60
            while api.admin.get("/v1/instances?all_tenants=1").json()["instances"]:
                assert time.monotonic() < deadline
                time.sleep(0.2)
