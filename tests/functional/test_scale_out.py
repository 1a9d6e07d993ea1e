"""Several API workers and engines as real processes, sharing one PostgreSQL database."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests import conformance
from tests.functional.cluster import Cluster, instances_of, settle
from tests.functional.process import MoganProcess
from tests.harness import ADMIN, Api, project
from tests.peers.tcp_proxy import TcpProxy, proxy_to

pytestmark = pytest.mark.functional


def _fleet(api: Api, count: int) -> dict[str, Any]:
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: api.enrol(f"n{i:04d}", zone="az1"), range(count)))
    return {
        "type": api.make_type(),
        "image": api.make_image(),
        "network": api.make_network(cidr="10.8.0.0/16"),
    }


def _create_many(url: str, fleet: dict[str, Any], names: list[str]) -> list[httpx.Response]:
    def create(name: str) -> httpx.Response:
        with conformance.client(url, timeout=60) as client:
            return Api(client, project("tenant-a")).create(
                fleet["type"], fleet["image"], [{"net_id": fleet["network"]["uuid"]}], name=name
            )

    with ThreadPoolExecutor(32) as pool:
        return list(pool.map(create, names))


def test_300_concurrent_creates_over_two_engines_and_two_api_workers(cluster: Cluster):
    api_process = cluster.start("api", api={"workers": 2})
    engines = [cluster.start("engine") for _ in range(2)]
    with conformance.client(api_process.url, timeout=60, headers=ADMIN) as client:
        api = Api(client)
        fleet = _fleet(api, 300)
        responses = _create_many(api_process.url, fleet, [f"vm-{i}" for i in range(300)])
        assert [r.status_code for r in responses] == [201] * 300
        instances = settle(api, 300)
        assert Counter(i["status"] for i in instances) == {"active": 300}
        nodes = api.admin.get("/v1/nodes", params={"limit": 1000}).json()["nodes"]
        serving = [n["instance_uuid"] for n in nodes if n["instance_uuid"]]
        assert len(serving) == len(set(serving)) == 300
        assert set(serving) == {i["uuid"] for i in instances}

        operations = cluster.operations()
        assert all(claims == 1 and status == "succeeded" for _, status, claims, _ in operations), (
            Counter((status, claims) for _, status, claims, _ in operations)
        )
        by_engine = Counter(owner for *_, owner in operations)
        assert len(by_engine) == 2, by_engine  # both engines took a share of the work

        # Ten more than the fleet can hold: exactly those ten fail, and say why.
        more = _create_many(api_process.url, fleet, [f"extra-{i}" for i in range(10)])
        assert [r.status_code for r in more] == [201] * 10
        final = settle(api, 310)
        failed = [i for i in final if i["status"] == "error"]
        assert sorted(i["name"] for i in failed) == sorted(f"extra-{i}" for i in range(10))
        assert all("No valid node" in i["fault"]["message"] for i in failed)
    for process in (*engines, api_process):
        assert process.stop() == 0
        assert "Traceback" not in process.log()


def test_an_engine_killed_mid_work_is_taken_over(cluster: Cluster):
    # The first engine's machines take 10 s, so its steps are surely under way when it dies;
    # the second engine's take 2 s.
    slower = {"fake": {"deploy_latency": 10, "power_latency": 10}}
    slow = {"fake": {"deploy_latency": 2, "power_latency": 2}}
    api_process = cluster.start("api", api={"workers": 1})
    first = cluster.start("engine", **slower)
    with conformance.client(api_process.url, timeout=60, headers=ADMIN) as client:
        api = Api(client)
        fleet = _fleet(api, 30)
        running = [
            r.json()["uuid"]
            for r in _create_many(api_process.url, fleet, [f"r{i}" for i in range(10)])
        ]
        settle(api, 10)
        # Deletes, power changes and creates in flight on the first engine...
        for uuid in running[:5]:
            assert api.delete(f"/v1/instances/{uuid}").status_code == 204
        for uuid in running[5:]:
            assert (
                api.put(f"/v1/instances/{uuid}/states/power", {"target": "off"}).status_code == 202
            )
        building = [
            r.json()["uuid"]
            for r in _create_many(api_process.url, fleet, [f"b{i}" for i in range(10)])
        ]
        deadline = time.monotonic() + 20
        while sum(1 for _, status, _, _ in cluster.operations() if status == "running") < 10:
            assert time.monotonic() < deadline, cluster.operations()
            time.sleep(0.1)
        # ...and it dies without a word, its 10 s steps surely under way; on a loaded machine
        # a second engine can take longer than that to start, so it starts after the death.
        first.kill()
        taken_over = time.monotonic()
        second = cluster.start("engine", **slow)

        deadline = time.monotonic() + 60
        while True:
            instances = {i["uuid"]: i for i in instances_of(api)}
            # Power state and target read together: the list above may predate the end of a
            # power change that the states read after it already shows finished.
            power = {u: api.get(f"/v1/instances/{u}/states").json() for u in instances}
            pending = [u for u, states in power.items() if states["target_power_state"]]
            if (
                not any(u in instances for u in running[:5])
                and not pending
                and all(instances[u]["status"] == "active" for u in building)
            ):
                break
            assert time.monotonic() < deadline, (instances, pending)
            time.sleep(0.5)
        assert time.monotonic() - taken_over < 20  # lease (3 s) + the slow steps (2 s each)
        powers = {u: power[u]["power_state"] for u in running[5:]}
        assert set(powers.values()) == {"power off"}, (powers, cluster.operations())
        assert {i["status"] for i in instances.values()} == {"active"}
        taken = [op for op in cluster.operations() if op[2] == 2]
        assert taken, "the second engine should have taken over some operations"
        assert all(op[1] == "succeeded" for op in cluster.operations())
    assert second.stop() == 0


def test_the_database_lost_and_back_under_load(cluster: Cluster):
    """503 while the database is away, never a hang or a 500; every 2xx is carried out.

    The API and the engine reach PostgreSQL through a proxy that drops every connection and
    refuses new ones for a while, as a restart of PostgreSQL does to its clients (restarting
    the real server would take it from every other test running meanwhile)."""
    url = sa.make_url(cluster.url)
    with proxy_to(url.host or "127.0.0.1", url.port or 5432) as proxy:
        through_proxy = url.set(port=proxy.port).render_as_string(hide_password=False)
        database = {"connection": through_proxy}
        api_process = cluster.start("api", api={"workers": 1}, database=database)
        cluster.start("engine", database=database)
        _create_through_an_outage(api_process, proxy)


def _create_through_an_outage(api_process: MoganProcess, proxy: TcpProxy) -> None:
    with conformance.client(api_process.url, timeout=30, headers=ADMIN) as client:
        api = Api(client)
        fleet = _fleet(api, 60)
        accepted: list[str] = []
        statuses: Counter[int] = Counter()
        restarter = None
        for index in range(50):
            if index == 10:
                restarter = threading.Timer(2.0, proxy.restore)
                proxy.cut()
                restarter.start()
            response = api.create(
                fleet["type"],
                fleet["image"],
                [{"net_id": fleet["network"]["uuid"]}],
                name=f"load-{index}",
            )
            statuses[response.status_code] += 1
            if response.status_code == 201:
                accepted.append(response.json()["uuid"])
            else:
                assert response.status_code == 503, response.text
                assert "database" in response.json()["error_message"]
            time.sleep(0.05)
        assert restarter is not None
        restarter.join(10)
        assert statuses[503] >= 1, statuses  # the outage was seen, and answered properly
        assert set(statuses) <= {201, 503}, statuses
        deadline = time.monotonic() + 60
        while True:
            try:
                instances = {i["uuid"]: i for i in instances_of(api)}
            except (KeyError, httpx.HTTPError):
                instances = {}
            if all(instances.get(u, {}).get("status") == "active" for u in accepted):
                break
            assert time.monotonic() < deadline, Counter(
                instances.get(u, {}).get("status") for u in accepted
            )
            time.sleep(0.5)
        assert len(instances) == len(accepted)  # nothing refused was half-created
    assert "Traceback" not in api_process.log()
