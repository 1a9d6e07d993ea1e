"""Leases over real engine processes on PostgreSQL: work longer than many leases reaches the
hardware once, and an engine cut off from the database loses its lease to another."""

from __future__ import annotations

import time

import httpx
import pytest
import sqlalchemy as sa

from tests.functional.cluster import Cluster, query, settle
from tests.harness import ADMIN, Api, project
from tests.peers.tcp_proxy import proxy_to

pytestmark = pytest.mark.functional

#: Each of an inspection, a deploy and a clean takes this long: three lease periods. (A
#: lease much shorter than the engines' heartbeat can get on a loaded two-core machine would
#: be lost for want of CPU, which is a takeover working as designed, not what this checks.)
SLOW = {"fake_inspect_latency": 12, "fake_deploy_latency": 12, "fake_clean_latency": 12}
LEASE = 4


def _calls(url: str) -> dict[str, list[str]]:
    """What each simulated BMC was asked to do, in order (its own log, not Mogan's)."""
    rows = query(
        url,
        "SELECT n.name, c.call FROM fake_hardware_calls c "
        "JOIN nodes n ON n.uuid = c.node_uuid ORDER BY c.id",
    )
    calls: dict[str, list[str]] = {}
    for name, call in rows:
        calls.setdefault(name, []).append(call)
    return calls


def _wait_nodes(api: Api, state: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        nodes = api.admin.get("/v1/nodes").json()["nodes"]
        if all(n["provision_state"] == state for n in nodes):
            return
        assert time.monotonic() < deadline, [(n["name"], n["provision_state"]) for n in nodes]
        time.sleep(0.2)


def test_work_longer_than_many_leases_reaches_each_machine_once(cluster: Cluster):
    api_process = cluster.start("api", api={"workers": 1})
    engines = [cluster.start("engine", engine={"lease_timeout": LEASE}) for _ in range(2)]
    with httpx.Client(base_url=api_process.url, timeout=60, headers=ADMIN) as client:
        api = Api(client)
        for i in range(3):
            api.enrol(f"node-{i}", driver_info=SLOW, inspect=True)
        fleet = [api.make_type(), api.make_image(), api.make_network()]
        _wait_nodes(api, "available", timeout=90)
        tenant = api.as_(project("tenant-a"))
        created = [
            tenant.create(fleet[0], fleet[1], [{"net_id": fleet[2]["uuid"]}], name=f"s{i}")
            for i in range(3)
        ]
        assert [r.status_code for r in created] == [201] * 3
        assert {i["status"] for i in settle(api, 3, timeout=120)} == {"active"}
        for response in created:
            assert tenant.delete(f"/v1/instances/{response.json()['uuid']}").status_code == 204
        _wait_nodes(api, "available", timeout=120)

    # Each machine was inspected, deployed, torn down and cleaned exactly once, though every
    # one of those took more than three lease periods and two engines were looking for work.
    assert _calls(cluster.url) == {
        f"node-{i}": ["inspect", "deploy", "undeploy", "clean"] for i in range(3)
    }, [engine.log() for engine in engines]
    operations = cluster.operations()
    assert {kind for kind, *_ in operations} == {"verify", "inspect", "create", "delete", "clean"}
    assert all(status == "succeeded" and claims == 1 for _, status, claims, _ in operations), (
        [op for op in operations if op[2] != 1],
        [engine.log() for engine in engines],
    )


def test_an_engine_cut_off_from_the_database_loses_its_lease_to_another(cluster: Cluster):
    url = sa.make_url(cluster.url)
    api_process = cluster.start("api", api={"workers": 1})
    with proxy_to(url.host or "127.0.0.1", url.port or 5432) as proxy:
        through_proxy = url.set(port=proxy.port).render_as_string(hide_password=False)
        cut_off = cluster.start(
            "engine",
            DEFAULT={"host": "cut-off"},
            database={"connection": through_proxy},
            engine={"lease_timeout": LEASE},
        )
        with httpx.Client(base_url=api_process.url, timeout=60, headers=ADMIN) as client:
            api = Api(client)
            api.enrol("node-0", driver_info={"fake_deploy_latency": 8})
            fleet = [api.make_type(), api.make_image(), api.make_network()]
            tenant = api.as_(project("tenant-a"))
            uuid = tenant.create(fleet[0], fleet[1], [{"net_id": fleet[2]["uuid"]}]).json()["uuid"]
            deadline = time.monotonic() + 20
            while _calls(cluster.url).get("node-0") != ["deploy"]:
                assert time.monotonic() < deadline, cut_off.log()
                time.sleep(0.1)

            proxy.cut()
            cluster.start("engine", DEFAULT={"host": "survivor"}, engine={"lease_timeout": LEASE})
            deadline = time.monotonic() + 3 * LEASE
            while "lost the lease of operation" not in cut_off.log():
                assert time.monotonic() < deadline, cut_off.log()
                time.sleep(0.1)
            assert "ERROR" in cut_off.log() and "lease renewal of 1 operations failed" in (
                cut_off.log()
            )
            proxy.restore()

            assert tenant.wait_status(uuid, "active", timeout=60)["status"] == "active"
    (create,) = [op for op in cluster.operations() if op[0] == "create"]
    _, status, claims, owner = create
    # The survivor took the deploy over (the second claim) and finished it; the engine that
    # was cut off recorded nothing after it lost its lease.
    assert (status, claims) == ("succeeded", 2) and owner.startswith("survivor:"), create
    assert _calls(cluster.url)["node-0"] == ["deploy", "deploy"]
