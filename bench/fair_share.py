"""The cost of fair sharing: create → active with quotas and a server group on, against the
same run with neither, and one multi-create against as many separate creates. PostgreSQL,
``mogan api`` with 2 workers, one engine, the fake driver at zero latency. Prints a table.

    .venv/bin/python -m bench.fair_share [--instances 300]

Every run schedules onto the same ``--instances`` free nodes (the previous run's instances
deleted), in ``--rounds`` interleaved rounds; the medians are compared:

- plain: ``--instances`` creates from 32 concurrent clients, no limit anywhere;
- quota + group: the same, with the project's instances, per-class nodes and group-member
  limits set (so every create counts the project's instances under its lock) and every
  instance in one ``anti-affinity`` server group spread over ``--racks`` racks
  (``[scheduler] failure_domain = rack``, ``max_server_per_host`` so that they fit), so
  every placement counts the group's members per rack under the group's lock;
- one request: a single multi-create of ``--instances`` (``max_count``), nodes claimed in
  the request.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

import bench
from bench.scale import ADMIN, DATABASE, ENGINE, create_to_active, upgrade, wait_verified
from tests.databases import fresh_database
from tests.functional.process import MoganProcess


def enrol_racks(api_url: str, count: int, racks: int, prefix: str) -> dict[str, Any]:
    """``count`` fake nodes over ``racks`` racks, a type, an image and a network; returns an
    instance request."""
    with httpx.Client(base_url=api_url, headers=ADMIN, timeout=60) as client:
        for index in range(count):
            response = client.post(
                "/v1/nodes",
                json={
                    "name": f"{prefix}-node-{index}",
                    "driver": "fake",
                    "availability_zone": "az1",
                    "properties": {"rack": f"{prefix}-rack-{index % racks}"},
                    "nics": [{"mac_address": f"52:56:00:00:{index // 256:02x}:{index % 256:02x}"}],
                },
            )
            assert response.status_code == 201, response.text
        wait_verified(client)
        type_ = client.post("/v1/types", json={"name": f"{prefix}-type"}).json()
        image = client.post(
            "/v1/images", json={"name": prefix, "url": "http://i/x.iso", "disk_format": "iso"}
        ).json()
        network = client.post(
            "/v1/networks",
            json={"name": prefix, "subnets": [{"cidr": "10.20.0.0/16"}]},
        ).json()
    return {
        "instance_type_uuid": type_["uuid"],
        "image_uuid": image["uuid"],
        "networks": [{"net_id": network["uuid"]}],
    }


def delete_all(client: httpx.Client) -> None:
    """Delete every instance and wait until they are gone (their nodes free again)."""
    listed = client.get("/v1/instances", params={"all_tenants": 1, "limit": 100000})
    for instance in listed.json()["instances"]:
        client.delete(f"/v1/instances/{instance['uuid']}")
    while client.get("/v1/instances", params={"all_tenants": 1, "limit": 1}).json()["instances"]:
        time.sleep(0.2)


def one_request(api_url: str, body: dict[str, Any], count: int) -> float:
    """Seconds from one multi-create of ``count`` to the last of them active."""
    with httpx.Client(base_url=api_url, headers=ADMIN, timeout=600) as client:
        started = time.perf_counter()
        response = client.post(
            "/v1/instances",
            json={**body, "name": "batch", "min_count": count, "max_count": count},
        )
        assert response.status_code == 201, response.text
        reservation = response.json()["reservation_id"]
        while client.get(
            "/v1/instances",
            params={"reservation_id": reservation, "status": "building", "limit": 1},
        ).json()["instances"]:
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        active = client.get(
            "/v1/instances",
            params={"reservation_id": reservation, "status": "active", "limit": count},
        ).json()["instances"]
        assert len(active) == count, f"{count - len(active)} did not become active"
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=300)
    parser.add_argument("--racks", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--failure-domain", default="rack", help="[scheduler] failure_domain: rack or node"
    )
    args = bench.parse(parser, instances=30, racks=6, rounds=1)
    count, racks = args.instances, args.racks
    work = Path(tempfile.mkdtemp(prefix="mogan-fair-"))
    with fresh_database("postgresql", str(work)) as url:
        upgrade(work, url)
        settings = {
            "engine": ENGINE,
            "database": DATABASE,
            "scheduler": {"max_count": count, "failure_domain": args.failure_domain},
        }
        api = MoganProcess(work, url, command="api", api={"workers": 2}, **settings).start()
        engine = MoganProcess(work, url, command="engine", **settings).start()
        try:
            admin = httpx.Client(base_url=api.url, headers=ADMIN, timeout=60)
            limits = {"instances": 100 * count, "nodes": 100 * count}
            limits["server_group_members"] = 100 * count
            group = admin.post(
                "/v1/server_groups",
                json={
                    "name": "g",
                    "policy": "anti-affinity",
                    "rules": {"max_server_per_host": -(-count // racks)},
                },
            ).json()
            times: dict[str, list[float]] = {"plain": [], "quota": [], "both": [], "batch": []}
            fleet = enrol_racks(api.url, count, racks, "n")
            in_group = {**fleet, "scheduler_hints": {"group": group["uuid"]}}
            unlimited = {key: -1 for key in limits}
            runs = {
                "plain": (unlimited, lambda: create_to_active(api.url, fleet, count, "a")),
                "quota": (limits, lambda: create_to_active(api.url, fleet, count, "b")),
                "both": (limits, lambda: create_to_active(api.url, in_group, count, "c")),
                "batch": (unlimited, lambda: one_request(api.url, fleet, count)),
            }
            # Interleaved rounds on the same nodes: a slow moment of the machine falls on
            # every configuration alike, and the median of each is compared.
            for _ in range(args.rounds):
                for kind, (quota, run) in runs.items():
                    assert admin.put("/v1/quotas/admin", json=quota).status_code == 200
                    times[kind].append(run())
                    delete_all(admin)
            admin.close()
        finally:
            api.stop()
            engine.stop()
    median = {kind: statistics.median(values) for kind, values in times.items()}
    plain = median["plain"]

    def row(figure: str, kind: str) -> tuple[str, str, str, str]:
        seconds = median[kind]
        overhead = f"{(seconds / plain - 1) * 100:+.1f} %" if kind != "plain" else ""
        return figure, f"{seconds:.2f} s", f"{count / seconds:.0f}/s", overhead

    rows = [
        row(f"create → active, {count} instances, plain", "plain"),
        row("… with quotas (every create counted under the project's lock)", "quota"),
        row(f"… with quotas and one anti-affinity group ({args.failure_domain} domain)", "both"),
        row(f"one request of max_count={count}", "batch"),
    ]
    print(f"median of {args.rounds} interleaved rounds")
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'wall time':>10}  {'rate':>7}  {'vs plain':>9}")
    for figure, wall, rate, overhead in rows:
        print(f"{figure:<{width}}  {wall:>10}  {rate:>7}  {overhead:>9}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
