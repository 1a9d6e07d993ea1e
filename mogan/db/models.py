"""The schema. The database is the truth; every state change is a compare-and-set on it.

Timestamps are naive UTC. Rows are keyed by UUID strings so identities are stable across
databases and visible in the API as they are stored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from mogan.core.clock import utcnow

UUID = String(36)

# Stable constraint names so Alembic can alter them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def table_of(model: type[Base]) -> Table:
    """A model's Core table, for the plain INSERT and UPDATE of hot paths: there the ORM's
    bookkeeping (unit of work, bulk-update evaluation) costs more than the statement does.
    Column defaults such as ``updated_at`` still apply."""
    return cast(Table, model.__table__)


class Timestamps:
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime, onupdate=utcnow)


class InstanceType(Timestamps, Base):
    __tablename__ = "instance_types"
    __table_args__ = (Index("ix_instance_types_created", "created_at", "uuid"),)
    uuid: Mapped[str] = mapped_column(UUID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)


class InstanceTypeExtraSpec(Base):
    __tablename__ = "instance_type_extra_specs"
    type_uuid: Mapped[str] = mapped_column(
        ForeignKey("instance_types.uuid", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


class InstanceTypeProject(Base):
    """A private type's access list: the projects besides admins that may use it."""

    __tablename__ = "instance_type_projects"
    type_uuid: Mapped[str] = mapped_column(
        ForeignKey("instance_types.uuid", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[str] = mapped_column(String(255), primary_key=True)


class Image(Timestamps, Base):
    __tablename__ = "images"
    __table_args__ = (
        Index("ix_images_name", "name", "uuid"),
        Index("ix_images_created", "created_at", "uuid"),
    )
    uuid: Mapped[str] = mapped_column(UUID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str | None] = mapped_column(String(255))
    disk_format: Mapped[str] = mapped_column(String(16))


class Network(Timestamps, Base):
    __tablename__ = "networks"
    __table_args__ = (
        Index("ix_networks_name", "name", "uuid"),
        Index("ix_networks_created", "created_at", "uuid"),
    )
    uuid: Mapped[str] = mapped_column(UUID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))


class Subnet(Base):
    __tablename__ = "subnets"
    uuid: Mapped[str] = mapped_column(UUID, primary_key=True)
    network_uuid: Mapped[str] = mapped_column(
        ForeignKey("networks.uuid", ondelete="CASCADE"), index=True
    )
    cidr: Mapped[str] = mapped_column(String(64))
    ip_version: Mapped[int] = mapped_column(Integer)
    gateway_ip: Mapped[str | None] = mapped_column(String(64))
    #: ``[{"start": "…", "end": "…"}]``
    allocation_pools: Mapped[list[Any]] = mapped_column(JSON)
    #: How many addresses the subnet has handed out, as a sequence counts: the next one is the
    #: address at this position in its pools, round and round (see ``mogan.db.ports``).
    allocations: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Node(Timestamps, Base):
    __tablename__ = "nodes"
    __table_args__ = (
        Index("ix_nodes_schedulable", "availability_zone", "maintenance", "instance_uuid"),
        Index("ix_nodes_maintenance", "maintenance"),
        Index("ix_nodes_resource_class", "resource_class"),
        Index("ix_nodes_created", "created_at", "uuid"),
        Index("ix_nodes_state_name", "provision_state", "name"),
        # The free nodes alone, in uuid order: the scheduler samples them from a random point.
        Index(
            "ix_nodes_free",
            "uuid",
            postgresql_where=text("instance_uuid IS NULL"),
            sqlite_where=text("instance_uuid IS NULL"),
        ),
    )
    uuid: Mapped[str] = mapped_column(UUID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    driver: Mapped[str] = mapped_column(String(64))
    driver_info: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    resource_class: Mapped[str | None] = mapped_column(String(255))
    #: ``resource_class`` as Placement names it (``CUSTOM_…``), so SQL can filter on it.
    resource_class_trait: Mapped[str | None] = mapped_column(String(255), index=True)
    availability_zone: Mapped[str | None] = mapped_column(String(255))
    maintenance: Mapped[bool] = mapped_column(Boolean, default=False)
    maintenance_reason: Mapped[str | None] = mapped_column(Text)
    #: Why, as data (``mogan.core.states.MaintenanceKind``); null when not in maintenance.
    maintenance_kind: Mapped[str | None] = mapped_column(String(32))
    #: With ``failed_cleanup``: the instance whose failed deploy may still be on the node.
    leftover_instance_uuid: Mapped[str | None] = mapped_column(UUID)
    #: The instance this node serves; unique, and only ever set by a conditional UPDATE.
    instance_uuid: Mapped[str | None] = mapped_column(UUID, unique=True)
    power_state: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)
    #: Where the node is in its life (``mogan.core.lifecycle``), in Ironic's words: moved by
    #: Mogan for the nodes it drives, mirrored from Ironic for Ironic's. Only ``available``
    #: nodes are schedulable.
    provision_state: Mapped[str] = mapped_column(String(32), server_default="enroll")
    #: How many NICs the node has, kept in the transactions that add or remove them: the
    #: scheduler ranks free nodes by it, and counting every free node's NICs per decision cost
    #: more than all the rest of scheduling.
    nic_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The project the node is dedicated to, and the project it is lent to (as Ironic's
    #: ``owner`` and ``lessee``): when either is set, only their instances are scheduled here.
    owner: Mapped[str | None] = mapped_column(String(255), index=True)
    lessee: Mapped[str | None] = mapped_column(String(255), index=True)
    #: What the node's last verification found, per interface (``{"power": {"result": true,
    #: "reason": null}, …}``), and when: ``GET /v1/nodes/{node}/validate`` reads it.
    interface_checks: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Nic(Base):
    __tablename__ = "nics"
    uuid: Mapped[str] = mapped_column(UUID, primary_key=True)
    node_uuid: Mapped[str] = mapped_column(ForeignKey("nodes.uuid", ondelete="CASCADE"), index=True)
    mac_address: Mapped[str] = mapped_column(String(17), unique=True)
    port_type: Mapped[str | None] = mapped_column(String(64))
    #: The link speed an inspection found, in Mbit/s.
    speed_mbps: Mapped[int | None] = mapped_column(Integer)
    #: The switch port it is cabled to, in Ironic's words (``switch_id``, ``port_id``,
    #: ``switch_info``): what Neutron binds a baremetal port with.
    local_link_connection: Mapped[dict[str, str] | None] = mapped_column(JSON)


class NodeInventory(Base):
    """What the last inspection of a node found: the hardware's own report, and which
    ``properties`` it wrote (a property with another value was set by hand and is kept)."""

    __tablename__ = "node_inventories"
    node_uuid: Mapped[str] = mapped_column(
        ForeignKey("nodes.uuid", ondelete="CASCADE"), primary_key=True
    )
    inventory: Mapped[dict[str, Any]] = mapped_column(JSON)
    applied: Mapped[dict[str, Any]] = mapped_column(JSON)
    inspected_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Instance(Timestamps, Base):
    __tablename__ = "instances"
    __table_args__ = (
        Index("ix_instances_project_created", "project_id", "created_at"),
        Index("ix_instances_project_class", "project_id", "resource_class"),
        Index("ix_instances_created", "created_at", "uuid"),
        Index("ix_instances_status_created", "status", "created_at", "uuid"),
    )
    uuid: Mapped[str] = mapped_column(UUID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    description: Mapped[str | None] = mapped_column(String(255))
    project_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), index=True)
    power_state: Mapped[str | None] = mapped_column(String(16))
    target_power_state: Mapped[str | None] = mapped_column(String(16))
    instance_type_uuid: Mapped[str] = mapped_column(UUID, index=True)
    image_uuid: Mapped[str] = mapped_column(UUID, index=True)
    availability_zone: Mapped[str | None] = mapped_column(String(255), index=True)
    node_uuid: Mapped[str | None] = mapped_column(UUID)
    #: Derived from the instance's ports, written with them in one transaction.
    network_info: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    launched_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: Whether the deploy delivered a config drive (null until deployed).
    config_drive: Mapped[bool | None] = mapped_column(Boolean)
    #: The key pair given at create, and its public key then (a later change or deletion
    #: of the key pair does not change what the instance was given).
    key_name: Mapped[str | None] = mapped_column(String(255))
    key_data: Mapped[str | None] = mapped_column(Text)
    #: Base64 user data, for the config drive only: never shown by the API.
    user_data: Mapped[str | None] = mapped_column(Text)
    #: The tenant's metadata string pairs (``metadata`` in the API; the name is SQLAlchemy's).
    user_metadata: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Who locked it (``owner`` or ``admin``: an owner may not lift an administrator's lock),
    #: and why; null when it is not locked.
    locked_by: Mapped[str | None] = mapped_column(String(16))
    locked_reason: Mapped[str | None] = mapped_column(Text)
    #: The instance's tags, sorted: a copy of its ``instance_tags`` rows (which filters
    #: query), written with them, so showing an instance needs no second read.
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: The resource class its type asks for (``CUSTOM_GOLD``), counted against the project's
    #: per-class quota; null for a type that names none.
    resource_class: Mapped[str | None] = mapped_column(String(255))
    #: Shared by the instances of one multi-create request.
    reservation_id: Mapped[str | None] = mapped_column(String(64), index=True)


class InstanceFault(Base):
    __tablename__ = "instance_faults"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instance_uuid: Mapped[str] = mapped_column(
        ForeignKey("instances.uuid", ondelete="CASCADE"), index=True
    )
    code: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Port(Base):
    """An instance's attachment to a network through one of its node's NICs."""

    __tablename__ = "ports"
    #: On Neutron, the Neutron port's id.
    uuid: Mapped[str] = mapped_column(UUID, primary_key=True)
    #: One of Mogan's networks, or Neutron's (no row here: hence no foreign key; a builtin
    #: network with ports is not deleted, ``NetworkService.delete`` checks).
    network_uuid: Mapped[str] = mapped_column(UUID, index=True)
    instance_uuid: Mapped[str] = mapped_column(
        ForeignKey("instances.uuid", ondelete="CASCADE"), index=True
    )
    #: One port per NIC: the unique constraint makes a double allocation impossible.
    nic_uuid: Mapped[str] = mapped_column(ForeignKey("nics.uuid"), unique=True)
    mac_address: Mapped[str] = mapped_column(String(17))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    #: A Neutron port the tenant gave: unbound and kept at tear-down (Nova's name).
    preserve_on_delete: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class FixedIP(Base):
    __tablename__ = "fixed_ips"
    __table_args__ = (
        UniqueConstraint("subnet_uuid", "ip_address", name="uq_fixed_ips_subnet_address"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    port_uuid: Mapped[str] = mapped_column(ForeignKey("ports.uuid", ondelete="CASCADE"), index=True)
    subnet_uuid: Mapped[str] = mapped_column(ForeignKey("subnets.uuid"))
    ip_address: Mapped[str] = mapped_column(String(64))


class Operation(Base):
    """A unit of long work on an instance — or on a node, for its inspection and cleaning —
    carried out by whichever engine holds its lease.

    ``status`` goes pending → running → succeeded | failed. While running, ``owner`` and
    ``lease_expires_at`` say who holds it; an expired lease may be taken over by any engine,
    which resumes at ``step`` with ``state``.
    """

    __tablename__ = "operations"
    __table_args__ = (
        Index("ix_operations_claimable", "status", "lease_expires_at"),
        Index("ix_operations_subject", "subject_uuid", "status"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: What the operation works on (``mogan.core.operations.SubjectKind``) and which one.
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_uuid: Mapped[str] = mapped_column(UUID)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    step: Mapped[str] = mapped_column(String(32))
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    owner: Mapped[str | None] = mapped_column(String(255))
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: How many times an engine has claimed this operation (takeovers included).
    claims: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime, onupdate=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class EngineRecord(Base):
    """A running engine, so engines can divide periodic work among the live ones."""

    __tablename__ = "engines"
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)


class FakeHardware(Base):
    """The simulated machine behind a ``fake`` node: what a BMC would report."""

    __tablename__ = "fake_hardware"
    node_uuid: Mapped[str] = mapped_column(
        ForeignKey("nodes.uuid", ondelete="CASCADE"), primary_key=True
    )
    power_state: Mapped[str] = mapped_column(String(16))
    pending_power_state: Mapped[str | None] = mapped_column(String(16))
    power_change_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    deployed_instance: Mapped[str | None] = mapped_column(UUID)
    deployed_image_url: Mapped[str | None] = mapped_column(Text)
    boot_device: Mapped[str] = mapped_column(String(16), default="disk")
    #: The config drive's files, by path, base64-encoded.
    config_drive: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The instance whose deploy last wrote the disks (a clean erases it).
    disk_written_by: Mapped[str | None] = mapped_column(UUID)
    cleanings: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_clean_mode: Mapped[str | None] = mapped_column(String(16))
    #: Rescued: the rescue image booted, and the SHA-256 of the rescue password given.
    rescue_image_url: Mapped[str | None] = mapped_column(Text)
    rescue_password_sha256: Mapped[str | None] = mapped_column(String(64))
    #: The BIOS settings that differ from the factory's, and the RAID configuration.
    bios_settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    raid_config: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class FakeHardwareCall(Base):
    """What a simulated BMC was asked to do, one row per request it received, as a real
    BMC's audit log would show: how a test proves a step reached the hardware once."""

    __tablename__ = "fake_hardware_calls"
    __table_args__ = (Index("ix_fake_hardware_calls_node", "node_uuid", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    node_uuid: Mapped[str] = mapped_column(ForeignKey("nodes.uuid", ondelete="CASCADE"))
    #: ``deploy``, ``undeploy``, ``inspect``, ``clean``, ``rescue``, ``unrescue``,
    #: ``power <action>``.
    call: Mapped[str] = mapped_column(String(32))
    #: The instance a deploy was for.
    instance_uuid: Mapped[str | None] = mapped_column(UUID)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class KeyPair(Base):
    """A user's SSH public key, by name (the private half of a generated pair is never kept)."""

    __tablename__ = "keypairs"
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    #: The project the user was in when the key was added (what quotas will count).
    project_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(16), default="ssh")
    public_key: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class DeployTemplate(Timestamps, Base):
    """An operator's deploy template (Ironic's): steps a deploy runs when the instance type
    requires the trait it is named after."""

    __tablename__ = "deploy_templates"
    __table_args__ = (Index("ix_deploy_templates_created", "created_at", "uuid"),)
    uuid: Mapped[str] = mapped_column(UUID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    #: ``[{interface, step, args, priority}]``, checked on the way in.
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    extra: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class NodeConfiguration(Base):
    """What a node's BIOS and RAID hold, as its driver last reported them after applying a
    deploy template's steps (or a clean's reset)."""

    __tablename__ = "node_configurations"
    node_uuid: Mapped[str] = mapped_column(
        ForeignKey("nodes.uuid", ondelete="CASCADE"), primary_key=True
    )
    bios_settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    raid_config: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The deploy template steps applied last, ``interface.step`` each, and when.
    applied_steps: Mapped[list[str] | None] = mapped_column(JSON)
    applied_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class NodeTrait(Base):
    """A trait of a node (Placement's ``CUSTOM_*`` or standard names, as Ironic's node traits):
    what instance types ask for with ``trait:<NAME>=required`` or ``=forbidden``."""

    __tablename__ = "node_traits"
    __table_args__ = (Index("ix_node_traits_trait", "trait", "node_uuid"),)
    node_uuid: Mapped[str] = mapped_column(
        ForeignKey("nodes.uuid", ondelete="CASCADE"), primary_key=True
    )
    trait: Mapped[str] = mapped_column(String(255), primary_key=True)


class ConsoleToken(Base):
    """A short-lived, single-use ticket to one instance's console (the proxy's only auth).

    Only the SHA-256 of the token is kept: the token itself is in the URL given to the
    caller, once. Used tickets and expired ones are removed by the proxy as it goes."""

    __tablename__ = "console_tokens"
    __table_args__ = (Index("ix_console_tokens_expires", "expires_at"),)
    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    instance_uuid: Mapped[str] = mapped_column(
        ForeignKey("instances.uuid", ondelete="CASCADE"), index=True
    )
    protocol: Mapped[str] = mapped_column(String(16))
    console_type: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class InstanceTag(Base):
    """A tenant's tag on an instance (as Nova's server tags).

    ``created_at`` is the instance's, copied (it never changes): a list filtered by one tag
    walks ``ix_instance_tags_tag_created`` in the list's own order and reads a page of
    instances, not every tagged one.
    """

    __tablename__ = "instance_tags"
    __table_args__ = (Index("ix_instance_tags_tag_created", "tag", "created_at", "instance_uuid"),)
    instance_uuid: Mapped[str] = mapped_column(
        ForeignKey("instances.uuid", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(60), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class InstanceAction(Base):
    """A request that changed an instance, and how it ended (Nova's instance actions).

    Not tied to the instance row by a foreign key: the record outlives the instance, so an
    administrator can still read what happened to a deleted one.
    """

    __tablename__ = "instance_actions"
    __table_args__ = (
        Index("ix_instance_actions_subject", "subject_uuid", "id"),
        Index("ix_instance_actions_request", "subject_uuid", "request_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: What was acted on (``mogan.core.operations.SubjectKind``: an instance, or a node for
    #: its own history) and which one.
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_uuid: Mapped[str] = mapped_column(UUID)
    #: The ``X-OpenStack-Request-Id`` the request was answered with (or the engine's own id
    #: for what it did unasked, such as a power sync's correction).
    request_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    project_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str | None] = mapped_column(String(255))
    start_time: Mapped[dt.datetime] = mapped_column(DateTime)
    finish_time: Mapped[dt.datetime | None] = mapped_column(DateTime)
    #: ``success`` or ``error`` once finished; ``message`` says why it failed, or what it did.
    result: Mapped[str | None] = mapped_column(String(16))
    message: Mapped[str | None] = mapped_column(Text)


class InstanceActionEvent(Base):
    """One step an engine carried out for an action: a schedule, a deploy on one node…"""

    __tablename__ = "instance_action_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("instance_actions.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[str] = mapped_column(String(32))
    start_time: Mapped[dt.datetime] = mapped_column(DateTime)
    finish_time: Mapped[dt.datetime] = mapped_column(DateTime)
    result: Mapped[str] = mapped_column(String(16))
    #: The engine that carried the step out.
    host: Mapped[str | None] = mapped_column(String(255))
    #: What happened, for a person: the node, the addresses, the driver's error (no traceback).
    details: Mapped[str | None] = mapped_column(Text)


class QuotaLimit(Base):
    """A project's own limit on one resource (``instances``, ``class:CUSTOM_GOLD``…); a
    resource without a row takes ``[quota]``'s default."""

    __tablename__ = "quotas"
    project_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    resource: Mapped[str] = mapped_column(String(255), primary_key=True)
    hard_limit: Mapped[int] = mapped_column(Integer)


class ServerGroup(Base):
    """Instances to be placed together or apart, across the configured failure domain."""

    __tablename__ = "server_groups"
    __table_args__ = (Index("ix_server_groups_project", "project_id", "created_at"),)
    uuid: Mapped[str] = mapped_column(UUID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    project_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    #: ``affinity``, ``anti-affinity``, ``soft-affinity`` or ``soft-anti-affinity``.
    policy: Mapped[str] = mapped_column(String(32))
    #: Nova's 2.64 rules: ``max_server_per_host`` for ``anti-affinity``.
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ServerGroupMember(Base):
    __tablename__ = "server_group_members"
    instance_uuid: Mapped[str] = mapped_column(
        ForeignKey("instances.uuid", ondelete="CASCADE"), primary_key=True
    )
    group_uuid: Mapped[str] = mapped_column(
        ForeignKey("server_groups.uuid", ondelete="CASCADE"), index=True
    )
