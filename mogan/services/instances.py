"""Instance use cases: create, list, show, update, delete, power.

Every accepted request commits its intent (the instance row and an ``operations`` row) before
returning; the engine carries the operation out. State changes are compare-and-set updates.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    CompoundSelect,
    Connection,
    Row,
    bindparam,
    func,
    insert,
    literal,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from mogan.core import states
from mogan.core.errors import Conflict, InvalidInput, NotAuthorized, NotFound
from mogan.core.operations import CreateState, DeleteState, PowerState
from mogan.db import instances as instance_rows
from mogan.db import queue
from mogan.db.database import Database, affected
from mogan.db.models import (
    Image,
    Instance,
    InstanceFault,
    InstanceType,
    InstanceTypeExtraSpec,
    Network,
    Node,
    table_of,
    utcnow,
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
        created_at=utcnow(),
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
_INSTANCES = table_of(Instance)
_INSTANCE_ROWS = select(*_INSTANCES.columns)
#: One instance by uuid (parameter ``uuid``), built once: building it per GET cost a sixth of it.
_SHOW_INSTANCE = _INSTANCE_ROWS.where(Instance.uuid == bindparam("uuid"))


@dataclass
class InstanceRecord:
    """An instance as the API shows it: the row plus its latest fault when in error."""

    instance: InstanceView
    fault: InstanceFault | None = None


def _references(admin: bool) -> CompoundSelect:
    """(kind, key, value) rows: ``type`` rows (key, value) of the instance type's extra specs
    (one row of NULLs for a type without any; none if the type is not there, or not visible
    to ``project`` unless ``admin``), an ``image`` row if the image exists, a ``network`` row
    (its uuid) for each of ``networks`` that exists. One round trip instead of three."""
    types, specs = table_of(InstanceType), table_of(InstanceTypeExtraSpec)
    type_rows = (
        select(literal("type"), specs.c.key, specs.c.value)
        .select_from(types.outerjoin(specs, specs.c.type_uuid == types.c.uuid))
        .where(types.c.uuid == bindparam("type"))
    )
    if not admin:
        type_rows = type_rows.where(visible_type_filter(bindparam("project")))
    images, networks = table_of(Image), table_of(Network)
    image_row = select(literal("image"), images.c.uuid, null()).where(
        images.c.uuid == bindparam("image")
    )
    network_rows = select(literal("network"), networks.c.uuid, null()).where(
        networks.c.uuid.in_(bindparam("networks", expanding=True))
    )
    return union_all(type_rows, image_row, network_rows)


_REFERENCES = _references(admin=False)
_REFERENCES_ADMIN = _references(admin=True)
_ZONE = (
    select(table_of(Node).c.availability_zone)
    .where(table_of(Node).c.availability_zone == bindparam("zone"))
    .limit(1)
)
_ADD_INSTANCE = insert(_INSTANCES)


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
        with self._db.transaction() as connection:
            extra_specs = self._check_references(connection, context, request)
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
            # Plain inserts: the ORM's unit of work cost as much as the rest of the request.
            connection.execute(
                _ADD_INSTANCE, {c.key: getattr(instance, c.key) for c in _INSTANCES.columns}
            )
            queue.enqueue(
                self._db,
                connection,
                instance.uuid,
                CreateState(
                    request_id=context.request_id,
                    networks=[n.model_dump() for n in request.networks],
                    availability_zone=request.availability_zone,
                    extra_specs=extra_specs,
                ),
            )
        self._wake_engine()
        return InstanceRecord(instance)

    def _check_references(
        self, connection: Connection, context: RequestContext, request: schemas.InstanceCreate
    ) -> dict[str, str]:
        """Every UUID the request names must exist and be visible; returns the type's specs.

        One query answers for all of them (see ``_REFERENCES``).
        """
        found: dict[str, list[tuple[str | None, str | None]]] = {
            "type": [],
            "image": [],
            "network": [],
        }
        for kind, key, value in connection.execute(
            _REFERENCES_ADMIN if context.is_admin else _REFERENCES,
            {
                "type": request.instance_type_uuid,
                "image": request.image_uuid,
                "networks": [n.net_id for n in request.networks],
                "project": context.project_id,
            },
        ):
            found[kind].append((key, value))
        if not found["type"]:
            raise InvalidInput(
                f"Invalid value for field 'instance_type_uuid': instance type "
                f"{request.instance_type_uuid} was not found."
            )
        if not found["image"]:
            raise InvalidInput(
                f"Invalid value for field 'image_uuid': image {request.image_uuid} was not found."
            )
        known = {key for key, _ in found["network"]}
        for index, network in enumerate(request.networks):
            if network.net_id not in known:
                raise InvalidInput(
                    f"Invalid value for field 'networks.{index}.net_id': "
                    f"network {network.net_id} was not found."
                )
        if request.availability_zone is not None:
            zone = connection.scalar(_ZONE, {"zone": request.availability_zone})
            if zone is None:
                raise InvalidInput(
                    f"Invalid value for field 'availability_zone': zone "
                    f"{request.availability_zone!r} does not exist."
                )
        return {key: value for key, value in found["type"] if key is not None and value is not None}

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
            row = self._db.read_one(_SHOW_INSTANCE, {"uuid": key})
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
            if not instance_rows.move(
                session, instance.uuid, instance.status, status=states.DELETING
            ):
                raise Conflict(f"Instance {ident} changed while being deleted; try again.")
            queue.enqueue(
                self._db, session, instance.uuid, DeleteState(request_id=context.request_id)
            )
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
            if target in states.SOFT_POWER_TARGETS and instance.power_state == states.POWER_OFF:
                # Nothing runs to ask for a graceful shutdown or restart (as Nova's 409).
                raise Conflict(
                    f"Instance {ident} is powered off; '{target}' needs a running operating "
                    "system. Use 'on' or 'reboot' to power it on."
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
            queue.enqueue(
                self._db,
                session,
                instance.uuid,
                PowerState(request_id=context.request_id, action=target, target=expected),
            )
        self._wake_engine()
