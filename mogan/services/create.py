"""Creating instances: one, or a batch (``min_count``/``max_count``), within quota, in a
server group, where the scheduler hints allow.

Everything is decided in the request's one transaction, so a refusal leaves nothing behind:

1. the references (type, image, networks, zone, group, hinted instances) are checked;
2. under the project's quota lock the project's holdings are counted, and the batch is cut
   to what the quotas allow (fewer than ``min_count``: ``QuotaExceeded``);
3. a batch claims its nodes now, each under its group's locks, so "as many as fit" is
   known before answering, and fewer than ``min_count`` free nodes means nothing is created
   and no node is held; a single instance is scheduled by the engine;
4. each instance is added with its tags, group membership, action and create operation.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from mogan.core import quotas, states
from mogan.core.clock import utcnow
from mogan.core.errors import Conflict, InvalidInput
from mogan.core.images import ImageFacts
from mogan.core.operations import CreateState
from mogan.core.placement import GroupPolicy, TypeRequirements
from mogan.db import instances, keypairs, scheduler, server_groups
from mogan.db import quotas as quota_data
from mogan.db.database import Database, Executor
from mogan.db.records import InstanceRow, ServerGroupRow
from mogan.operations.instances import request_create
from mogan.services import schemas
from mogan.services.context import RequestContext
from mogan.services.image_lookup import ImageLookup
from mogan.services.network_lookup import NetworkLookup


@dataclass(frozen=True)
class CreateSettings:
    """What creating needs beyond the request: quota defaults, and what the API needs to
    schedule a batch itself."""

    quota_defaults: quotas.Limits = field(default_factory=quotas.Limits)
    #: The drivers nodes may be scheduled on (the enabled ones).
    drivers: Sequence[str] = ("fake",)
    failure_domain: str = "node"
    max_count: int = 100
    #: Where images come from (Mogan's registry unless it names Glance).
    images: ImageLookup = field(default_factory=ImageLookup)
    #: Where networks come from (Mogan's registry unless it names Neutron).
    networks: NetworkLookup = field(default_factory=NetworkLookup)


@dataclass(frozen=True)
class Batch:
    """The instances one create request made, and the reservation they share."""

    instances: list[InstanceRow]
    reservation_id: str


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
    key_name: str | None = None,
    key_data: str | None = None,
    user_data: str | None = None,
    metadata: dict[str, str] | None = None,
    tags: list[str] | None = None,
    resource_class: str | None = None,
    reservation_id: str | None = None,
) -> InstanceRow:
    """A new instance, ``building``, not yet on any node."""
    return InstanceRow(
        uuid=str(uuid_module.uuid4()),
        created_at=utcnow(),
        updated_at=None,
        name=name,
        description=description,
        project_id=project_id,
        user_id=user_id,
        status=states.INITIAL,
        power_state=None,
        target_power_state=None,
        instance_type_uuid=instance_type_uuid,
        image_uuid=image_uuid,
        availability_zone=availability_zone,
        node_uuid=None,
        network_info={},
        extra=dict(extra),
        launched_at=None,
        config_drive=None,
        key_name=key_name,
        key_data=key_data,
        user_data=user_data,
        user_metadata=dict(metadata or {}),
        locked_by=None,
        locked_reason=None,
        tags=sorted(set(tags or [])),
        resource_class=resource_class,
        reservation_id=reservation_id,
    )


class InstanceCreator:
    """The create use case (``InstanceService.create`` answers with it)."""

    def __init__(
        self, db: Database, settings: CreateSettings, wake_engine: Callable[[], None]
    ) -> None:
        self._db = db
        self._settings = settings
        self._wake_engine = wake_engine

    def create(self, context: RequestContext, request: schemas.InstanceCreate) -> Batch:
        """Create ``max_count`` instances, or as many as the quotas and free nodes allow
        down to ``min_count``; nothing when fewer fit. The caller is authorised already."""
        wanted = request.max_count or request.min_count
        if wanted > self._settings.max_count:
            raise InvalidInput(
                f"Invalid value for field 'max_count': at most {self._settings.max_count} "
                "instances may be created by one request."
            )
        key_data = self._public_key(context, request.key_name)
        hints = request.scheduler_hints
        image = self._settings.images.resolve(context, request.image_uuid)
        lookup = self._settings.networks
        networks = lookup.resolve(context, request.networks, instances=wanted)
        security_groups = lookup.security_groups(context, request.security_groups)
        with self._db.transaction() as tx:
            extra_specs = check_references(
                tx,
                context,
                request,
                image_in_glance=image is not None,
                networks_in_neutron=lookup.in_neutron,
            )
            group = check_group(tx, context, hints.group)
            check_hinted(tx, context, hints)
            resource_class = TypeRequirements.from_extra_specs(extra_specs).resource_class_trait
            if image is not None:
                self._check_size(tx, image, resource_class)
            limits = quota_data.limits(tx, context.project_id, self._settings.quota_defaults)
            count = quota_allows(
                tx, limits, context.project_id, resource_class, group, request.min_count, wanted
            )
            reservation_id = f"r-{uuid_module.uuid4().hex[:12]}"
            made: list[InstanceRow] = []
            for name in names_for(request.name, count):
                instance = building_instance(
                    name=name,
                    description=request.description,
                    project_id=context.project_id,
                    user_id=context.user_id,
                    instance_type_uuid=request.instance_type_uuid,
                    image_uuid=request.image_uuid,
                    availability_zone=request.availability_zone,
                    extra=request.extra,
                    key_name=request.key_name,
                    key_data=key_data,
                    user_data=request.user_data,
                    metadata=request.metadata,
                    tags=request.tags,
                    resource_class=resource_class,
                    reservation_id=reservation_id,
                )
                state = CreateState(
                    request_id=context.request_id,
                    networks=networks,
                    availability_zone=request.availability_zone,
                    extra_specs=extra_specs,
                    project_id=context.project_id,
                    group=group_policy(group),
                    different_host=list(hints.different_host),
                    same_host=list(hints.same_host),
                    image=image,
                    security_groups=security_groups,
                )
                if wanted > 1:  # a batch: its nodes are claimed now, all or nothing
                    claimed = self._claim(tx, state, instance.uuid)
                    if claimed is None:
                        break
                    instance = instance._replace(node_uuid=claimed.node.uuid)
                    state.node_uuid = claimed.node.uuid
                    state.claimed_nics = list(claimed.nic_uuids)
                    state.claimed_macs = dict(claimed.macs)
                self._add(tx, context, instance, state, group)
                made.append(instance)
            if len(made) < request.min_count:
                raise Conflict(
                    f"Only {len(made)} of the {wanted} instances requested fit on free "
                    f"nodes, fewer than min_count {request.min_count}; none was created."
                )
        self._wake_engine()
        return Batch(made, reservation_id)

    def _check_size(self, tx: Executor, image: ImageFacts, trait: str | None) -> None:
        """``InvalidInput`` naming ``min_ram`` or ``min_disk`` when no node of the type
        could ever hold the image (its nodes' ``memory_mb``, ``local_gb``)."""
        drivers = self._settings.drivers
        for name, ram, disk, unit in (
            ("min_ram", image.min_ram, 0, f"{image.min_ram} MiB of memory"),
            ("min_disk", image.min_ram, image.min_disk, f"{image.min_disk} GiB of disk"),
        ):
            if (ram or disk) and not scheduler.any_large_enough(tx, drivers, trait, ram, disk):
                raise InvalidInput(
                    f"Invalid value for field 'image_uuid': image {image.uuid} needs {unit} "
                    f"({name}), more than any node of this instance type has."
                )

    def _claim(
        self, tx: Executor, state: CreateState, instance_uuid: str
    ) -> scheduler.Claimed | None:
        request = scheduler.request_for(
            state, self._settings.drivers, self._settings.failure_domain
        )
        return scheduler.claim_for_batch(tx, request, instance_uuid)

    def _add(
        self,
        tx: Executor,
        context: RequestContext,
        instance: InstanceRow,
        state: CreateState,
        group: ServerGroupRow | None,
    ) -> None:
        instances.add(tx, instance)
        if group is not None:
            server_groups.add_member(tx, group.uuid, instance.uuid)
        request_create(tx, self._db, context.requester, instance, state)

    def _public_key(self, context: RequestContext, key_name: str | None) -> str | None:
        """The public key of the caller's key pair ``key_name`` (None for none)."""
        if key_name is None:
            return None
        keypair = keypairs.get(self._db, context.user_id, key_name)
        if keypair is None:
            raise InvalidInput(
                f"Invalid value for field 'key_name': key pair {key_name!r} was not found."
            )
        return keypair.public_key


def check_references(
    tx: Executor,
    context: RequestContext,
    request: schemas.InstanceCreate,
    *,
    image_in_glance: bool = False,
    networks_in_neutron: bool = False,
) -> dict[str, str]:
    """Every UUID the request names must exist and be visible; returns the type's specs.
    (An image in Glance, a network in Neutron, was checked there with the caller's token.)"""
    found = instances.references(
        tx,
        type_uuid=request.instance_type_uuid,
        image_uuid=request.image_uuid,
        network_uuids=[]
        if networks_in_neutron
        else [n.net_id for n in request.networks if n.net_id],
        visible_to_project=None if context.is_admin else context.project_id,
    )
    if found.extra_specs is None:
        raise InvalidInput(
            f"Invalid value for field 'instance_type_uuid': instance type "
            f"{request.instance_type_uuid} was not found."
        )
    if not (image_in_glance or found.image_found):
        raise InvalidInput(
            f"Invalid value for field 'image_uuid': image {request.image_uuid} was not found."
        )
    for index, network in enumerate(request.networks):
        if not networks_in_neutron and network.net_id not in found.networks_found:
            raise InvalidInput(
                f"Invalid value for field 'networks.{index}.net_id': "
                f"network {network.net_id} was not found."
            )
    zone = request.availability_zone
    if zone is not None and not instances.zone_exists(tx, zone):
        raise InvalidInput(
            f"Invalid value for field 'availability_zone': zone {zone!r} does not exist."
        )
    return found.extra_specs


def quota_allows(
    tx: Executor,
    limits: quotas.Limits,
    project_id: str,
    resource_class: str | None,
    group: ServerGroupRow | None,
    minimum: int,
    wanted: int,
) -> int:
    """How many of ``wanted`` instances the project's quotas allow: at least ``minimum``,
    or ``QuotaExceeded`` naming the quota that stops it. Takes the project's lock for the
    rest of ``tx`` whenever a limit applies (and counts nothing when none does)."""
    class_limit = limits.of_class(resource_class) if resource_class else quotas.UNLIMITED
    member_limit = limits.server_group_members if group is not None else quotas.UNLIMITED
    if quotas.UNLIMITED == limits.instances == class_limit == member_limit:
        return wanted
    quota_data.lock_project(tx, project_id)
    group_uuid = group.uuid if group is not None else None
    total, by_class, members = quota_data.instances_held(tx, project_id, group_uuid)
    checks = [(quotas.INSTANCES, limits.instances, total)]
    if resource_class:
        held = by_class.get(resource_class, 0)
        checks.append((quotas.CLASS_PREFIX + resource_class, class_limit, held))
    if group is not None:
        checks.append((quotas.SERVER_GROUP_MEMBERS, member_limit, members))
    allowed = wanted
    for resource, limit, in_use in checks:
        fits = quotas.allowed(limit, in_use, wanted)
        if fits < minimum:
            quotas.check(resource, limit, in_use, minimum)
        allowed = min(allowed, fits)
    return allowed


def names_for(name: str, count: int) -> list[str]:
    """``name`` for one instance; ``name-1`` … ``name-N`` for a batch (as Nova names them)."""
    return [name] if count == 1 else [f"{name}-{i}" for i in range(1, count + 1)]


def check_group(tx: Executor, context: RequestContext, uuid: str | None) -> ServerGroupRow | None:
    """The server group named by the ``group`` hint, if it is the caller's project's."""
    if uuid is None:
        return None
    group = server_groups.get(tx, uuid)
    if group is None or group.project_id != context.project_id:
        raise InvalidInput(
            f"Invalid value for field 'scheduler_hints.group': server group {uuid} was not found."
        )
    return group


def group_policy(group: ServerGroupRow | None) -> GroupPolicy | None:
    """The group as a create operation carries it."""
    if group is None:
        return None
    return GroupPolicy(
        uuid=group.uuid,
        policy=group.policy,
        max_per_domain=int((group.rules or {}).get("max_server_per_host", 1)),
    )


def check_hinted(tx: Executor, context: RequestContext, hints: schemas.SchedulerHints) -> None:
    """``different_host`` and ``same_host`` name instances of the caller's project."""
    for field_name in ("different_host", "same_host"):
        for uuid in getattr(hints, field_name):
            found = instances.get_locked(tx, uuid)
            if found is None or found.project_id != context.project_id:
                raise InvalidInput(
                    f"Invalid value for field 'scheduler_hints.{field_name}': instance {uuid} "
                    "was not found."
                )
