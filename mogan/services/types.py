"""Instance types, their extra specs and private types' access lists (``/types``)."""

from __future__ import annotations

import builtins
import uuid as uuid_module
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mogan.core.clock import utcnow
from mogan.core.errors import Conflict, InvalidInput, NotFound
from mogan.core.pagination import PageRequest
from mogan.db import types
from mogan.db.database import Database, Duplicate, Executor
from mogan.db.records import TypeRow
from mogan.services import schemas
from mogan.services.context import RequestContext
from mogan.services.policy import Policy


@dataclass(frozen=True)
class TypeRecord:
    type: TypeRow
    extra_specs: dict[str, str] = field(default_factory=dict)


def _visibility(context: RequestContext) -> str | None:
    """The project whose types the caller sees; None for an administrator (every type)."""
    return None if context.is_admin else context.project_id


class TypeService:
    def __init__(self, db: Database, policy: Policy, max_limit: int) -> None:
        self._db = db
        self._policy = policy
        self._max_limit = max_limit

    def list(
        self, context: RequestContext, page: PageRequest
    ) -> tuple[builtins.list[TypeRecord], str | None]:
        self._policy.authorize("mogan:instance_type:get", context)
        found = types.page(
            self._db, page, visible_to_project=_visibility(context), max_limit=self._max_limit
        )
        specs = types.specs_of(self._db, [t.uuid for t in found.items])
        return [TypeRecord(t, specs[t.uuid]) for t in found.items], found.next_marker

    def get(self, context: RequestContext, type_uuid: str) -> TypeRecord:
        self._policy.authorize("mogan:instance_type:get", context)
        instance_type = self._find(context, type_uuid)
        return TypeRecord(
            instance_type, types.specs_of(self._db, [instance_type.uuid])[instance_type.uuid]
        )

    def create(self, context: RequestContext, request: schemas.TypeCreate) -> TypeRecord:
        self._policy.authorize("mogan:instance_type:create", context)
        instance_type = TypeRow(
            uuid=request.uuid or str(uuid_module.uuid4()),
            created_at=utcnow(),
            updated_at=None,
            name=request.name,
            description=request.description,
            is_public=request.is_public,
        )
        try:
            with self._db.transaction() as tx:
                types.TYPES.add(tx, instance_type)
        except Duplicate:
            raise Conflict(
                f"An instance type named {request.name!r} or with UUID "
                f"{instance_type.uuid} already exists."
            ) from None
        return TypeRecord(instance_type, {})

    def update(
        self, context: RequestContext, type_uuid: str, request: schemas.TypeUpdate
    ) -> TypeRecord:
        self._policy.authorize("mogan:instance_type:update", context)
        changes: dict[str, Any] = {}
        for name in request.model_fields_set:
            value = getattr(request, name)
            if name in ("name", "is_public") and value is None:
                raise InvalidInput(f"Invalid value for field '{name}': must not be null.")
            changes[name] = value
        try:
            with self._db.transaction() as tx:
                instance_type = self._find(context, type_uuid, tx)
                if changes:
                    changes["updated_at"] = utcnow()
                    types.TYPES.update(tx, instance_type.uuid, **changes)
                specs = types.specs_of(tx, [instance_type.uuid])[instance_type.uuid]
        except Duplicate:
            raise Conflict(f"An instance type named {request.name!r} already exists.") from None
        return TypeRecord(instance_type._replace(**changes), specs)

    def delete(self, context: RequestContext, type_uuid: str) -> None:
        self._policy.authorize("mogan:instance_type:delete", context)
        with self._db.transaction() as tx:
            types.TYPES.delete(tx, self._find(context, type_uuid, tx).uuid)

    # -- extra specs ---------------------------------------------------------------------------

    def get_extra_specs(self, context: RequestContext, type_uuid: str) -> dict[str, str]:
        return self.get(context, type_uuid).extra_specs

    def set_extra_specs(
        self, context: RequestContext, type_uuid: str, specs: Mapping[str, str]
    ) -> dict[str, str]:
        self._policy.authorize("mogan:instance_type:update", context)
        with self._db.transaction() as tx:
            instance_type = self._find(context, type_uuid, tx)
            types.set_specs(tx, instance_type.uuid, specs)
            return types.specs_of(tx, [instance_type.uuid])[instance_type.uuid]

    def delete_extra_spec(self, context: RequestContext, type_uuid: str, key: str) -> None:
        self._policy.authorize("mogan:instance_type:update", context)
        with self._db.transaction() as tx:
            instance_type = self._find(context, type_uuid, tx)
            if not types.delete_spec(tx, instance_type.uuid, key):
                raise NotFound(f"Instance type {type_uuid} has no extra spec {key!r}.")

    # -- access list ---------------------------------------------------------------------------

    def list_access(self, context: RequestContext, type_uuid: str) -> builtins.list[str]:
        self._policy.authorize("mogan:instance_type:access", context)
        return types.access_of(self._db, self._find(context, type_uuid).uuid)

    def add_access(self, context: RequestContext, type_uuid: str, project_id: str) -> None:
        self._policy.authorize("mogan:instance_type:access", context)
        with self._db.transaction() as tx:
            instance_type = self._find(context, type_uuid, tx)
            if instance_type.is_public:
                raise Conflict(
                    f"Instance type {type_uuid} is public; access lists apply to "
                    "private types only."
                )
            if not types.grant(tx, instance_type.uuid, project_id):
                raise Conflict(f"Project {project_id} already has access to {type_uuid}.")

    def remove_access(self, context: RequestContext, type_uuid: str, project_id: str) -> None:
        self._policy.authorize("mogan:instance_type:access", context)
        with self._db.transaction() as tx:
            instance_type = self._find(context, type_uuid, tx)
            if not types.revoke(tx, instance_type.uuid, project_id):
                raise NotFound(f"Project {project_id} has no access to {type_uuid}.")

    def _find(self, context: RequestContext, type_uuid: str, tx: Executor | None = None) -> TypeRow:
        return types.find(
            self._db, type_uuid, visible_to_project=_visibility(context), locked_in=tx
        )
