"""Instance types, their extra specs and private types' access lists (``/types``)."""

from __future__ import annotations

import builtins
import uuid as uuid_module
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mogan.core.errors import Conflict, InvalidInput, NotFound
from mogan.core.pagination import PageRequest
from mogan.db.database import Database, affected
from mogan.db.models import InstanceType, InstanceTypeExtraSpec, InstanceTypeProject
from mogan.db.pagination import paginate
from mogan.db.types import visible_to
from mogan.services import schemas
from mogan.services.context import RequestContext
from mogan.services.lookup import canonical_uuid
from mogan.services.policy import Policy

SORT_KEYS = ("name", "created_at", "uuid")


@dataclass
class TypeRecord:
    type: InstanceType
    extra_specs: dict[str, str] = field(default_factory=dict)


class TypeService:
    def __init__(self, db: Database, policy: Policy, max_limit: int) -> None:
        self._db = db
        self._policy = policy
        self._max_limit = max_limit

    def list(
        self, context: RequestContext, page: PageRequest
    ) -> tuple[builtins.list[TypeRecord], str | None]:
        self._policy.authorize("mogan:instance_type:get", context)
        query = select(InstanceType)
        if not context.is_admin:
            query = query.where(visible_to(context.project_id))
        with self._db.read() as session:
            result = paginate(
                session,
                query,
                InstanceType,
                page,
                sort_keys=SORT_KEYS,
                default_sort="name",
                max_limit=self._max_limit,
            )
            specs = self._specs(session, [t.uuid for t in result.items])
        return [TypeRecord(t, specs.get(t.uuid, {})) for t in result.items], result.next_marker

    def get(self, context: RequestContext, type_uuid: str) -> TypeRecord:
        self._policy.authorize("mogan:instance_type:get", context)
        with self._db.read() as session:
            instance_type = self._find(session, context, type_uuid)
            return TypeRecord(
                instance_type,
                self._specs(session, [instance_type.uuid]).get(instance_type.uuid, {}),
            )

    def create(self, context: RequestContext, request: schemas.TypeCreate) -> TypeRecord:
        self._policy.authorize("mogan:instance_type:create", context)
        instance_type = InstanceType(
            uuid=request.uuid or str(uuid_module.uuid4()),
            name=request.name,
            description=request.description,
            is_public=request.is_public,
        )
        try:
            with self._db.write() as session:
                session.add(instance_type)
        except IntegrityError:
            raise Conflict(
                f"An instance type named {request.name!r} or with UUID "
                f"{instance_type.uuid} already exists."
            ) from None
        return TypeRecord(instance_type, {})

    def update(
        self, context: RequestContext, type_uuid: str, request: schemas.TypeUpdate
    ) -> TypeRecord:
        self._policy.authorize("mogan:instance_type:update", context)
        try:
            with self._db.write() as session:
                instance_type = self._find(session, context, type_uuid)
                for name in request.model_fields_set:
                    value = getattr(request, name)
                    if name in ("name", "is_public") and value is None:
                        raise InvalidInput(f"Invalid value for field '{name}': must not be null.")
                    setattr(instance_type, name, value)
                specs = self._specs(session, [instance_type.uuid]).get(instance_type.uuid, {})
        except IntegrityError:
            raise Conflict(f"An instance type named {request.name!r} already exists.") from None
        return TypeRecord(instance_type, specs)

    def delete(self, context: RequestContext, type_uuid: str) -> None:
        self._policy.authorize("mogan:instance_type:delete", context)
        with self._db.write() as session:
            session.delete(self._find(session, context, type_uuid))

    # -- extra specs ---------------------------------------------------------------------------

    def get_extra_specs(self, context: RequestContext, type_uuid: str) -> dict[str, str]:
        return self.get(context, type_uuid).extra_specs

    def set_extra_specs(
        self, context: RequestContext, type_uuid: str, specs: Mapping[str, str]
    ) -> dict[str, str]:
        self._policy.authorize("mogan:instance_type:update", context)
        with self._db.write() as session:
            instance_type = self._find(session, context, type_uuid)
            for key, value in specs.items():
                session.merge(
                    InstanceTypeExtraSpec(type_uuid=instance_type.uuid, key=key, value=value)
                )
            session.flush()
            return self._specs(session, [instance_type.uuid]).get(instance_type.uuid, {})

    def delete_extra_spec(self, context: RequestContext, type_uuid: str, key: str) -> None:
        self._policy.authorize("mogan:instance_type:update", context)
        with self._db.write() as session:
            instance_type = self._find(session, context, type_uuid)
            removed = affected(
                session.execute(
                    delete(InstanceTypeExtraSpec).where(
                        InstanceTypeExtraSpec.type_uuid == instance_type.uuid,
                        InstanceTypeExtraSpec.key == key,
                    )
                )
            )
            if not removed:
                raise NotFound(f"Instance type {type_uuid} has no extra spec {key!r}.")

    # -- access list ---------------------------------------------------------------------------

    def list_access(self, context: RequestContext, type_uuid: str) -> builtins.list[str]:
        self._policy.authorize("mogan:instance_type:access", context)
        with self._db.read() as session:
            instance_type = self._find(session, context, type_uuid)
            return list(
                session.scalars(
                    select(InstanceTypeProject.project_id)
                    .where(InstanceTypeProject.type_uuid == instance_type.uuid)
                    .order_by(InstanceTypeProject.project_id)
                )
            )

    def add_access(self, context: RequestContext, type_uuid: str, project_id: str) -> None:
        self._policy.authorize("mogan:instance_type:access", context)
        with self._db.write() as session:
            instance_type = self._find(session, context, type_uuid)
            if instance_type.is_public:
                raise Conflict(
                    f"Instance type {type_uuid} is public; access lists apply to "
                    "private types only."
                )
            if session.get(InstanceTypeProject, (instance_type.uuid, project_id)) is not None:
                raise Conflict(f"Project {project_id} already has access to {type_uuid}.")
            session.add(InstanceTypeProject(type_uuid=instance_type.uuid, project_id=project_id))

    def remove_access(self, context: RequestContext, type_uuid: str, project_id: str) -> None:
        self._policy.authorize("mogan:instance_type:access", context)
        with self._db.write() as session:
            instance_type = self._find(session, context, type_uuid)
            grant = session.get(InstanceTypeProject, (instance_type.uuid, project_id))
            if grant is None:
                raise NotFound(f"Project {project_id} has no access to {type_uuid}.")
            session.delete(grant)

    # -- helpers -------------------------------------------------------------------------------

    def _find(self, session: Session, context: RequestContext, type_uuid: str) -> InstanceType:
        instance_type = None
        key = canonical_uuid(type_uuid)
        if key is not None:
            query = select(InstanceType).where(InstanceType.uuid == key)
            if not context.is_admin:
                query = query.where(visible_to(context.project_id))
            instance_type = session.scalars(query).first()
        if instance_type is None:
            raise NotFound(f"Instance type {type_uuid} could not be found.")
        return instance_type

    @staticmethod
    def _specs(session: Session, type_uuids: builtins.list[str]) -> dict[str, dict[str, str]]:
        result: dict[str, dict[str, str]] = {u: {} for u in type_uuids}
        if type_uuids:
            rows: Any = session.execute(
                select(InstanceTypeExtraSpec).where(InstanceTypeExtraSpec.type_uuid.in_(type_uuids))
            )
            for (spec,) in rows:
                result[spec.type_uuid][spec.key] = spec.value
        return result
