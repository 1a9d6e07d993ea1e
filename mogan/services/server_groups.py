"""Server groups: a tenant's say in where its instances go relative to each other.

A group's policy is applied by the scheduler across the configured failure domain (a node,
or a rack…) when a member is placed, under a lock per (group, domain) for anti-affinity, the
group's lock for the other policies (``mogan.db.scheduler``).
Instances join a group at create (``scheduler_hints.group``) and leave it when they are gone;
deleting a group leaves its members where they are.
"""

from __future__ import annotations

import builtins
import uuid as uuid_module
from dataclasses import dataclass

from mogan.core import quotas
from mogan.core.clock import utcnow
from mogan.core.errors import NotAuthorized, NotFound
from mogan.core.identifiers import canonical_uuid
from mogan.core.pagination import PageRequest
from mogan.db import quotas as quota_data
from mogan.db import server_groups
from mogan.db.database import Database
from mogan.db.records import ServerGroupRow
from mogan.services import schemas
from mogan.services.context import RequestContext
from mogan.services.policy import Policy


@dataclass(frozen=True)
class GroupRecord:
    group: ServerGroupRow
    members: builtins.list[str]


class ServerGroupService:
    def __init__(
        self, db: Database, policy: Policy, defaults: quotas.Limits, max_limit: int
    ) -> None:
        self._db = db
        self._policy = policy
        self._defaults = defaults
        self._max_limit = max_limit

    def create(self, context: RequestContext, request: schemas.ServerGroupCreate) -> GroupRecord:
        self._policy.authorize("mogan:server_group:create", context)
        rules = request.rules.model_dump(exclude_none=True)
        group = ServerGroupRow(
            uuid=str(uuid_module.uuid4()),
            name=request.name,
            project_id=context.project_id,
            user_id=context.user_id,
            policy=request.policy,
            rules=rules,
            created_at=utcnow(),
        )
        with self._db.transaction() as tx:
            limit = quota_data.limits(tx, context.project_id, self._defaults).server_groups
            if limit != quotas.UNLIMITED:
                quota_data.lock_project(tx, context.project_id)
                held = quota_data.server_groups_held(tx, context.project_id)
                quotas.check(quotas.SERVER_GROUPS, limit, held)
            server_groups.add(tx, group)
        return GroupRecord(group, [])

    def list(
        self,
        context: RequestContext,
        *,
        all_projects: bool,
        limit: int | None,
        marker: str | None,
    ) -> tuple[builtins.list[GroupRecord], str | None]:
        self._policy.authorize("mogan:server_group:get", context)
        if all_projects:
            self._policy.authorize("mogan:server_group:get_all_projects", context)
        found = server_groups.page(
            self._db,
            None if all_projects else context.project_id,
            PageRequest(limit=limit, marker=marker),
            max_limit=self._max_limit,
        )
        members = server_groups.members(self._db, [g.uuid for g in found.items])
        return [GroupRecord(g, members[g.uuid]) for g in found.items], found.next_marker

    def get(self, context: RequestContext, ident: str) -> GroupRecord:
        group = self._visible(context, ident, "mogan:server_group:get")
        return GroupRecord(group, server_groups.members(self._db, [group.uuid])[group.uuid])

    def delete(self, context: RequestContext, ident: str) -> None:
        group = self._visible(context, ident, "mogan:server_group:delete")
        with self._db.transaction() as tx:
            if not server_groups.delete_one(tx, group.uuid):
                raise NotFound(f"Server group {ident} could not be found.")

    def _visible(self, context: RequestContext, ident: str, rule: str) -> ServerGroupRow:
        key = canonical_uuid(ident)
        group = server_groups.get(self._db, key) if key else None
        if group is None:
            raise NotFound(f"Server group {ident} could not be found.")
        try:
            self._policy.authorize(rule, context, {"project_id": group.project_id})
        except NotAuthorized:
            if group.project_id != context.project_id:
                raise NotFound(f"Server group {ident} could not be found.") from None
            raise
        return group
