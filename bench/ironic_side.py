"""Issue 5's baseline: standalone Ironic (its single ``ironic`` process, fake-hardware, SQLite as
in ../shared/docs/REAL-PEERS.md) measured on the same data sizes as Mogan in ``bench.scale``.

- GET one node: ``wrk -c8`` against ``/v1/nodes/<uuid>``.
- GET a detail list of 1,000 nodes out of ``stored`` (median of 5): ``stored`` - ``nodes``
  extra nodes are copied in Ironic's database from an enrolled one (enrolling 10,000 over the
  API would take an hour and measure nothing more).
- create → active: ``deploys`` deploys over ``nodes`` enrolled nodes, ``in_flight`` at a time,
  each node undeployed before its next deploy (as Mogan's nodes are reused), polling every
  0.1 s; deploys per second over the whole run.
"""

from __future__ import annotations

import queue
import sqlite3
import statistics
import threading
import time
import uuid as uuid_module
from pathlib import Path

import httpx

from bench.scale import rss_mb, wrk
from tests.peers.ironic import IronicServer, expect

HEADERS = {"X-OpenStack-Ironic-API-Version": "latest"}


def _copy_nodes(database: Path, template: str, count: int) -> None:
    """``count`` copies of node ``template`` with fresh UUIDs and names (Ironic stopped)."""
    with sqlite3.connect(database) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(nodes)")]
        copied = [c for c in columns if c not in ("id", "uuid", "name")]
        row = connection.execute(
            f"SELECT {', '.join(copied)} FROM nodes WHERE uuid = ?", (template,)
        ).fetchone()
        placeholders = ", ".join("?" for _ in range(len(copied) + 2))
        connection.executemany(
            f"INSERT INTO nodes (uuid, name, {', '.join(copied)}) VALUES ({placeholders})",
            [(str(uuid_module.uuid4()), f"copy-{i:05d}", *row) for i in range(count)],
        )


def _deploy_cycles(ironic: IronicServer, nodes: list[str], deploys: int, in_flight: int) -> float:
    free: queue.Queue[str] = queue.Queue()
    for node in nodes:
        free.put(node)
    remaining = [deploys]
    guard = threading.Lock()

    def worker() -> None:
        with httpx.Client(base_url=ironic.url, headers=HEADERS, timeout=60) as api:
            while True:
                with guard:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                node = free.get()
                expect(
                    api.patch(
                        f"/v1/nodes/{node}",
                        json=[
                            {
                                "op": "add",
                                "path": "/instance_info",
                                "value": {"image_source": "http://img/u.qcow2"},
                            }
                        ],
                    ),
                    200,
                )
                expect(
                    api.put(f"/v1/nodes/{node}/states/provision", json={"target": "active"}),
                    202,
                )
                ironic.wait_state(api, node, "active", timeout=300)
                expect(
                    api.put(f"/v1/nodes/{node}/states/provision", json={"target": "deleted"}),
                    202,
                )
                ironic.wait_state(api, node, "available", timeout=300)
                free.put(node)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(in_flight)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started


def measure(
    work: Path, *, stored: int, deploys: int, nodes: int, in_flight: int, seconds: int
) -> dict[str, str]:
    """Ironic's figures, keyed like ``bench.scale``'s rows."""
    ironic = IronicServer(work).start()
    figures: dict[str, str] = {}
    try:
        enrolled = [n["uuid"] for n in ironic.enrol(nodes)]
        ironic.stop()
        _copy_nodes(ironic.workdir / "ironic.sqlite", enrolled[0], max(0, stored - nodes))
        ironic.start()
        rate, p50 = wrk(f"{ironic.url}/v1/nodes/{enrolled[0]}", HEADERS, seconds)
        figures["get_one"] = f"{rate:,.0f} req/s, p50 {p50:.1f} ms"
        with httpx.Client(base_url=ironic.url, headers=HEADERS, timeout=120) as client:
            times = []
            for _ in range(5):
                began = time.perf_counter()
                page = client.get("/v1/nodes/detail", params={"limit": 1000})
                times.append(time.perf_counter() - began)
                assert len(page.json()["nodes"]) == min(1000, max(stored, nodes)), page.text[:200]
        figures["detail"] = f"{statistics.median(times) * 1000:.0f} ms median"
        wall = _deploy_cycles(ironic, enrolled, deploys, in_flight)
        figures["deploys"] = (
            f"{wall:.1f} s, {deploys / wall:.1f} deploys/s ({nodes} nodes, {in_flight} in flight)"
        )
        assert ironic.process is not None
        figures["memory"] = f"{rss_mb(ironic.process.pid):.0f} MiB (API + conductor, one process)"
    finally:
        ironic.stop()
    return figures
