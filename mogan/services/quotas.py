"""Quotas: operators set a project's limits; a project reads its usage against them.

Limits a project has not been given are ``[quota]``'s defaults; ``-1`` is unlimited. Usage is
counted from the data, never stored (``mogan.db.quotas``), so it is exact at every instant:
an instance counts until it is gone (after its tear-down), as in Nova, whatever its status.
"""

from __future__ import annotations

from typing import Any

from mogan.core import quotas
from mogan.db import quotas as quota_data
from mogan.db.database import Database
from mogan.services import schemas
from mogan.services.context import RequestContext
from mogan.services.policy import Policy


class QuotaService:
    def __init__(self, db: Database, policy: Policy, defaults: quotas.Limits) -> None:
        self._db = db
        self._policy = policy
        self._defaults = defaults

    def limits(self, context: RequestContext, project_id: str) -> quotas.Limits:
        self._policy.authorize("mogan:quota:get", context, {"project_id": project_id})
        return quota_data.limits(self._db, project_id, self._defaults)

    def update(
        self, context: RequestContext, project_id: str, request: schemas.QuotaUpdate
    ) -> quotas.Limits:
        """Give the project its own limits on the resources ``request`` names."""
        self._policy.authorize("mogan:quota:update", context, {"project_id": project_id})
        values = {
            name: getattr(request, name)
            for name in (*quotas.RESOURCES, "nodes")
            if getattr(request, name) is not None
        }
        values.update({quotas.CLASS_PREFIX + k: v for k, v in request.resources.items()})
        with self._db.transaction() as tx:
            quota_data.set_limits(tx, project_id, values)
        return quota_data.limits(self._db, project_id, self._defaults)

    def reset(self, context: RequestContext, project_id: str) -> None:
        """Back to the defaults."""
        self._policy.authorize("mogan:quota:update", context, {"project_id": project_id})
        with self._db.transaction() as tx:
            quota_data.delete_limits(tx, project_id)

    def usage(self, context: RequestContext, project_id: str) -> dict[str, Any]:
        """Each limit with what the project holds against it. Key pairs are a user's: the
        caller's own count is shown when the caller is of the project."""
        self._policy.authorize("mogan:quota:usage", context, {"project_id": project_id})
        limits = quota_data.limits(self._db, project_id, self._defaults)
        total, by_class, _ = quota_data.instances_held(self._db, project_id)
        keypairs = (
            quota_data.keypairs_held(self._db, context.user_id)
            if context.project_id == project_id
            else None
        )
        classes = sorted(set(by_class) | set(limits.classes))
        return {
            "project_id": project_id,
            quotas.INSTANCES: {"limit": limits.instances, "in_use": total},
            quotas.KEYPAIRS: {"limit": limits.keypairs, "in_use": keypairs},
            quotas.SERVER_GROUPS: {
                "limit": limits.server_groups,
                "in_use": quota_data.server_groups_held(self._db, project_id),
            },
            # Per group: each group's members are listed with it.
            quotas.SERVER_GROUP_MEMBERS: {"limit": limits.server_group_members, "in_use": None},
            "nodes": {"limit": limits.nodes, "in_use": sum(by_class.values())},
            "resources": {
                name: {"limit": limits.of_class(name), "in_use": by_class.get(name, 0)}
                for name in classes
            },
        }
