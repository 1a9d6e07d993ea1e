"""Availability zones: the zones of the enrolled nodes."""

from __future__ import annotations

from mogan.db import nodes
from mogan.db.database import Database
from mogan.services.context import RequestContext
from mogan.services.policy import Policy


class ZoneService:
    def __init__(self, db: Database, policy: Policy) -> None:
        self._db = db
        self._policy = policy

    def list(self, context: RequestContext) -> list[str]:
        """The zones the caller's project may place instances in; an administrator (who
        sees the fleet) sees every zone."""
        self._policy.authorize("mogan:availability_zone:get_all", context)
        sees_fleet = self._policy.check("mogan:node:get", context)
        return nodes.zones(self._db, None if sees_fleet else context.project_id)
