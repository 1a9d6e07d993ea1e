"""Server groups and their members."""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from mogan.core.pagination import Page, PageRequest
from mogan.db.database import Database, Executor, affected
from mogan.db.models import SERVER_GROUP_MEMBERS, SERVER_GROUPS
from mogan.db.pagination import paginate
from mogan.db.records import ServerGroupRow
from mogan.db.table import columns_of, reading

_GROUPS = SERVER_GROUPS
_MEMBERS = SERVER_GROUP_MEMBERS
_ROWS = select(*columns_of(_GROUPS, ServerGroupRow))


def add(tx: Executor, group: ServerGroupRow) -> None:
    tx.execute(insert(_GROUPS), group._asdict())


def get(source: Database | Executor, uuid: str) -> ServerGroupRow | None:
    with reading(source) as executor:
        row = executor.execute(_ROWS.where(_GROUPS.c.uuid == uuid)).first()
    return None if row is None else ServerGroupRow._make(row)


def page(
    db: Database, project_id: str | None, request: PageRequest, *, max_limit: int
) -> Page[ServerGroupRow]:
    """One page of the project's groups (every project's for None), oldest first. A marker
    must be one of those groups: another project's is as unknown as a made-up one."""
    query = _ROWS if project_id is None else _ROWS.where(_GROUPS.c.project_id == project_id)
    with reading(db) as executor:
        found = paginate(
            executor,
            query,
            _GROUPS.c,
            request,
            sort_keys=("created_at",),
            default_sort="created_at",
            max_limit=max_limit,
        )
    return Page([ServerGroupRow._make(row) for row in found.items], found.next_marker)


def members(source: Database | Executor, group_uuids: list[str]) -> dict[str, list[str]]:
    """Each group's member instances."""
    found: dict[str, list[str]] = {uuid: [] for uuid in group_uuids}
    if group_uuids:
        with reading(source) as executor:
            rows = executor.execute(
                select(_MEMBERS.c.group_uuid, _MEMBERS.c.instance_uuid)
                .where(_MEMBERS.c.group_uuid.in_(group_uuids))
                .order_by(_MEMBERS.c.instance_uuid)
            )
            for group_uuid, instance_uuid in rows:
                found[group_uuid].append(instance_uuid)
    return found


def add_member(tx: Executor, group_uuid: str, instance_uuid: str) -> None:
    tx.execute(insert(_MEMBERS), {"group_uuid": group_uuid, "instance_uuid": instance_uuid})


def delete_one(tx: Executor, uuid: str) -> bool:
    """Remove the group (its members stay, no longer grouped); False if it was gone."""
    return bool(affected(tx.execute(delete(_GROUPS).where(_GROUPS.c.uuid == uuid))))
