"""A node's clean survives its engine: real processes on PostgreSQL."""

from __future__ import annotations

import time

import pytest

from tests import conformance
from tests.functional.cluster import Cluster, query, settle
from tests.harness import ADMIN, Api, project

pytestmark = pytest.mark.functional


def _nodes(api: Api) -> dict[str, dict]:
    return {n["name"]: n for n in api.admin.get("/v1/nodes").json()["nodes"]}


def _machines(url: str) -> dict[str, tuple[str | None, int]]:
    rows = query(
        url,
        "SELECT n.name, f.disk_written_by, f.cleanings FROM fake_hardware f "
        "JOIN nodes n ON n.uuid = f.node_uuid",
    )
    return {name: (written_by, cleanings) for name, written_by, cleanings in rows}


def test_an_engine_killed_mid_clean_is_taken_over_and_no_node_is_handed_out_half_cleaned(
    cluster: Cluster,
):
    api_process = cluster.start("api", api={"workers": 1})
    first = cluster.start("engine", fake={"clean_latency": 30})
    with conformance.client(api_process.url, timeout=60, headers=ADMIN) as client:
        api = Api(client)
        for i in range(3):
            api.enrol(f"node-{i}")
        fleet = [api.make_type(), api.make_image(), api.make_network()]
        network = [{"net_id": fleet[2]["uuid"]}]
        tenant_a = api.as_(project("tenant-a"))
        first_tenants = [
            tenant_a.create(fleet[0], fleet[1], network, name=f"a{i}").json()["uuid"]
            for i in range(3)
        ]
        settle(api, 3)
        for uuid in first_tenants:
            assert tenant_a.delete(f"/v1/instances/{uuid}").status_code == 204
        for uuid in first_tenants:
            tenant_a.wait_gone(uuid, timeout=30)
        assert {n["provision_state"] for n in _nodes(api).values()} == {"cleaning"}
        deadline = time.monotonic() + 20
        while sum(1 for op in cluster.operations() if op[:2] == ("clean", "running")) < 3:
            assert time.monotonic() < deadline, cluster.operations()
            time.sleep(0.1)

        second = cluster.start("engine", fake={"clean_latency": 2})
        first.kill()  # mid-clean, without a word
        # Meanwhile another tenant asks: nothing is handed out half-cleaned.
        tenant_b = api.as_(project("tenant-b"))
        early = tenant_b.create(fleet[0], fleet[1], network, name="early").json()["uuid"]
        assert tenant_b.wait_status(early, "error", timeout=30)["fault"]["message"].startswith(
            "No valid node"
        )
        deadline = time.monotonic() + 60
        while {n["provision_state"] for n in _nodes(api).values()} != {"available"}:
            assert time.monotonic() < deadline, _nodes(api)
            assert all(
                n["provision_state"] in ("cleaning", "available") for n in _nodes(api).values()
            )
            time.sleep(0.2)
        # Every node was wiped by the engine that took the clean over, once.
        assert _machines(cluster.url) == {f"node-{i}": (None, 1) for i in range(3)}
        cleans = [op for op in cluster.operations() if op[0] == "clean"]
        assert len(cleans) == 3
        assert all(status == "succeeded" and claims == 2 for _, status, claims, _ in cleans)
        later = [
            tenant_b.create(fleet[0], fleet[1], network, name=f"b{i}").json()["uuid"]
            for i in range(3)
        ]
        for uuid in later:
            tenant_b.wait_status(uuid, "active", timeout=30)
    assert second.stop() == 0
