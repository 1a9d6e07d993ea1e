"""A region's power sync: 10,000 Redfish BMCs at 100 ms each, read by 2 engines.

    .venv/bin/python -m bench.power_region [--nodes 10000] [--engines 2] [--bmc-latency 0.1]
        [--rounds 3] [--workers 32] [--cache 1000]

On a fresh PostgreSQL database it loads ``--nodes`` active ``redfish`` nodes, each with its
instance and a BMC of its own (an address of ``bench.bmc_farm``, which answers every request
after ``--bmc-latency`` seconds), through the data layer's bulk load. Then it starts
``--engines`` real ``mogan engine`` processes with the power sync on, and reads from each
engine's metrics port (``[metrics] engine_port``) how long its rounds took and how many BMC
reads it made, and from ``/proc`` how much memory it holds, after each of ``--rounds``
rounds. The farm counts the Redfish logins the rounds cost: a BMC whose connection the engine
no longer keeps (``[redfish] connection_cache_size``, ``--cache``) is logged in to again.

What it shows: each engine reads its share of the ring (the reads add up to the fleet, split
evenly), the round's wall time is the share times the BMC's latency over the reads in flight
(``[engine] sync_power_state_workers``), and an engine's memory stays where it was after the
first round.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import subprocess
import sys
import tempfile
import time
import uuid as uuid_module
from pathlib import Path
from typing import Any

import httpx

import bench
from bench.bmc_farm import SYSTEM, address
from bench.scale import process_tree, rss_mb, upgrade
from mogan.db import bulk
from mogan.db.database import Database
from tests.databases import fresh_database
from tests.functional.process import MoganProcess, free_port


def seed(url: str, nodes: int, farm_port: int) -> float:
    """``nodes`` active redfish nodes, each with an instance and a BMC of its own."""
    db = Database(url)
    began = time.perf_counter()
    pairs = [(str(uuid_module.uuid4()), str(uuid_module.uuid4())) for _ in range(nodes)]
    start = dt.datetime(2026, 1, 1)
    bulk.add_nodes(
        db,
        (
            {
                "uuid": node,
                "name": f"bmc-{i:05d}",
                "driver": "redfish",
                "driver_info": {
                    "redfish_address": f"http://{address(i)}:{farm_port}",
                    "redfish_system_id": SYSTEM,
                    "redfish_username": "root",
                    "redfish_password": "calvin",
                    "redfish_verify_ca": False,
                },
                "availability_zone": "az1",
                "provision_state": "active",
                "power_state": "power on",
                "instance_uuid": instance,
                "created_at": start + dt.timedelta(seconds=i),
            }
            for i, (node, instance) in enumerate(pairs)
        ),
    )
    bulk.add_instances(
        db,
        (
            {
                "uuid": instance,
                "name": f"server-{i:05d}",
                "project_id": "tenant",
                "user_id": "user",
                "status": "active",
                "power_state": "power on",
                "node_uuid": node,
                "instance_type_uuid": str(uuid_module.UUID(int=1)),
                "image_uuid": str(uuid_module.UUID(int=2)),
                "availability_zone": "az1",
                "network_info": {},
                "extra": {},
                "created_at": start + dt.timedelta(seconds=i),
            }
            for i, (node, instance) in enumerate(pairs)
        ),
    )
    db.dispose()
    return time.perf_counter() - began


_SAMPLE = re.compile(r"^(?P<name>[a-z_]+)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")


def scrape(port: int) -> dict[str, float]:
    """The engine's power sync: rounds, their seconds, the instances they checked (each
    counted as a round ends, so that differences between two ends are whole rounds)."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
    found = {"rounds": 0.0, "seconds": 0.0, "reads": 0.0}
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match is None:
            continue
        name = match["name"]
        if name == "mogan_power_sync_round_duration_seconds_count":
            found["rounds"] += float(match["value"])
        elif name == "mogan_power_sync_round_duration_seconds_sum":
            found["seconds"] += float(match["value"])
        elif name == "mogan_power_sync_instances_checked_total":
            found["reads"] += float(match["value"])
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--engines", type=int, default=2)
    parser.add_argument("--bmc-latency", type=float, default=0.1, help="seconds per request")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=32, help="BMC reads in flight per engine")
    parser.add_argument("--cache", type=int, default=1000, help="BMC connections kept per engine")
    args = bench.parse(parser, nodes=200, rounds=2)
    work = Path(tempfile.mkdtemp(prefix="mogan-bench-"))
    farm_port = free_port()
    farm = subprocess.Popen(
        [
            *(sys.executable, "-m", "bench.bmc_farm"),
            *("--port", str(farm_port), "--latency", str(args.bmc_latency)),
        ],
        stdout=subprocess.DEVNULL,
    )
    engines: list[tuple[MoganProcess, int]] = []
    try:
        _wait_for(f"http://127.0.0.1:{farm_port}/farm/stats")
        with fresh_database("postgresql", str(work)) as url:
            upgrade(work, url)
            seeded = seed(url, args.nodes, farm_port)
            print(
                f"set-up: {args.nodes:,} nodes and instances loaded in {seeded:.1f} s; "
                f"{args.engines} engines, {args.workers} reads in flight each, "
                f"{args.cache} BMC connections kept each\n",
                file=sys.stderr,
            )
            for index in range(args.engines):
                metrics_port = free_port()
                # A state path (so a metrics directory) of its own: its port then serves its
                # own figures, not the host's.
                own = work / f"engine-{index}"
                own.mkdir()
                engine = MoganProcess(
                    own,
                    url,
                    command="engine",
                    engine={
                        "sync_power_state_interval": 1,
                        "sync_power_state_workers": args.workers,
                        "lease_timeout": 30,
                    },
                    database={"max_pool_size": 4, "max_overflow": 4},
                    redfish={"connection_cache_size": args.cache, "read_timeout": 30},
                    metrics={"engine_port": metrics_port},
                ).start()
                engines.append((engine, metrics_port))
            print(
                f"{args.nodes:,} BMCs at {args.bmc_latency * 1000:.0f} ms a request, "
                f"{args.engines} engines\n"
            )
            print(
                "| round | wall time per engine (s) | BMC reads per engine "
                "| Redfish logins | RSS per engine (MiB) |"
            )
            print("| ---: | --- | --- | ---: | --- |")
            farm_stats = f"http://127.0.0.1:{farm_port}/farm/stats"
            # A first round may start before every engine is seen live (it then reads more
            # than its share) and logs in to every BMC: a warm-up, not counted.
            before = _next_round(engines, [scrape(port) for _, port in engines])
            before = _next_round(engines, before)
            logins = httpx.get(farm_stats).json().get("login", 0)
            for round_number in range(1, args.rounds + 1):
                after = _next_round(engines, before)
                now = httpx.get(farm_stats).json().get("login", 0)
                pairs = list(zip(after, before, strict=True))
                # Per round of each engine (an engine may have run two while another ran one).
                walls = [
                    (a["seconds"] - b["seconds"]) / (a["rounds"] - b["rounds"]) for a, b in pairs
                ]
                reads = [(a["reads"] - b["reads"]) / (a["rounds"] - b["rounds"]) for a, b in pairs]
                memory = [
                    sum(rss_mb(pid) for pid in process_tree([_pid(engine)]))
                    for engine, _ in engines
                ]
                print(
                    f"| {round_number} | {' / '.join(f'{w:.1f}' for w in walls)} "
                    f"| {' / '.join(f'{r:,.0f}' for r in reads)} | {now - logins:,} "
                    f"| {' / '.join(f'{m:.0f}' for m in memory)} |"
                )
                before, logins = after, now
            for engine, _ in engines:
                engine.stop()
    finally:
        for engine, _ in engines:
            engine.kill()
        farm.terminate()
        farm.wait(10)
    return 0


def _next_round(engines: list[tuple[MoganProcess, int]], before: list[dict[str, float]]) -> Any:
    """Every engine's metrics once each has finished one more round than ``before``."""
    deadline = time.monotonic() + 3600
    while time.monotonic() < deadline:
        now = [scrape(port) for _, port in engines]
        if all(n["rounds"] > b["rounds"] for n, b in zip(now, before, strict=True)):
            return now
        time.sleep(0.5)
    raise RuntimeError("the engines ran no power sync round within an hour")


def _pid(process: MoganProcess) -> int:
    assert process.process is not None
    return process.process.pid


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"the BMC farm did not answer at {url}")


if __name__ == "__main__":
    sys.exit(main())
