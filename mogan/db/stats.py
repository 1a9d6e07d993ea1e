"""Counts for the metrics an operator watches, read when Prometheus scrapes: one grouped count
per table, each over an index or a table the size of the fleet (never a row per instance sent
back)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from mogan.core.clock import utcnow
from mogan.db.database import Database
from mogan.db.models import INSTANCES, NODES, OPERATIONS

_BY_STATUS = select(INSTANCES.c.status, func.count()).group_by(INSTANCES.c.status)
_BY_STATE = select(
    NODES.c.provision_state, NODES.c.power_state, NODES.c.maintenance, func.count()
).group_by(NODES.c.provision_state, NODES.c.power_state, NODES.c.maintenance)
_NODE_GROUPS = select(
    NODES.c.provision_state,
    NODES.c.maintenance,
    NODES.c.instance_uuid.is_not(None).label("associated"),
    NODES.c.availability_zone,
    func.count(),
).group_by(
    NODES.c.provision_state,
    NODES.c.maintenance,
    NODES.c.instance_uuid.is_not(None),
    NODES.c.availability_zone,
)
_QUEUE = (
    select(OPERATIONS.c.status, func.count(), func.min(OPERATIONS.c.created_at))
    .where(OPERATIONS.c.status.in_(("pending", "running")))
    .group_by(OPERATIONS.c.status)
)


@dataclass(frozen=True)
class FleetCounts:
    instances_by_status: dict[str, int]
    #: (provision state, power state or "unknown", maintenance) → nodes.
    nodes_by_state: dict[tuple[str, str, bool], int]
    #: status (pending, running) → (operations, seconds the oldest has waited).
    operations: dict[str, tuple[int, float]]


def fleet_counts(db: Database) -> FleetCounts:
    with db.read_rows() as connection:
        instances = {status: int(n) for status, n in connection.execute(_BY_STATUS)}
        nodes = {
            (provision, power or "unknown", bool(maintenance)): int(n)
            for provision, power, maintenance, n in connection.execute(_BY_STATE)
        }
        now = utcnow()
        operations = {
            status: (int(n), _age(now, oldest)) for status, n, oldest in connection.execute(_QUEUE)
        }
    return FleetCounts(instances, nodes, operations)


def _age(now: dt.datetime, oldest: dt.datetime | None) -> float:
    return max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0


@dataclass(frozen=True)
class NodeGroup:
    """How many nodes share a provision state, maintenance, being associated and a zone."""

    provision_state: str
    maintenance: bool
    associated: bool
    availability_zone: str | None
    count: int


def node_groups(db: Database) -> list[NodeGroup]:
    """The fleet in groups (a few dozen rows at any size): what a fleet overview counts."""
    with db.read_rows() as connection:
        return [
            NodeGroup(state, bool(maintenance), bool(associated), zone, int(n))
            for state, maintenance, associated, zone, n in connection.execute(_NODE_GROUPS)
        ]
