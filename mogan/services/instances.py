"""Instance use cases: create, list, show, update, delete, power.

Every accepted request commits its intent (the instance row and an ``operations`` row) before
returning; the engine carries the operation out. State changes are compare-and-set updates.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Row, bindparam, func, select, update
from sqlalchemy.orm import Session

from mogan.core import states
from mogan.core.errors import Conflict, InvalidInput, NotAuthorized, NotFound
from mogan.db.database import Database, affected
from mogan.db.models import (
    Image,
    Instance,
    InstanceFault,
    InstanceType,
    InstanceTypeExtraSpec,
    Network,
    Node,
    Operation,
    table_of,
)
from mogan.notifications import Notifier, NullNotifier, instance_payload
from mogan.services import schemas
from mogan.services.context import RequestContext
from mogan.services.lookup import canonical_uuid
from mogan.services.pagination import Page, PageRequest, paginate
from mogan.services.patching import apply_patch
from mogan.services.policy import Policy
from mogan.services.types import visible_type_filter

SORT_KEYS = ("created_at", "name", "uuid", "status")
FILTERS = ("name", "status", "instance_type_uuid", "image_uuid", "availability_zone")
WRITABLE_PATHS = ("/name", "/description", "/extra")


def building_instance(
    *,
    name: str,
    description: str | None,
    project_id: str,
    user_id: str,
    instance_type_uuid: str,
    image_uuid: str,
    availability_zone: str | None,
    extra: dict[str, str],
) -> Instance:
    """A new instance row, ``building``, not yet on any node."""
    return Instance(
        uuid=str(uuid_module.uuid4()),
        name=name,
        description=description,
        project_id=project_id,
        user_id=user_id,
        status=states.BUILDING,
        power_state=None,
        instance_type_uuid=instance_type_uuid,
        image_uuid=image_uuid,
        availability_zone=availability_zone,
        network_info={},
        extra=dict(extra),
    )


#: An instance as read for display: the ORM object, or (on the read paths, which load plain
#: rows because building ORM objects cost more than the query) a row with the same attributes.
InstanceView = Instance | Row[Any]
V = TypeVar("V", Instance, Row[Any])

#: Every column of ``instances``, selected as plain rows.
_INSTANCE_ROWS = select(*table_of(Instance).columns)
#: One instance by uuid (parameter ``uuid``), built once: building it per GET cost a sixth of it.
_SHOW_INSTANCE = _INSTANCE_ROWS.where(Instance.uuid == bindparam("uuid"))


@dataclass
class InstanceRecord:
    """An instance as the API shows it: the row plus its latest fault when in error."""

    instance: InstanceView
    fault: InstanceFault | None = None


class InstanceService:
    def __init__(
        self,
        db: Database,
        policy: Policy,
        wake_engine: Callable[[], None],
        max_limit: int,
        notifier: Notifier | None = None,
    ) -> None:
        self._notifier = notifier or NullNotifier()
        self._db = db
        self._policy = policy
        self._wake_engine = wake_engine
        self._max_limit = max_limit

    # -- create --------------------------------------------------------------------------------

    def create(self, context: RequestContext, request: schemas.InstanceCreate) -> InstanceRecord:
        self._policy.authorize("mogan:instance:create", context)
        with self._db.write() as session:
            extra_specs = self._check_references(session, context, request)
            instance = building_instance(
                name=request.name,
                description=request.description,
                project_id=context.project_id,
                user_id=context.user_id,
                instance_type_uuid=request.instance_type_uuid,
                image_uuid=request.image_uuid,
                availability_zone=request.availability_zone,
                extra=request.extra,
            )
            session.add(instance)
            session.add(
                Operation(
                    instance_uuid=instance.uuid,
                    kind="create",
                    step="schedule",
                    state={
                        "networks": [n.model_dump() for n in request.networks],
                        "availability_zone": request.availability_zone,
                        "extra_specs": extra_specs,
                        "tried_nodes": [],
                        "request_id": context.request_id,
                    },
                )
            )
            self._db.announce_operation(session)
        self._wake_engine()
        return InstanceRecord(instance)

    def _check_references(
        self, session: Session, context: RequestContext, request: schemas.InstanceCreate
    ) -> dict[str, str]:
        """Every UUID the request names must exist and be visible; returns the type's specs."""
        # The type and its extra specs in one query (a type without specs gives one row of
        # NULLs); no row at all means no such type, or one this project may not use.
        type_query = (
            select(InstanceTypeExtraSpec.key, InstanceTypeExtraSpec.value)
            .select_from(InstanceType)
            .outerjoin(InstanceTypeExtraSpec, InstanceTypeExtraSpec.type_uuid == InstanceType.uuid)
            .where(InstanceType.uuid == request.instance_type_uuid)
        )
        if not context.is_admin:
            type_query = type_query.where(visible_type_filter(context.project_id))
        spec_rows = session.execute(type_query).all()
        if not spec_rows:
            raise InvalidInput(
                f"Invalid value for field 'instance_type_uuid': instance type "
                f"{request.instance_type_uuid} was not found."
            )
        if session.scalar(select(Image.uuid).where(Image.uuid == request.image_uuid)) is None:
            raise InvalidInput(
                f"Invalid value for field 'image_uuid': image {request.image_uuid} was not found."
            )
        wanted = {n.net_id for n in request.networks}
        known = set(session.scalars(select(Network.uuid).where(Network.uuid.in_(wanted))))
        for index, network in enumerate(request.networks):
            if network.net_id not in known:
                raise InvalidInput(
                    f"Invalid value for field 'networks.{index}.net_id': "
                    f"network {network.net_id} was not found."
                )
        if request.availability_zone is not None:
            zone = session.scalar(
                select(Node.availability_zone)
                .where(Node.availability_zone == request.availability_zone)
                .limit(1)
            )
            if zone is None:
                raise InvalidInput(
                    f"Invalid value for field 'availability_zone': zone "
                    f"{request.availability_zone!r} does not exist."
                )
        return {key: value for key, value in spec_rows if key is not None}

    # -- read ----------------------------------------------------------------------------------

    def list(
        self,
        context: RequestContext,
        *,
        all_tenants: bool,
        page: PageRequest,
        filters: dict[str, str],
    ) -> tuple[list[InstanceRecord], str | None]:
        self._policy.authorize("mogan:instance:get_all", context)
        if all_tenants:
            self._policy.authorize("mogan:instance:get_all_tenants", context)
        query = _INSTANCE_ROWS
        if not all_tenants:
            query = query.where(Instance.project_id == context.project_id)
        visible = query  # a marker need only be visible to the caller, whatever the filters
        for name, value in filters.items():
            if name not in FILTERS:
                raise InvalidInput(f"Unknown filter '{name}'.")
            query = query.where(getattr(Instance, name) == value)
        with self._db.read() as session:
            result: Page = paginate(
                session,
                query,
                Instance,
                page,
                sort_keys=SORT_KEYS,
                default_sort="created_at",
                max_limit=self._max_limit,
                marker_visible=visible,
                plain_rows=True,
            )
            faults = self._latest_faults(
                session, [i for i in result.items if i.status == states.ERROR]
            )
        records = [InstanceRecord(i, faults.get(i.uuid)) for i in result.items]
        return records, result.next_marker

    def get(self, context: RequestContext, ident: str) -> InstanceRecord:
        key = canonical_uuid(ident)
        row = None
        if key is not None:
            with self._db.read_rows() as connection:
                row = connection.execute(_SHOW_INSTANCE, {"uuid": key}).first()
        row = self._visible(row, context, ident, "mogan:instance:get")
        fault = None
        if row.status == states.ERROR:
            with self._db.read() as session:
                fault = self._latest_faults(session, [row]).get(row.uuid)
        return InstanceRecord(row, fault)

    def get_states(self, context: RequestContext, ident: str) -> Instance:
        with self._db.read() as session:
            return self._find(session, context, ident, "mogan:instance:get_states")

    def _find(
        self,
        session: Session,
        context: RequestContext,
        ident: str,
        rule: str,
        *,
        for_update: bool = False,
    ) -> Instance:
        """The instance, or ``NotFound`` — also for another project's (never ``403``)."""
        instance = None
        key = canonical_uuid(ident)
        if key is not None:
            query = select(Instance).where(Instance.uuid == key)
            if for_update and not self._db.is_sqlite:
                query = query.with_for_update()
            instance = session.scalars(query).first()
        return self._visible(instance, context, ident, rule)

    def _visible(self, instance: V | None, context: RequestContext, ident: str, rule: str) -> V:
        """The instance, if the caller may see it under ``rule``; ``NotFound`` for a missing
        instance and for another project's (never ``403``)."""
        if instance is None:
            raise NotFound(f"Instance {ident} could not be found.")
        try:
            self._policy.authorize(rule, context, {"project_id": instance.project_id})
        except NotAuthorized:
            if instance.project_id != context.project_id:
                raise NotFound(f"Instance {ident} could not be found.") from None
            raise
        return instance

    @staticmethod
    def _latest_faults(
        session: Session, instances: Sequence[InstanceView]
    ) -> dict[str, InstanceFault]:
        if not instances:
            return {}
        newest = (
            select(InstanceFault.instance_uuid, func.max(InstanceFault.id).label("id"))
            .where(InstanceFault.instance_uuid.in_([i.uuid for i in instances]))
            .group_by(InstanceFault.instance_uuid)
            .subquery()
        )
        rows = session.scalars(select(InstanceFault).join(newest, InstanceFault.id == newest.c.id))
        return {fault.instance_uuid: fault for fault in rows}

    # -- update --------------------------------------------------------------------------------

    def update(self, context: RequestContext, ident: str, patch: Any) -> InstanceRecord:
        with self._db.write() as session:
            instance = self._find(session, context, ident, "mogan:instance:update", for_update=True)
            if instance.status == states.DELETING:
                raise Conflict(f"Instance {ident} is being deleted and cannot be updated.")
            document = {
                "name": instance.name,
                "description": instance.description,
                "extra": dict(instance.extra or {}),
            }
            patched = schemas.parse(
                schemas.InstanceUpdate,
                apply_patch(document, patch, WRITABLE_PATHS),
                what="patched instance",
            )
            instance.name = patched.name
            instance.description = patched.description
            instance.extra = dict(patched.extra)
            fault = None
            if instance.status == states.ERROR:
                fault = self._latest_faults(session, [instance]).get(instance.uuid)
        if self._notifier.enabled:
            self._notifier.emit("instance.update", instance_payload(instance))  # committed
        return InstanceRecord(instance, fault)

    # -- delete --------------------------------------------------------------------------------

    def delete(self, context: RequestContext, ident: str) -> None:
        """Mark the instance ``deleting`` and queue its tear-down; repeating it is harmless."""
        with self._db.write() as session:
            instance = self._find(session, context, ident, "mogan:instance:delete", for_update=True)
            if instance.status == states.DELETING:
                return
            moved = affected(
                session.execute(
                    update(Instance)
                    .where(Instance.uuid == instance.uuid, Instance.status == instance.status)
                    .values(status=states.DELETING)
                )
            )
            if not moved:
                raise Conflict(f"Instance {ident} changed while being deleted; try again.")
            session.add(
                Operation(
                    instance_uuid=instance.uuid,
                    kind="delete",
                    step="teardown",
                    state={"request_id": context.request_id},
                )
            )
            self._db.announce_operation(session)
        self._wake_engine()

    # -- power ---------------------------------------------------------------------------------

    def set_power_state(self, context: RequestContext, ident: str, target: str) -> None:
        if target not in states.POWER_TARGETS:
            raise InvalidInput(
                f"Invalid value for field 'target': {target!r}; choose from "
                f"{', '.join(states.POWER_TARGETS)}."
            )
        with self._db.write() as session:
            instance = self._find(
                session, context, ident, "mogan:instance:set_power_state", for_update=True
            )
            expected = states.POWER_TARGETS[target]
            moved = affected(
                session.execute(
                    update(Instance)
                    .where(
                        Instance.uuid == instance.uuid,
                        Instance.status == states.ACTIVE,
                        Instance.target_power_state.is_(None),
                    )
                    .values(target_power_state=expected)
                )
            )
            if not moved:
                session.refresh(instance)
                if instance.status != states.ACTIVE:
                    raise Conflict(
                        f"Instance {ident} is {instance.status}; its power can only "
                        "be changed while it is active."
                    )
                raise Conflict(
                    f"Instance {ident} already has a pending power change to "
                    f"'{instance.target_power_state}'."
                )
            session.add(
                Operation(
                    instance_uuid=instance.uuid,
                    kind="power",
                    step="request",
                    state={"action": target, "target": expected, "request_id": context.request_id},
                )
            )
            self._db.announce_operation(session)
        self._wake_engine()
