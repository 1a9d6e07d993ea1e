"""Instance use cases: create, list, show, update, delete, power.

Every accepted request commits its intent (the instance row and an operation) before
returning; the engine carries the operation out. State changes are compare-and-set updates
made by the data layer (``mogan.db.instances``), checked against the transition table.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mogan.core import hosts, states
from mogan.core.clock import utcnow
from mogan.core.errors import Conflict, InvalidInput, NotFound
from mogan.core.images import ImageFacts
from mogan.core.operations import InterfaceState, RescueState
from mogan.core.pagination import PageRequest
from mogan.core.placement import assign_nics
from mogan.core.states import PowerTarget
from mogan.db import actions, instances, networks, nodes, ports, types
from mogan.db.database import Database, Executor
from mogan.db.images import IMAGES
from mogan.db.records import FaultRow, InstanceRow
from mogan.notifications import Notifier, NullNotifier, instance_payload
from mogan.operations.instances import (
    request_delete,
    request_interface,
    request_power,
    request_rebuild,
    request_rescue,
)
from mogan.services import schemas
from mogan.services.access import visible_instance
from mogan.services.actions import record_action
from mogan.services.context import RequestContext
from mogan.services.create import CreateSettings, InstanceCreator
from mogan.services.patching import apply_patch
from mogan.services.policy import Policy

WRITABLE_PATHS = (*schemas.INSTANCE_FIELDS, *schemas.INSTANCE_OBJECTS)


@dataclass(frozen=True)
class InstanceRecord:
    """An instance as the API shows it: the row plus its latest fault when in error."""

    instance: InstanceRow
    fault: FaultRow | None = None


@dataclass(frozen=True)
class Created:
    """What a create answers with: the instances made, and their batch's reservation."""

    instances: list[InstanceRecord]
    reservation_id: str


class InstanceService:
    def __init__(
        self,
        db: Database,
        policy: Policy,
        wake_engine: Callable[[], None],
        max_limit: int,
        notifier: Notifier | None = None,
        create_settings: CreateSettings | None = None,
        rescue_password_length: int = 16,
    ) -> None:
        settings = create_settings or CreateSettings()
        self._creator = InstanceCreator(db, settings, wake_engine)
        self._images = settings.images
        self._networks = settings.networks
        self._notifier = notifier or NullNotifier()
        self._db = db
        self._policy = policy
        self._wake_engine = wake_engine
        self._max_limit = max_limit
        self._rescue_password_length = rescue_password_length

    # -- create --------------------------------------------------------------------------------

    def create(self, context: RequestContext, request: schemas.InstanceCreate) -> Created:
        """One instance, or a batch (``mogan.services.create``)."""
        self._policy.authorize("mogan:instance:create", context)
        batch = self._creator.create(context, request)
        return Created([InstanceRecord(i) for i in batch.instances], batch.reservation_id)

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
        found = instances.page(
            self._db,
            page,
            project_id=None if all_tenants else context.project_id,
            filters=filters,
            max_limit=self._max_limit,
        )
        faults = instances.latest_faults(
            self._db, [i for i in found.items if i.status == states.ERROR]
        )
        words = self._words_for(context)
        return [
            InstanceRecord(i, words(faults.get(i.uuid), i.project_id)) for i in found.items
        ], found.next_marker

    def get(self, context: RequestContext, ident: str) -> InstanceRecord:
        instance = self._visible(context, ident, "mogan:instance:get")
        fault = None
        if instance.status == states.ERROR:
            fault = instances.latest_faults(self._db, [instance]).get(instance.uuid)
        return InstanceRecord(instance, self._words_for(context)(fault, instance.project_id))

    def _words_for(
        self, context: RequestContext
    ) -> Callable[[FaultRow | None, str], FaultRow | None]:
        """How a fault reads to the caller: nodes by name for who sees the fleet, else by
        the project's host ids, without URLs (``mogan.core.hosts``)."""
        operator = self._policy.check("mogan:node:get", context)

        def words(fault: FaultRow | None, project_id: str) -> FaultRow | None:
            if fault is None:
                return None
            message = hosts.shown(fault.message, operator=operator, project_id=project_id)
            return fault._replace(message=message)

        return words

    def get_states(self, context: RequestContext, ident: str) -> InstanceRow:
        return self._visible(context, ident, "mogan:instance:get_states")

    def _visible(
        self, context: RequestContext, ident: str, rule: str, tx: Executor | None = None
    ) -> InstanceRow:
        return visible_instance(self._db, self._policy, context, ident, rule, tx)

    # -- update --------------------------------------------------------------------------------

    def update(self, context: RequestContext, ident: str, patch: Any) -> InstanceRecord:
        with self._db.transaction() as tx:
            instance = self._visible(context, ident, "mogan:instance:update", tx)
            self._unlocked(context, instance, ident, "changing it")
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
            changes: dict[str, Any] = {
                "name": patched.name,
                "description": patched.description,
                "extra": dict(patched.extra),
                "updated_at": utcnow(),
            }
            instances.update_fields(tx, instance.uuid, **changes)
            changed = [k for k in document if document[k] != changes[k]]
            record_action(
                tx,
                context,
                instance,
                "update",
                finished=True,
                message=f"Changed {', '.join(changed)}." if changed else "Nothing changed.",
            )
        updated = instance._replace(**changes)
        if self._notifier.enabled:
            self._notifier.emit("instance.update", instance_payload(updated))  # committed
        fault = None
        if updated.status == states.ERROR:
            fault = instances.latest_faults(self._db, [updated]).get(updated.uuid)
        return InstanceRecord(updated, self._words_for(context)(fault, updated.project_id))

    # -- lock ----------------------------------------------------------------------------------

    def set_lock(
        self, context: RequestContext, ident: str, request: schemas.LockRequest
    ) -> InstanceRecord:
        """Lock the instance against changes by non-administrators, or lift the lock.

        A lock records who set it: its owner, or an administrator acting on another
        project's instance, whose lock the owner may not lift. Locking a locked instance
        changes only its reason; unlocking an unlocked one changes nothing.
        """
        with self._db.transaction() as tx:
            instance = self._visible(context, ident, "mogan:instance:set_lock_state", tx)
            changes: dict[str, Any]
            if instance.locked_by == "admin" and not self._ignores_locks(context):
                # An administrator's lock, its reason included, is an administrator's to change.
                raise Conflict(
                    f"Instance {ident} is locked by an administrator"
                    f"{_because(instance.locked_reason)}; only an administrator may "
                    f"{'change' if request.target else 'lift'} the lock."
                )
            if request.target:
                by = "owner" if instance.project_id == context.project_id else "admin"
                if instance.locked_by == "admin":
                    by = "admin"  # an administrator's lock stays one
                changes = {"locked_by": by, "locked_reason": request.reason}
            else:
                changes = {"locked_by": None, "locked_reason": None}
            instances.update_fields(tx, instance.uuid, **changes)
            record_action(
                tx,
                context,
                instance,
                "lock" if request.target else "unlock",
                finished=True,
                message=request.reason if request.target else None,
            )
        return InstanceRecord(instance._replace(**changes))

    def _ignores_locks(self, context: RequestContext) -> bool:
        return self._policy.check("mogan:instance:ignore_lock", context)

    def _unlocked(
        self, context: RequestContext, instance: InstanceRow, ident: str, doing: str
    ) -> None:
        """``Conflict`` naming the lock, unless the instance is unlocked or the caller may
        ignore locks."""
        if instance.locked_by is not None and not self._ignores_locks(context):
            raise Conflict(
                f"Instance {ident} is locked{_because(instance.locked_reason)}; unlock it "
                f"before {doing}."
            )

    # -- delete --------------------------------------------------------------------------------

    def delete(self, context: RequestContext, ident: str) -> None:
        """Mark the instance ``deleting`` and queue its tear-down; repeating it is harmless."""
        with self._db.transaction() as tx:
            instance = self._visible(context, ident, "mogan:instance:delete", tx)
            self._unlocked(context, instance, ident, "deleting it")
            if instance.status == states.DELETING:
                return
            if not instances.move(tx, instance.uuid, instance.status, status=states.DELETING):
                raise Conflict(f"Instance {ident} changed while being deleted; try again.")
            request_delete(tx, self._db, context.requester, instance)
        self._wake_engine()

    # -- rebuild -------------------------------------------------------------------------------

    def rebuild(
        self, context: RequestContext, ident: str, request: schemas.RebuildRequest
    ) -> InstanceRecord:
        """Queue a redeploy of the instance on its own node, from ``request.image_uuid``
        (default: its current image) with a new config drive; it is ``rebuilding`` until
        done. Only an active instance, or one in error that still has its node, can be
        rebuilt, and not while a power change is pending. A Glance image is read as the
        caller, before anything is held."""
        glance_image = None
        if self._images.in_glance:
            current = self._visible(context, ident, "mogan:instance:rebuild")
            glance_image = self._images.resolve(context, request.image_uuid or current.image_uuid)
        with self._db.transaction() as tx:
            instance = self._visible(context, ident, "mogan:instance:rebuild", tx)
            self._unlocked(context, instance, ident, "rebuilding it")
            if instance.status not in states.REBUILDABLE or instance.node_uuid is None:
                raise Conflict(
                    f"Instance {ident} is {instance.status}"
                    f"{'' if instance.node_uuid else ' without a node'}; only an active "
                    "instance, or one in error on its node, can be rebuilt."
                )
            if instance.target_power_state is not None:
                raise Conflict(
                    f"Instance {ident} has a pending power change to "
                    f"'{instance.target_power_state}'; rebuild it once that is done."
                )
            image_uuid = request.image_uuid or instance.image_uuid
            if glance_image is not None:
                image_uuid = glance_image.uuid
            elif IMAGES.get(self._db, image_uuid) is None:
                raise InvalidInput(
                    f"Invalid value for field 'image_uuid': image {image_uuid} was not found."
                )
            changes: dict[str, Any] = {"status": states.REBUILDING, "image_uuid": image_uuid}
            if not instances.move(tx, instance.uuid, instance.status, **changes):
                raise Conflict(f"Instance {ident} changed while being rebuilt; try again.")
            specs = types.specs_of(tx, [instance.instance_type_uuid])
            request_rebuild(
                tx,
                self._db,
                context.requester,
                instance,
                image_uuid=image_uuid,
                extra_specs=specs[instance.instance_type_uuid],
                preserve_ephemeral=request.preserve_ephemeral,
                image=glance_image,
            )
        self._wake_engine()
        return InstanceRecord(instance._replace(**changes))

    # -- power ---------------------------------------------------------------------------------

    def set_power_state(self, context: RequestContext, ident: str, target: str) -> None:
        try:
            wanted = PowerTarget(target)
        except ValueError:
            raise InvalidInput(
                f"Invalid value for field 'target': {target!r}; choose from "
                f"{', '.join(PowerTarget)}."
            ) from None
        with self._db.transaction() as tx:
            instance = self._visible(context, ident, "mogan:instance:set_power_state", tx)
            self._unlocked(context, instance, ident, "changing its power")
            if wanted.soft and instance.power_state == states.POWER_OFF:
                # Nothing runs to ask for a graceful shutdown or restart (as Nova's 409).
                raise Conflict(
                    f"Instance {ident} is powered off; '{target}' needs a running operating "
                    "system. Use 'on' or 'reboot' to power it on."
                )
            expected = wanted.observed
            if not instances.request_power(tx, instance.uuid, expected):
                if instance.status != states.ACTIVE:
                    raise Conflict(
                        f"Instance {ident} is {instance.status}; its power can only "
                        "be changed while it is active."
                    )
                raise Conflict(
                    f"Instance {ident} already has a pending power change to "
                    f"'{instance.target_power_state}'."
                )
            request_power(tx, self._db, context.requester, instance, target=wanted)
        self._wake_engine()

    # -- rescue --------------------------------------------------------------------------------

    def rescue(self, context: RequestContext, ident: str, request: schemas.RescueRequest) -> str:
        """Queue booting the instance's node into a rescue system; the instance is
        ``rescuing``, then ``rescue``. Returns the rescue password: the caller's, or one made
        here. Only an active instance with no power change pending, and not a locked one
        (unless the caller may ignore locks). A Glance rescue image is read as the caller,
        before anything is held."""
        rule = "mogan:instance:rescue"
        glance_image = boot_image = None
        if self._images.in_glance:
            current = self._visible(context, ident, rule)  # 404 before any Glance read
            if request.image_uuid is not None:
                glance_image = self._images.resolve(context, request.image_uuid)
            boot_image = self._boot_image(context, current)
        password = request.rescue_password or make_password(self._rescue_password_length)
        with self._db.transaction() as tx:
            instance = self._visible(context, ident, rule, tx)
            self._unlocked(context, instance, ident, "rescuing it")
            if instance.status not in states.RESCUABLE or instance.node_uuid is None:
                raise Conflict(
                    f"Instance {ident} is {instance.status}; only an active instance can be "
                    "rescued."
                )
            if instance.target_power_state is not None:
                raise Conflict(
                    f"Instance {ident} has a pending power change to "
                    f"'{instance.target_power_state}'; rescue it once that is done."
                )
            if (
                request.image_uuid is not None
                and glance_image is None
                and IMAGES.get(self._db, request.image_uuid) is None
            ):
                raise InvalidInput(
                    f"Invalid value for field 'image_uuid': image {request.image_uuid} was "
                    "not found."
                )
            if not instances.move(tx, instance.uuid, instance.status, status=states.RESCUING):
                raise Conflict(f"Instance {ident} changed while being rescued; try again.")
            state = RescueState(
                request_id=context.request_id,
                rescue_password=password,
                image_uuid=request.image_uuid,
                image=glance_image,
                boot_image=boot_image,
            )
            request_rescue(tx, self._db, context.requester, instance, state)
        self._wake_engine()
        return password

    def unrescue(self, context: RequestContext, ident: str) -> None:
        """Queue booting a rescued instance's own disk again (``unrescuing``, then
        ``active``); also finishes a rescue that failed half-way (an instance in ``error``
        whose last action was a rescue or an unrescue)."""
        boot_image = None
        if self._images.in_glance:
            current = self._visible(context, ident, "mogan:instance:unrescue")
            boot_image = self._boot_image(context, current)
        with self._db.transaction() as tx:
            instance = self._visible(context, ident, "mogan:instance:unrescue", tx)
            self._unlocked(context, instance, ident, "unrescuing it")
            if (
                instance.status not in states.UNRESCUABLE
                or instance.node_uuid is None
                or (instance.status == states.ERROR and not self._rescue_failed(instance))
            ):
                raise Conflict(
                    f"Instance {ident} is {instance.status}; only a rescued instance, or one a "
                    "failed rescue left in error, can be unrescued."
                )
            if not instances.move(tx, instance.uuid, instance.status, status=states.UNRESCUING):
                raise Conflict(f"Instance {ident} changed while being unrescued; try again.")
            state = RescueState(request_id=context.request_id, unrescue=True, boot_image=boot_image)
            request_rescue(tx, self._db, context.requester, instance, state)
        self._wake_engine()

    def _boot_image(self, context: RequestContext, instance: InstanceRow) -> ImageFacts | None:
        """The instance's own Glance image as the caller sees it, for drivers whose unrescue
        boots it again from a URL; None when Glance no longer shows it (the unrescue then
        fails on such a driver, saying so)."""
        try:
            return self._images.resolve(context, instance.image_uuid)
        except InvalidInput:
            return None

    def _rescue_failed(self, instance: InstanceRow) -> bool:
        latest, _ = actions.page(self._db, instance.uuid, limit=1)
        return bool(latest) and latest[0].action in ("rescue", "unrescue")

    # -- interfaces ----------------------------------------------------------------------------

    def attach_interface(
        self, context: RequestContext, ident: str, request: schemas.NetworkRequest
    ) -> None:
        """Queue another NIC of the instance's node onto a network (a Neutron port the caller
        gave, on Neutron). The network is checked as a create's; ``Conflict`` when the
        instance is not active, is locked, or its node has no free NIC of the kind asked."""
        rule = "mogan:instance:interfaces"
        self._visible(context, ident, rule)  # 404 before any Neutron read
        (network,) = self._networks.resolve(context, [request], field_name="interface")
        with self._db.transaction() as tx:
            instance = self._changeable(context, ident, rule, tx, "attaching an interface")
            if not self._networks.in_neutron and not networks.NETWORKS.get(
                self._db, network.net_id
            ):
                raise InvalidInput(
                    f"Invalid value for field 'net_id': network {network.net_id} was not found."
                )
            nics = nodes.nics_of(self._db, [instance.node_uuid or ""]).get(
                instance.node_uuid or "", []
            )
            used = {port.nic_uuid for port in ports.of_instance(self._db, instance.uuid)}
            free = [(nic.uuid, nic.port_type) for nic in nics if nic.uuid not in used]
            if not assign_nics(free, [network]):
                kind = f" of port type {network.port_type!r}" if network.port_type else ""
                raise Conflict(
                    f"Instance {ident}'s node has no free NIC{kind} left for another interface."
                )
            state = InterfaceState(
                request_id=context.request_id,
                network=network,  # Neutron's default security group, as Nova's attach
                project_id=instance.project_id,
            )
            request_interface(tx, self._db, context.requester, instance, state)
        self._wake_engine()

    def detach_interface(self, context: RequestContext, ident: str, port_uuid: str) -> None:
        """Queue taking port ``port_uuid`` off the instance (``NotFound`` unless it is one of
        the instance's)."""
        rule = "mogan:instance:interfaces"
        with self._db.transaction() as tx:
            instance = self._changeable(context, ident, rule, tx, "detaching an interface")
            if port_uuid not in {p.uuid for p in ports.of_instance(self._db, instance.uuid)}:
                raise NotFound(f"Port {port_uuid} is not an interface of instance {ident}.")
            state = InterfaceState(request_id=context.request_id, detach=True, port_uuid=port_uuid)
            request_interface(tx, self._db, context.requester, instance, state)
        self._wake_engine()

    def _changeable(
        self, context: RequestContext, ident: str, rule: str, tx: Executor, doing: str
    ) -> InstanceRow:
        """The caller's active, unlocked instance, for a change of its interfaces."""
        instance = self._visible(context, ident, rule, tx)
        self._unlocked(context, instance, ident, doing)
        if instance.status != states.ACTIVE or instance.node_uuid is None:
            raise Conflict(
                f"Instance {ident} is {instance.status}; interfaces can only be changed while "
                "it is active."
            )
        return instance


def make_password(length: int) -> str:
    """A random password of letters and digits (as Nova's ``generate_password``), with no
    look-alike characters."""
    alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _because(reason: str | None) -> str:
    return f" ({reason})" if reason else ""
