"""The instance types' data: types, their extra specs and private types' access lists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import BindParameter, ColumnElement, delete, exists, insert, or_, select
from sqlalchemy.engine import Connection

from mogan.core.errors import NotFound
from mogan.core.identifiers import canonical_uuid
from mogan.core.pagination import Page, PageRequest
from mogan.db.database import Database, Executor, affected
from mogan.db.models import INSTANCE_TYPE_EXTRA_SPECS, INSTANCE_TYPE_PROJECTS, INSTANCE_TYPES
from mogan.db.records import TypeRow
from mogan.db.table import Table, reading

TYPES: Table[TypeRow] = Table(INSTANCE_TYPES, TypeRow)
SORT_KEYS = ("name", "created_at", "uuid")

_TYPES = INSTANCE_TYPES
_SPECS = INSTANCE_TYPE_EXTRA_SPECS
_ACCESS = INSTANCE_TYPE_PROJECTS


def visible_to(project_id: str | BindParameter[str]) -> ColumnElement[bool]:
    """Public types, and private ones shared with ``project_id`` (a value, or a parameter of
    a prebuilt statement)."""
    shared = exists().where(
        _ACCESS.c.type_uuid == _TYPES.c.uuid, _ACCESS.c.project_id == project_id
    )
    return or_(_TYPES.c.is_public.is_(True), shared)


def page(
    db: Database, request: PageRequest, *, visible_to_project: str | None, max_limit: int
) -> Page[TypeRow]:
    """One page of the types ``visible_to_project`` may use (every type when None)."""
    where = [] if visible_to_project is None else [visible_to(visible_to_project)]
    return TYPES.page(
        db, request, where=where, sort_keys=SORT_KEYS, default_sort="name", max_limit=max_limit
    )


def find(
    db: Database,
    ident: str,
    *,
    visible_to_project: str | None,
    locked_in: Connection | None = None,
) -> TypeRow:
    """The type, if ``visible_to_project`` may see it (any when None); ``NotFound`` else.
    Read in ``locked_in`` (and locked) when given."""
    key = canonical_uuid(ident)
    row = None
    if key is not None:
        query = TYPES.rows.where(_TYPES.c.uuid == key)
        if visible_to_project is not None:
            query = query.where(visible_to(visible_to_project))
        if locked_in is not None and locked_in.dialect.name != "sqlite":
            query = query.with_for_update(of=_TYPES)
        with reading(locked_in or db) as executor:
            row = executor.execute(query).first()
    if row is None:
        raise NotFound(f"Instance type {ident} could not be found.")
    return TypeRow._make(row)


def specs_of(source: Database | Executor, type_uuids: Sequence[str]) -> dict[str, dict[str, str]]:
    """Each type's extra specs."""
    found: dict[str, dict[str, str]] = {uuid: {} for uuid in type_uuids}
    if type_uuids:
        with reading(source) as executor:
            for row in executor.execute(
                select(_SPECS.c.type_uuid, _SPECS.c.key, _SPECS.c.value).where(
                    _SPECS.c.type_uuid.in_(list(type_uuids))
                )
            ):
                found[row.type_uuid][row.key] = row.value
    return found


def set_specs(tx: Executor, type_uuid: str, specs: Mapping[str, str]) -> None:
    """Create or replace these extra specs of the type (others stay)."""
    if not specs:
        return
    tx.execute(delete(_SPECS).where(_SPECS.c.type_uuid == type_uuid, _SPECS.c.key.in_(list(specs))))
    tx.execute(
        insert(_SPECS),
        [{"type_uuid": type_uuid, "key": key, "value": value} for key, value in specs.items()],
    )


def delete_spec(tx: Executor, type_uuid: str, key: str) -> bool:
    """Remove one extra spec; False when the type had none by that key."""
    removed = tx.execute(delete(_SPECS).where(_SPECS.c.type_uuid == type_uuid, _SPECS.c.key == key))
    return bool(affected(removed))


def access_of(db: Database, type_uuid: str) -> list[str]:
    """The projects a private type is shared with, sorted."""
    with db.read_rows() as connection:
        return list(
            connection.execute(
                select(_ACCESS.c.project_id)
                .where(_ACCESS.c.type_uuid == type_uuid)
                .order_by(_ACCESS.c.project_id)
            ).scalars()
        )


def grant(tx: Executor, type_uuid: str, project_id: str) -> bool:
    """Share the type with the project; False when it already was."""
    shared = tx.execute(
        select(_ACCESS.c.project_id).where(
            _ACCESS.c.type_uuid == type_uuid, _ACCESS.c.project_id == project_id
        )
    ).first()
    if shared is not None:
        return False
    tx.execute(insert(_ACCESS), {"type_uuid": type_uuid, "project_id": project_id})
    return True


def revoke(tx: Executor, type_uuid: str, project_id: str) -> bool:
    """Stop sharing the type with the project; False when it was not shared."""
    removed = tx.execute(
        delete(_ACCESS).where(_ACCESS.c.type_uuid == type_uuid, _ACCESS.c.project_id == project_id)
    )
    return bool(affected(removed))
