"""Availability zones: the zones of the enrolled nodes."""

from __future__ import annotations

from sqlalchemy import select

from mogan.db.database import Database
from mogan.db.models import Node
from mogan.services.context import RequestContext
from mogan.services.policy import Policy


class ZoneService:
    def __init__(self, db: Database, policy: Policy) -> None:
        self._db = db
        self._policy = policy

    def list(self, context: RequestContext) -> list[str]:
        self._policy.authorize("mogan:availability_zone:get_all", context)
        with self._db.read() as session:
            return list(
                session.scalars(
                    select(Node.availability_zone)
                    .where(Node.availability_zone.is_not(None))
                    .distinct()
                    .order_by(Node.availability_zone)
                )
            )
