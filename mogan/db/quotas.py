"""Quota limits, and usage counted from the data under a per-project lock.

A request that adds to a project's holdings takes the project's lock (``lock_project``) in
its transaction, counts what the project holds, and adds its rows before committing: the next
request of that project, in any process, counts them (``mogan.db.locks``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, func, insert, literal, null, select, union_all

from mogan.core.quotas import CLASS_PREFIX, Limits
from mogan.db import locks
from mogan.db.database import Database, Executor
from mogan.db.models import INSTANCES, KEYPAIRS, QUOTAS, SERVER_GROUP_MEMBERS, SERVER_GROUPS
from mogan.db.table import reading

_GROUPS = SERVER_GROUPS
_MEMBERS = SERVER_GROUP_MEMBERS


def lock_project(tx: Executor, project_id: str) -> None:
    """Hold the project's quota lock until ``tx`` ends."""
    locks.hold(tx, "quota", project_id)


def lock_user(tx: Executor, user_id: str) -> None:
    """Hold the user's quota lock (key pairs are counted per user) until ``tx`` ends."""
    locks.hold(tx, "quota-user", user_id)


def overrides(source: Database | Executor, project_id: str) -> dict[str, int]:
    """The project's own limits, by resource (``class:…`` for a resource class)."""
    with reading(source) as executor:
        rows = executor.execute(
            select(QUOTAS.c.resource, QUOTAS.c.hard_limit).where(QUOTAS.c.project_id == project_id)
        )
        return {row.resource: row.hard_limit for row in rows}


def limits(source: Database | Executor, project_id: str, defaults: Limits) -> Limits:
    """The project's limits: its own where it has them, ``defaults`` elsewhere."""
    own = overrides(source, project_id)
    classes = dict(defaults.classes)
    named: dict[str, int] = {}
    for resource, limit in own.items():
        if resource.startswith(CLASS_PREFIX):
            classes[resource[len(CLASS_PREFIX) :]] = limit
        else:
            named[resource] = limit
    return Limits(
        instances=named.get("instances", defaults.instances),
        keypairs=named.get("keypairs", defaults.keypairs),
        server_groups=named.get("server_groups", defaults.server_groups),
        server_group_members=named.get("server_group_members", defaults.server_group_members),
        nodes=named.get("nodes", defaults.nodes),
        classes=classes,
    )


def set_limits(tx: Executor, project_id: str, values: Mapping[str, int]) -> None:
    """Make ``values`` the project's own limits on those resources (others unchanged)."""
    if not values:
        return
    tx.execute(
        delete(QUOTAS).where(QUOTAS.c.project_id == project_id, QUOTAS.c.resource.in_(list(values)))
    )
    tx.execute(
        insert(QUOTAS),
        [{"project_id": project_id, "resource": r, "hard_limit": v} for r, v in values.items()],
    )


def delete_limits(tx: Executor, project_id: str) -> None:
    """Back to the defaults for every resource."""
    tx.execute(delete(QUOTAS).where(QUOTAS.c.project_id == project_id))


def instances_held(
    source: Database | Executor, project_id: str, group_uuid: str | None = None
) -> tuple[int, dict[str, int], int]:
    """The project's instances (any status, until each row is gone), how many of them hold a
    node of each resource class, and how many members the server group ``group_uuid`` has
    (0 without one): one statement, as a create counts them under the project's lock."""
    kind = literal(_INSTANCES_ROW).label("kind")
    query: Any = (
        select(kind, INSTANCES.c.resource_class, func.count())
        .where(INSTANCES.c.project_id == project_id)
        .group_by(INSTANCES.c.resource_class)
    )
    if group_uuid is not None:
        members = select(literal(_MEMBERS_ROW), null(), func.count()).where(
            _MEMBERS.c.group_uuid == group_uuid
        )
        query = union_all(query, members)
    with reading(source) as executor:
        rows = executor.execute(query).all()
    counts: dict[str | None, int] = {
        row[1]: int(row[2]) for row in rows if row[0] == _INSTANCES_ROW
    }
    members_held = sum(int(row[2]) for row in rows if row[0] == _MEMBERS_ROW)
    total = sum(counts.values())
    return total, {k: v for k, v in counts.items() if k is not None}, members_held


#: ``instances_held``'s rows: the project's instances of a resource class, the group's members.
_INSTANCES_ROW = 0
_MEMBERS_ROW = 1


def keypairs_held(source: Database | Executor, user_id: str) -> int:
    with reading(source) as executor:
        return int(
            executor.execute(
                select(func.count()).select_from(KEYPAIRS).where(KEYPAIRS.c.user_id == user_id)
            ).scalar_one()
        )


def server_groups_held(source: Database | Executor, project_id: str) -> int:
    with reading(source) as executor:
        return int(
            executor.execute(
                select(func.count()).select_from(_GROUPS).where(_GROUPS.c.project_id == project_id)
            ).scalar_one()
        )
