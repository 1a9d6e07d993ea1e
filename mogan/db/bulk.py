"""Loading a fleet in bulk: thousands of nodes (with their NICs) or instances (with their tags)
in one multi-row statement per batch, through the models' tables so that every column a row
leaves out takes its model default.

For benchmarks, demos and migrations from another inventory: it checks nothing an enrolment
or a create checks (no BMC is asked, nothing is verified, no quota counted), so the rows must
already be what they say. 20,000 nodes and 100,000 instances load in seconds on PostgreSQL
(``bench.scale --nodes 20000 --stored 100000``). After a load the tables are analyzed, as after
any bulk load: until autovacuum gets to them, PostgreSQL would plan the lists on the sizes it
saw before (a sort of the whole table where an index walk of a page would do).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import insert

from mogan.core.clock import utcnow
from mogan.db.database import Database
from mogan.db.models import INSTANCE_TAGS, INSTANCES, NICS, NODES

#: Rows per statement: large enough that the round trips vanish, small enough that one batch
#: is not a memory spike.
BATCH = 2000

_TAGS = INSTANCE_TAGS


def add_nodes(db: Database, nodes: Iterable[Mapping[str, Any]]) -> int:
    """Insert ``nodes`` (the ``nodes`` table's columns, and ``nics``: a list of the NICs'
    columns, each with its ``uuid`` and ``mac_address``); how many were added."""
    added = 0
    for batch in _batches(nodes):
        node_rows = [{k: v for k, v in node.items() if k != "nics"} for node in batch]
        nic_rows = [
            {**nic, "node_uuid": node["uuid"]} for node in batch for nic in node.get("nics", ())
        ]
        for row, node in zip(node_rows, batch, strict=True):
            row.setdefault("nic_count", len(node.get("nics", ())))
        with db.transaction() as tx:
            tx.execute(insert(NODES), node_rows)
            if nic_rows:
                tx.execute(insert(NICS), nic_rows)
        added += len(batch)
    db.analyze("nodes", "nics")
    return added


def add_instances(db: Database, instances: Iterable[Mapping[str, Any]]) -> int:
    """Insert ``instances`` (the ``instances`` table's columns, and ``tags``: a list of
    strings); how many were added."""
    added = 0
    for batch in _batches(instances):
        rows = [{k: v for k, v in instance.items() if k != "tags"} for instance in batch]
        for row, instance in zip(rows, batch, strict=True):
            row.setdefault("tags", list(instance.get("tags", ())))
            row.setdefault("created_at", utcnow())
        tag_rows = [
            {"instance_uuid": row["uuid"], "tag": tag, "created_at": row["created_at"]}
            for row in rows
            for tag in row["tags"]
        ]
        with db.transaction() as tx:
            tx.execute(insert(INSTANCES), rows)
            if tag_rows:
                tx.execute(insert(_TAGS), tag_rows)
        added += len(batch)
    db.analyze("instances", "instance_tags")
    return added


def _batches(rows: Iterable[Mapping[str, Any]]) -> Iterator[Sequence[Mapping[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        yield batch
