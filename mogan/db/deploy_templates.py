"""Deploy templates, and what nodes' BIOS and RAID hold after them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, or_, select

from mogan.core.identifiers import canonical_uuid
from mogan.db.database import Database, Executor
from mogan.db.models import DEPLOY_TEMPLATES, NODE_CONFIGURATIONS
from mogan.db.records import DeployTemplateRow
from mogan.db.table import Table, reading

TEMPLATES: Table[DeployTemplateRow] = Table(DEPLOY_TEMPLATES, DeployTemplateRow)
SORT_KEYS = ("name", "created_at", "uuid")

_TEMPLATES = DEPLOY_TEMPLATES
_CONFIGURATIONS = NODE_CONFIGURATIONS


def find(source: Database | Executor, ident: str) -> DeployTemplateRow | None:
    """The template named ``ident``, or with UUID ``ident`` (a trait's name is never a UUID)."""
    uuid = canonical_uuid(ident)
    wanted = _TEMPLATES.c.name == ident
    if uuid is not None:
        wanted = or_(wanted, _TEMPLATES.c.uuid == uuid)
    with reading(source) as executor:
        row = executor.execute(TEMPLATES.rows.where(wanted)).first()
    return None if row is None else DeployTemplateRow._make(row)


def named(db: Database, names: Sequence[str]) -> list[DeployTemplateRow]:
    """The templates named after any of ``names`` (a type's required traits)."""
    if not names:
        return []
    with db.read_rows() as connection:
        rows = connection.execute(TEMPLATES.rows.where(_TEMPLATES.c.name.in_(list(names))))
        return [DeployTemplateRow._make(row) for row in rows]


def configuration(db: Database, node_uuid: str) -> dict[str, Any] | None:
    """What the node's BIOS and RAID hold, as last reported; None before any template ran."""
    with db.read_rows() as connection:
        row = connection.execute(
            select(
                _CONFIGURATIONS.c.bios_settings,
                _CONFIGURATIONS.c.raid_config,
                _CONFIGURATIONS.c.applied_steps,
                _CONFIGURATIONS.c.applied_at,
            ).where(_CONFIGURATIONS.c.node_uuid == node_uuid)
        ).first()
    return None if row is None else dict(row._mapping)


def record_configuration(
    tx: Executor,
    node_uuid: str,
    *,
    bios_settings: dict[str, Any] | None,
    raid_config: dict[str, Any] | None,
    applied_steps: list[str],
    at: dt.datetime,
) -> None:
    tx.execute(delete(_CONFIGURATIONS).where(_CONFIGURATIONS.c.node_uuid == node_uuid))
    tx.execute(
        insert(_CONFIGURATIONS),
        {
            "node_uuid": node_uuid,
            "bios_settings": bios_settings,
            "raid_config": raid_config,
            "applied_steps": applied_steps,
            "applied_at": at,
        },
    )
