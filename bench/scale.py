"""Mogan at scale on PostgreSQL (`mogan api` with 2 workers, engines with the fake driver at
zero latency) beside standalone Ironic on the same data sizes (``bench.ironic_side``). Prints a
table.

    apt-get install wrk        # once
    .venv/bin/python -m bench.scale [--instances 1000] [--stored 10000]

Figures:
- GET one instance: ``wrk -c8 -d20s`` against ``/v1/instances/<uuid>``.
- GET a detail list of 1,000 instances out of ``--stored`` in the database (median of 20).
- create → active for ``--instances`` instances on as many nodes, with 1 and with 2 engines
  (32 concurrent clients posting; wall time from the first POST to the last ``active``).
- Memory (RSS) per process, and the machine's ceiling: a bare ASGI app under uvicorn answering
  a pre-built JSON body of the same size, under the same wrk load.

``--profile [DIR]`` records the API workers and the engines with py-spy during GET one and
during create → active with 2 engines (``bench.profile``): flame graphs in DIR, and a second
table of where their CPU went. The recorders share the cores, so take the first table's
figures from a run without it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid as uuid_module
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

import bench
from bench.profile import Spy, share_table
from mogan.db import bulk
from mogan.db.database import Database
from tests.databases import fresh_database
from tests.functional.process import MoganProcess, free_port, mogan_command

ADMIN = {"X-Project-Id": "admin", "X-User-Id": "admin", "X-Roles": "admin"}
#: Fits PostgreSQL's default max_connections (100): 2 engines x (16 + 4) + 2 API workers x 15.
DATABASE = {"max_pool_size": 10, "max_overflow": 5}
ENGINE = {
    "workers": 16,
    "lease_timeout": 30,  # the default; the test harness's 3 s is for takeover tests
    "poll_interval": 30,
    "sync_power_state_interval": 0,
    "power_poll_interval": 0.05,
    "driver_retry_interval": 0.05,
}


def wrk(url: str, headers: dict[str, str], seconds: int = 20) -> tuple[float, float]:
    """(requests per second, p50 latency in ms) of wrk -t2 -c8 against ``url``."""
    args = ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency"]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    assert p50 is not None, out
    latency, unit = float(p50.group(1)), p50.group(2)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return rate, latency * scale


def process_tree(pids: list[int]) -> list[int]:
    """``pids`` and all their descendants (uvicorn's workers) that are still running."""
    found: list[int] = []
    pending = list(pids)
    while pending:
        current = pending.pop()
        if current in found:  # listed and also a child of one listed
            continue
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except FileNotFoundError:
            continue
        found.append(current)
        pending += [int(c) for c in children]
    return found


def _each(pids: list[int]) -> str:
    """Each process's own resident memory: "97 / 99 MiB"."""
    return " / ".join(f"{_own_rss_mb(pid):.0f}" for pid in pids) + " MiB"


def _cmdline(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def _own_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MiB."""
    total = 0
    for current in process_tree([pid]):
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        except (FileNotFoundError, AttributeError):
            pass
    return total / 1024


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes and their descendants, in seconds, counting the
    ones that have exited: PostgreSQL ends a backend when the pool closes a connection above
    its size, and the backend's CPU then moves to the postmaster's children's time."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for current in process_tree(pids):
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        # utime, stime, and cutime, cstime: the children it has reaped.
        total += sum(int(f) for f in fields[11:15])
    return total / ticks


def postgres_pids() -> list[int]:
    """Every PostgreSQL process on this machine: the postmaster (whose children's time holds
    the backends that have exited), backends, WAL writer, checkpointer…"""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def _pid(process: MoganProcess) -> int:
    assert process.process is not None
    return process.process.pid


class JsonPoster:
    """POSTs JSON over one keep-alive HTTP/1.1 connection with the standard library.

    The load generator shares this machine's two cores with what it measures: httpx spent
    about 1 ms of CPU per request, ``http.client`` a fifth of that, which the service gets.
    """

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        parts = urlsplit(url)
        self._connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self._headers = {**headers, "Content-Type": "application/json"}

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        """(status, decoded JSON body) of POST ``path``."""
        self._connection.request("POST", path, json.dumps(body).encode(), self._headers)
        response = self._connection.getresponse()
        return response.status, json.loads(response.read())

    def close(self) -> None:
        self._connection.close()


def upgrade(work: Path, url: str) -> None:
    """Bring the database at ``url`` to the current schema, as an operator does
    (``mogan db upgrade``)."""
    config = work / "upgrade.conf"
    config.write_text(f"[database]\nconnection = {url}\n")
    subprocess.run(
        [*mogan_command(), "--config-file", str(config), "db", "upgrade"],
        check=True,
        capture_output=True,
    )


def seed_instances(url: str, count: int, first: int = 0) -> str:
    """``count`` active instances (one in a hundred tagged ``blue``) through the data layer's
    bulk load (``mogan.db.bulk``); the uuid of the first."""
    db = Database(url)
    start = dt.datetime(2026, 1, 1)
    rows = [
        {
            "uuid": str(uuid_module.uuid4()),
            "name": f"stored-{i}",
            "project_id": "admin",
            "user_id": "admin",
            "status": "active",
            "power_state": "power on",
            "instance_type_uuid": str(uuid_module.UUID(int=1)),
            "image_uuid": str(uuid_module.UUID(int=2)),
            "availability_zone": "az1",
            "network_info": {},
            "extra": {"role": "web"},
            "created_at": start + dt.timedelta(seconds=i),
            "tags": ["blue"] if i % 100 == 0 else [],
        }
        for i in range(first, first + count)
    ]
    bulk.add_instances(db, rows)
    db.dispose()
    return str(rows[0]["uuid"]) if rows else ""


def seed_nodes(url: str, count: int) -> float:
    """``count`` available fake nodes, one NIC each, through the bulk load; seconds taken."""
    db = Database(url)
    began = time.perf_counter()
    bulk.add_nodes(
        db,
        (
            {
                "uuid": str(uuid_module.uuid4()),
                "name": f"seeded-{i}",
                "driver": "fake",
                "availability_zone": "az1",
                "provision_state": "available",
                "power_state": "power off",
                "created_at": dt.datetime(2026, 1, 1) + dt.timedelta(seconds=i),
                "nics": [
                    {
                        "uuid": str(uuid_module.uuid4()),
                        "mac_address": f"52:57:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:"
                        f"{i & 255:02x}:01",
                    }
                ],
            }
            for i in range(count)
        ),
    )
    spent = time.perf_counter() - began
    db.dispose()
    return spent


def median_ms(client: httpx.Client, path: str, params: dict[str, Any], runs: int = 20) -> float:
    """The median time of ``runs`` GETs, in ms (each answered 200)."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        client.get(path, params=params).raise_for_status()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def wait_verified(client: httpx.Client, timeout: float = 600) -> None:
    """Until no node is ``verifying``: the engines have checked every enrolled node."""
    deadline = time.monotonic() + timeout
    while client.get("/v1/nodes", params={"provision_state": "verifying", "limit": 1}).json()[
        "nodes"
    ]:
        if time.monotonic() > deadline:
            raise RuntimeError(f"nodes still verifying after {timeout} s")
        time.sleep(0.2)


def enrol_fleet(api_url: str, count: int, prefix: str) -> dict[str, Any]:
    """``count`` fake nodes, a type, an image and a network; returns an instance request."""
    client = httpx.Client(base_url=api_url, headers=ADMIN, timeout=60)
    for index in range(count):
        response = client.post(
            "/v1/nodes",
            json={
                "name": f"{prefix}-node-{index}",
                "driver": "fake",
                "availability_zone": "az1",
                "nics": [
                    {
                        "mac_address": f"52:55:{ord(prefix[0]):02x}:{index // 256:02x}:"
                        f"{index % 256:02x}:01"
                    }
                ],
            },
        )
        assert response.status_code == 201, response.text
    wait_verified(client)
    type_ = client.post("/v1/types", json={"name": f"{prefix}-type"}).json()
    image = client.post(
        "/v1/images", json={"name": "i", "url": "http://i/x.iso", "disk_format": "iso"}
    ).json()
    network = client.post(
        "/v1/networks", json={"name": "n", "subnets": [{"cidr": f"10.{len(prefix)}.0.0/16"}]}
    ).json()
    client.close()
    return {
        "instance_type_uuid": type_["uuid"],
        "image_uuid": image["uuid"],
        "networks": [{"net_id": network["uuid"]}],
    }


def create_to_active(
    api_url: str,
    body: dict[str, Any],
    count: int,
    prefix: str,
    when_done: Callable[[], None] = lambda: None,
) -> float:
    """Seconds from the first POST of ``count`` instances (32 clients) to the last active;
    ``when_done`` is called at that moment, before they are checked one by one."""
    client = httpx.Client(base_url=api_url, headers=ADMIN, timeout=60)
    local = threading.local()
    posters: list[JsonPoster] = []

    def post(index: int) -> str:
        # One keep-alive connection per posting thread (see ``JsonPoster``).
        if not hasattr(local, "poster"):
            local.poster = JsonPoster(api_url, ADMIN)
            posters.append(local.poster)
        status, made = local.poster.post("/v1/instances", {**body, "name": f"{prefix}-{index}"})
        assert status == 201, made
        return str(made["uuid"])

    started = time.perf_counter()
    with ThreadPoolExecutor(32) as pool:
        wanted = set(pool.map(post, range(count)))
    for poster in posters:
        poster.close()
    # Wait until nothing is building (a one-row query), then check every instance is active.
    while client.get(
        "/v1/instances", params={"all_tenants": 1, "status": "building", "limit": 1}
    ).json()["instances"]:
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    when_done()
    # Newest first, until every one is found: not a walk through all the stored instances.
    done: set[str] = set()
    next_url: str | None = (
        "/v1/instances?all_tenants=1&limit=1000&status=active&fields=uuid"
        "&sort_key=created_at&sort_dir=desc"
    )
    while next_url and not wanted <= done:
        page = client.get(next_url).json()
        done |= {i["uuid"] for i in page["instances"]}
        next_url = page.get("next")
    assert wanted <= done, f"{len(wanted - done)} instances did not become active"
    client.close()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=1000)
    parser.add_argument("--stored", type=int, default=10000)
    parser.add_argument(
        "--nodes", type=int, default=0, help="available nodes loaded in bulk besides those enrolled"
    )
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument(
        "--no-ironic", action="store_true", help="skip the standalone Ironic baseline"
    )
    parser.add_argument("--ironic-nodes", type=int, default=200)
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument(
        "--profile",
        nargs="?",
        type=Path,
        const=Path(tempfile.gettempdir()) / "mogan-scale-profile",
        help="record flame graphs of the API and engines into this directory",
    )
    args = bench.parse(
        parser, instances=40, stored=500, seconds=1, ironic_nodes=8, in_flight=4, nodes=200
    )
    work = Path(tempfile.mkdtemp(prefix="mogan-scale-"))
    rows: list[tuple[str, str, str]] = []  # (key, figure, Mogan's value)
    spies: list[Spy] = []
    ironic: dict[str, str] = {}
    if not args.no_ironic:
        from bench import ironic_side

        ironic = ironic_side.measure(
            work,
            stored=args.stored,
            deploys=args.instances,
            nodes=args.ironic_nodes,
            in_flight=args.in_flight,
            seconds=args.seconds,
        )
    with fresh_database("postgresql", str(work)) as url:
        upgrade(work, url)
        api = MoganProcess(
            work, url, command="api", api={"workers": 2}, engine=ENGINE, database=DATABASE
        ).start()
        engines = [
            MoganProcess(work, url, command="engine", engine=ENGINE, database=DATABASE).start()
        ]
        try:
            small = min(1000, args.stored)
            one = seed_instances(url, small)
            with httpx.Client(base_url=api.url, headers=ADMIN, timeout=60) as client:
                every = {"all_tenants": 1, "limit": 1000}
                at_small = median_ms(client, "/v1/instances/detail", every)
                began = time.perf_counter()
                seed_instances(url, args.stored - small, first=small)
                seeded = time.perf_counter() - began
                nodes_seeded = seed_nodes(url, args.nodes)
                rows.append(
                    (
                        "seed",
                        "bulk load (mogan.db.bulk)",
                        f"{args.stored - small:,} instances in {seeded:.1f} s, "
                        f"{args.nodes:,} nodes in {nodes_seeded:.1f} s",
                    )
                )
                with profiled(args.profile, spies, "get-one", {"api": _pid(api)}):
                    rate, p50 = wrk(f"{api.url}/v1/instances/{one}", ADMIN, args.seconds)
                rows.append(
                    ("get_one", "GET one instance, wrk -c8", f"{rate:,.0f} req/s, p50 {p50:.1f} ms")
                )
                at_large = median_ms(client, "/v1/instances/detail", every)
                rows.append(
                    (
                        "detail",
                        f"GET detail list of 1,000 (of {args.stored:,} stored)",
                        f"{at_large:.0f} ms median ({at_large / at_small:.2f}x the "
                        f"{at_small:.0f} ms at {small:,} stored)",
                    )
                )
                filtered = {
                    "status": ("/v1/instances", {"all_tenants": 1, "status": "active"}),
                    "name": ("/v1/instances", {"all_tenants": 1, "name": f"stored-{small + 7}"}),
                    "tag": ("/v1/instances", {"all_tenants": 1, "tags": "blue"}),
                    "node state": ("/v1/nodes", {"provision_state": "available"}),
                }
                figures = ", ".join(
                    f"{name} {median_ms(client, path, {**params, 'limit': 100}):.1f} ms"
                    for name, (path, params) in filtered.items()
                )
                rows.append(("filtered", "list filtered, a page of 100 (median)", figures))
            request = enrol_fleet(api.url, args.instances, "one")
            single = create_to_active(api.url, request, args.instances, "one")
            rows.append(
                (
                    "deploys",
                    f"create → active, {args.instances:,} instances, 1 engine",
                    f"{single:.1f} s, {args.instances / single:.0f} instances/s",
                )
            )
            engines.append(
                MoganProcess(work, url, command="engine", engine=ENGINE, database=DATABASE).start()
            )
            groups = {
                "API workers": lambda: cpu_seconds([_pid(api)]),
                "engines": lambda: cpu_seconds([_pid(e) for e in engines]),
                "PostgreSQL": lambda: cpu_seconds(postgres_pids()),
                # Its own threads only: the Mogan processes are its children.
                "this benchmark (clients)": time.process_time,
            }
            request = enrol_fleet(api.url, args.instances, "two")
            before = {name: measure() for name, measure in groups.items()}
            spent: dict[str, float] = {}

            def spent_so_far() -> None:
                spent.update({name: measure() - before[name] for name, measure in groups.items()})

            targets = {"api": _pid(api)} | {
                f"engine-{n}": _pid(e) for n, e in enumerate(engines, start=1)
            }
            with profiled(args.profile, spies, "create", targets):
                double = create_to_active(api.url, request, args.instances, "two", spent_so_far)
            rows.append(
                (
                    "deploys2",
                    f"create → active, {args.instances:,} instances, 2 engines",
                    f"{double:.1f} s, {args.instances / double:.0f} instances/s "
                    f"({single / double:.2f}x)",
                )
            )
            rows.append(
                (
                    "cpu",
                    "CPU per instance created, 2 engines",
                    ", ".join(
                        f"{name} {seconds / args.instances * 1000:.1f} ms"
                        for name, seconds in spent.items()
                    ),
                )
            )
            supervisor, *children = process_tree([_pid(api)])
            # multiprocessing's resource tracker is a child too, but no worker.
            workers = [pid for pid in children if b"resource_tracker" not in _cmdline(pid)]
            rows.append(
                (
                    "memory",
                    "memory (RSS): API workers, their supervisor, engines",
                    f"workers {_each(workers)}, supervisor {_each([supervisor])}, "
                    f"engines {_each([_pid(e) for e in engines])}",
                )
            )
        finally:
            for process in (api, *engines):
                process.kill()
    body = json.dumps({"instance": "x" * 700}).encode()
    app = work / "bare.py"
    app.write_text(
        f"BODY = {body!r}\n"
        "async def app(scope, receive, send):\n"
        "    await send({'type': 'http.response.start', 'status': 200, "
        "'headers': [(b'content-type', b'application/json')]})\n"
        "    await send({'type': 'http.response.body', 'body': BODY})\n"
    )
    port = free_port()
    bare = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bare:app",
            "--port",
            str(port),
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=work,
    )
    try:
        time.sleep(2)
        rate, p50 = wrk(f"http://127.0.0.1:{port}/", {}, args.seconds)
        rows.append(
            (
                "ceiling",
                "ceiling: bare ASGI app, same-size body, 2 workers",
                f"{rate:,.0f} req/s, p50 {p50:.1f} ms",
            )
        )
    finally:
        bare.terminate()
        bare.wait()
    print(f"\nMogan on PostgreSQL and standalone Ironic, this machine ({os.cpu_count()} cores)\n")
    print("| figure | Mogan | standalone Ironic |")
    print("| --- | --- | --- |")
    for key, name, value in rows:
        print(f"| {name} | {value} | {ironic.get(key, '')} |")
    if spies:
        print(f"\nWhere the CPU went (py-spy, innermost frames; flame graphs in {args.profile})\n")
        print(share_table(spies))
    return 0


@contextlib.contextmanager
def profiled(
    out: Path | None, spies: list[Spy], phase: str, targets: dict[str, int]
) -> Iterator[None]:
    """Runs the block under ``Spy`` when ``--profile`` asked for it (``spies`` collects it)."""
    if out is None:
        yield
        return
    with Spy(out, phase, targets) as spy:
        yield
    spies.append(spy)


if __name__ == "__main__":
    sys.exit(main())
