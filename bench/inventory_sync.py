"""Mogan's side of the Ironic inventory sync at region size: what a sync costs Mogan's engine
and PostgreSQL when Ironic has N nodes (two ports and a trait each).

    .venv/bin/python -m bench.inventory_sync [--nodes 1000,20000] [--engines 2]

Per fleet size, on a fresh PostgreSQL database: the first sync (every node new), a sync with
nothing changed (what every engine runs each ``[engine] sync_inventory_interval``), and one
with 1% of the nodes changed in Ironic (maintenance set). Each is run as one of ``--engines``
engines (its share of the hash ring), and the table shows seconds, SQL statements and
statements per node of the share. Ironic's listing is held in memory, built once: its cost is
Ironic's (``GET /v1/nodes?detail`` and the ports, paged), not Mogan's, and is not measured
here. The real sync against a real Ironic is tested in ``tests/functional/test_ironic.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
import uuid as uuid_module
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event

import bench
from bench.scale import upgrade
from mogan.core.hashring import HashRing
from mogan.db.database import Database
from mogan.drivers.base import InventoryNode, InventoryPort
from mogan.drivers.registry import DriverRegistry
from mogan.engine.inventory import InventoryResult, sync_inventory
from tests.databases import fresh_database
from tests.inventory import Listing, ListingDriver, available_node


def _fleet(count: int) -> list[InventoryNode]:
    def node(i: int) -> InventoryNode:
        return available_node(
            f"ironic-{i:05d}",
            tuple(
                InventoryPort(
                    str(uuid_module.uuid4()),
                    f"52:54:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}:{nic:02x}",
                    "25GE",
                    {"switch_id": "00:11:22:33:44:55", "port_id": f"Eth1/{nic}"},
                )
                for nic in range(2)
            ),
            ("CUSTOM_RAID10",),
            cpus=64,
            memory_mb=262144,
            local_gb=960,
            rack=f"r{i % 40}",
        )

    return [node(i) for i in range(count)]


def _counting(db: Database) -> Callable[[], int]:
    """A reader of how many statements ``db`` has run so far."""
    count = [0]

    def executed(*_args: Any) -> None:
        count[0] += 1

    event.listen(db.engine, "before_cursor_execute", executed)
    return lambda: count[0]


def _timed(
    db: Database,
    drivers: DriverRegistry,
    owns: Callable[[str], bool],
    statements: Callable[[], int],
) -> tuple[float, int, InventoryResult]:
    before = statements()
    began = time.perf_counter()
    result = sync_inventory(db, drivers, owns=owns)
    return time.perf_counter() - began, statements() - before, result


def measure(work: Path, count: int, engines: int) -> list[tuple[str, ...]]:
    listing = Listing()
    listing.nodes = _fleet(count)
    ring = HashRing([f"engine-{n}" for n in range(engines)])
    share = sum(1 for node in listing.nodes if ring.share_owner(node.uuid) == "engine-0")

    def owns(node_uuid: str) -> bool:
        return ring.share_owner(node_uuid) == "engine-0"

    rows = []
    with fresh_database("postgresql", str(work)) as url:
        upgrade(work, url)
        db = Database(url)
        statements = _counting(db)
        drivers = DriverRegistry({"ironic": lambda: ListingDriver(listing)})
        try:
            changed = max(1, count // 100)
            for label, change in (
                ("first sync (all new)", None),
                ("nothing changed", None),
                (f"{changed} changed (maintenance)", changed),
            ):
                if change:
                    listing.nodes[:change] = [
                        dataclasses.replace(node, maintenance=True, maintenance_reason="fan")
                        for node in listing.nodes[:change]
                    ]
                seconds, executed, result = _timed(db, drivers, owns, statements)
                rows.append(
                    (
                        f"{count:,}",
                        f"{share:,}",
                        label,
                        f"{len(result.added) + len(result.updated)}",
                        f"{seconds:.2f}",
                        f"{executed:,}",
                        f"{executed / share:.2f}",
                    )
                )
        finally:
            db.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", default="1000,20000", help="fleet sizes, comma-separated")
    parser.add_argument("--engines", type=int, default=2)
    options = bench.parse(parser, nodes="200")
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for count in (int(n) for n in options.nodes.split(",")):
            rows += measure(Path(work), count, options.engines)
    print(
        f"Inventory sync, Mogan's side, as one of {options.engines} engines (PostgreSQL)\n\n"
        "| Ironic nodes | this engine's share | sync | added/updated | s | statements "
        "| statements per node |\n| ---: | ---: | --- | ---: | ---: | ---: | ---: |"
    )
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
