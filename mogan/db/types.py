"""The instance types' data (more of it moves here as the types use cases are reworked)."""

from __future__ import annotations

from sqlalchemy import BindParameter, ColumnElement, exists, or_

from mogan.db.models import InstanceType, InstanceTypeProject


def visible_to(project_id: str | BindParameter[str]) -> ColumnElement[bool]:
    """Public types, and private ones shared with ``project_id`` (a value, or a parameter of
    a prebuilt statement)."""
    shared = exists().where(
        InstanceTypeProject.type_uuid == InstanceType.uuid,
        InstanceTypeProject.project_id == project_id,
    )
    return or_(InstanceType.is_public.is_(True), shared)
