"""The schema. The database is the truth; every state change is a compare-and-set on it.

Plain SQLAlchemy Core tables: the data layer reads rows into records (``mogan.db.records``)
and writes with Core statements, so nothing needs the ORM, whose import and mapped classes
cost every process several MiB.

Timestamps are naive UTC. Rows are keyed by UUID strings so identities are stable across
databases and visible in the API as they are stored.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
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

from mogan.core.clock import utcnow

UUID = String(36)

# Stable constraint names so Alembic can alter them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Every table; Alembic's migrations are checked against it (tests/unit/test_migrations.py).
metadata = MetaData(naming_convention=NAMING)


INSTANCE_TYPES = Table(
    "instance_types",
    metadata,
    Column("uuid", UUID, primary_key=True),
    Column("name", String(255), unique=True, nullable=False),
    Column("description", Text),
    Column("is_public", Boolean, default=True, nullable=False),
    Column("created_at", DateTime, default=utcnow, nullable=False),
    Column("updated_at", DateTime, onupdate=utcnow),
    Index("ix_instance_types_created", "created_at", "uuid"),
)


INSTANCE_TYPE_EXTRA_SPECS = Table(
    "instance_type_extra_specs",
    metadata,
    Column("type_uuid", ForeignKey("instance_types.uuid", ondelete="CASCADE"), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("value", String(255), nullable=False),
)


#: A private type's access list: the projects besides admins that may use it.
INSTANCE_TYPE_PROJECTS = Table(
    "instance_type_projects",
    metadata,
    Column("type_uuid", ForeignKey("instance_types.uuid", ondelete="CASCADE"), primary_key=True),
    Column("project_id", String(255), primary_key=True),
)


IMAGES = Table(
    "images",
    metadata,
    Column("uuid", UUID, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("url", Text, nullable=False),
    Column("checksum", String(255)),
    Column("disk_format", String(16), nullable=False),
    Column("created_at", DateTime, default=utcnow, nullable=False),
    Column("updated_at", DateTime, onupdate=utcnow),
    Index("ix_images_name", "name", "uuid"),
    Index("ix_images_created", "created_at", "uuid"),
)


NETWORKS = Table(
    "networks",
    metadata,
    Column("uuid", UUID, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("created_at", DateTime, default=utcnow, nullable=False),
    Column("updated_at", DateTime, onupdate=utcnow),
    Index("ix_networks_name", "name", "uuid"),
    Index("ix_networks_created", "created_at", "uuid"),
)


SUBNETS = Table(
    "subnets",
    metadata,
    Column("uuid", UUID, primary_key=True),
    Column(
        "network_uuid", ForeignKey("networks.uuid", ondelete="CASCADE"), index=True, nullable=False
    ),
    Column("cidr", String(64), nullable=False),
    Column("ip_version", Integer, nullable=False),
    Column("gateway_ip", String(64)),
    #: ``[{"start": "…", "end": "…"}]``
    Column("allocation_pools", JSON, nullable=False),
    #: How many addresses the subnet has handed out, as a sequence counts: the next one is the
    #: address at this position in its pools, round and round (see ``mogan.db.ports``).
    Column("allocations", Integer, default=0, server_default="0", nullable=False),
    Column("created_at", DateTime, default=utcnow, nullable=False),
)


NODES = Table(
    "nodes",
    metadata,
    Column("uuid", UUID, primary_key=True),
    Column("name", String(255), unique=True, nullable=False),
    Column("driver", String(64), nullable=False),
    Column("driver_info", JSON, default=dict, nullable=False),
    Column("properties", JSON, default=dict, nullable=False),
    Column("resource_class", String(255)),
    #: ``resource_class`` as Placement names it (``CUSTOM_…``), so SQL can filter on it.
    Column("resource_class_trait", String(255), index=True),
    Column("availability_zone", String(255)),
    Column("maintenance", Boolean, default=False, nullable=False),
    Column("maintenance_reason", Text),
    #: Why, as data (``mogan.core.states.MaintenanceKind``); null when not in maintenance.
    Column("maintenance_kind", String(32)),
    #: With ``failed_cleanup``: the instance whose failed deploy may still be on the node.
    Column("leftover_instance_uuid", UUID),
    #: The instance this node serves; unique, and only ever set by a conditional UPDATE.
    Column("instance_uuid", UUID, unique=True),
    Column("power_state", String(16)),
    Column("last_error", Text),
    #: Where the node is in its life (``mogan.core.lifecycle``), in Ironic's words: moved by
    #: Mogan for the nodes it drives, mirrored from Ironic for Ironic's. Only ``available``
    #: nodes are schedulable.
    Column("provision_state", String(32), server_default="enroll", nullable=False),
    #: How many NICs the node has, kept in the transactions that add or remove them: the
    #: scheduler ranks free nodes by it, and counting every free node's NICs per decision cost
    #: more than all the rest of scheduling.
    Column("nic_count", Integer, default=0, server_default="0", nullable=False),
    #: The project the node is dedicated to, and the project it is lent to (as Ironic's
    #: ``owner`` and ``lessee``): when either is set, only their instances are scheduled here.
    Column("owner", String(255), index=True),
    Column("lessee", String(255), index=True),
    #: What the node's last verification found, per interface (``{"power": {"result": true,
    #: "reason": null}, …}``), and when: ``GET /v1/nodes/{node}/validate`` reads it.
    Column("interface_checks", JSON),
    Column("verified_at", DateTime),
    Column("created_at", DateTime, default=utcnow, nullable=False),
    Column("updated_at", DateTime, onupdate=utcnow),
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


NICS = Table(
    "nics",
    metadata,
    Column("uuid", UUID, primary_key=True),
    Column("node_uuid", ForeignKey("nodes.uuid", ondelete="CASCADE"), index=True, nullable=False),
    Column("mac_address", String(17), unique=True, nullable=False),
    Column("port_type", String(64)),
    #: The link speed an inspection found, in Mbit/s.
    Column("speed_mbps", Integer),
    #: The switch port it is cabled to, in Ironic's words (``switch_id``, ``port_id``,
    #: ``switch_info``): what Neutron binds a baremetal port with.
    Column("local_link_connection", JSON),
)


#: What the last inspection of a node found: the hardware's own report, and which
#: ``properties`` it wrote (a property with another value was set by hand and is kept).
NODE_INVENTORIES = Table(
    "node_inventories",
    metadata,
    Column("node_uuid", ForeignKey("nodes.uuid", ondelete="CASCADE"), primary_key=True),
    Column("inventory", JSON, nullable=False),
    Column("applied", JSON, nullable=False),
    Column("inspected_at", DateTime, nullable=False),
)


INSTANCES = Table(
    "instances",
    metadata,
    Column("uuid", UUID, primary_key=True),
    Column("name", String(255), index=True, nullable=False),
    Column("description", String(255)),
    Column("project_id", String(255), nullable=False),
    Column("user_id", String(255), nullable=False),
    Column("status", String(16), index=True, nullable=False),
    Column("power_state", String(16)),
    Column("target_power_state", String(16)),
    Column("instance_type_uuid", UUID, index=True, nullable=False),
    Column("image_uuid", UUID, index=True, nullable=False),
    Column("availability_zone", String(255), index=True),
    Column("node_uuid", UUID),
    #: Derived from the instance's ports, written with them in one transaction.
    Column("network_info", JSON, default=dict, nullable=False),
    Column("extra", JSON, default=dict, nullable=False),
    Column("launched_at", DateTime),
    #: Whether the deploy delivered a config drive (null until deployed).
    Column("config_drive", Boolean),
    #: The key pair given at create, and its public key then (a later change or deletion
    #: of the key pair does not change what the instance was given).
    Column("key_name", String(255)),
    Column("key_data", Text),
    #: Base64 user data, for the config drive only: never shown by the API.
    Column("user_data", Text),
    #: The tenant's metadata string pairs (``metadata`` in the API; the name is SQLAlchemy's).
    Column("user_metadata", JSON, default=dict, nullable=False),
    #: Who locked it (``owner`` or ``admin``: an owner may not lift an administrator's lock),
    #: and why; null when it is not locked.
    Column("locked_by", String(16)),
    Column("locked_reason", Text),
    #: The instance's tags, sorted: a copy of its ``instance_tags`` rows (which filters
    #: query), written with them, so showing an instance needs no second read.
    Column("tags", JSON, default=list, nullable=False),
    #: The resource class its type asks for (``CUSTOM_GOLD``), counted against the project's
    #: per-class quota; null for a type that names none.
    Column("resource_class", String(255)),
    #: Shared by the instances of one multi-create request.
    Column("reservation_id", String(64), index=True),
    Column("created_at", DateTime, default=utcnow, nullable=False),
    Column("updated_at", DateTime, onupdate=utcnow),
    Index("ix_instances_project_created", "project_id", "created_at"),
    Index("ix_instances_project_class", "project_id", "resource_class"),
    Index("ix_instances_created", "created_at", "uuid"),
    Index("ix_instances_status_created", "status", "created_at", "uuid"),
)


INSTANCE_FAULTS = Table(
    "instance_faults",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "instance_uuid",
        ForeignKey("instances.uuid", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
    Column("code", Integer, nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", DateTime, default=utcnow, nullable=False),
)


#: An instance's attachment to a network through one of its node's NICs.
PORTS = Table(
    "ports",
    metadata,
    #: On Neutron, the Neutron port's id.
    Column("uuid", UUID, primary_key=True),
    #: One of Mogan's networks, or Neutron's (no row here: hence no foreign key; a builtin
    #: network with ports is not deleted, ``NetworkService.delete`` checks).
    Column("network_uuid", UUID, index=True, nullable=False),
    Column(
        "instance_uuid",
        ForeignKey("instances.uuid", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
    #: One port per NIC: the unique constraint makes a double allocation impossible.
    Column("nic_uuid", ForeignKey("nics.uuid"), unique=True, nullable=False),
    Column("mac_address", String(17), nullable=False),
    Column("created_at", DateTime, default=utcnow, nullable=False),
    #: A Neutron port the tenant gave: unbound and kept at tear-down (Nova's name).
    Column("preserve_on_delete", Boolean, default=False, server_default=false(), nullable=False),
)


FIXED_IPS = Table(
    "fixed_ips",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("port_uuid", ForeignKey("ports.uuid", ondelete="CASCADE"), index=True, nullable=False),
    Column("subnet_uuid", ForeignKey("subnets.uuid"), nullable=False),
    Column("ip_address", String(64), nullable=False),
    UniqueConstraint("subnet_uuid", "ip_address", name="uq_fixed_ips_subnet_address"),
)


#: A unit of long work on an instance — or on a node, for its inspection and cleaning —
#: carried out by whichever engine holds its lease.
#:
#: ``status`` goes pending → running → succeeded | failed. While running, ``owner`` and
#: ``lease_expires_at`` say who holds it; an expired lease may be taken over by any engine,
#: which resumes at ``step`` with ``state``.
OPERATIONS = Table(
    "operations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    #: What the operation works on (``mogan.core.operations.SubjectKind``) and which one.
    Column("subject_kind", String(16), nullable=False),
    Column("subject_uuid", UUID, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), default="pending", nullable=False),
    Column("step", String(32), nullable=False),
    Column("state", JSON, default=dict, nullable=False),
    Column("owner", String(255)),
    Column("lease_expires_at", DateTime),
    #: How many times an engine has claimed this operation (takeovers included).
    Column("claims", Integer, default=0, nullable=False),
    Column("created_at", DateTime, default=utcnow, nullable=False),
    Column("updated_at", DateTime, onupdate=utcnow),
    Column("finished_at", DateTime),
    Index("ix_operations_claimable", "status", "lease_expires_at"),
    Index("ix_operations_subject", "subject_uuid", "status"),
)


#: A running engine, so engines can divide periodic work among the live ones.
ENGINES = Table(
    "engines",
    metadata,
    Column("id", String(255), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("started_at", DateTime, default=utcnow, nullable=False),
    Column("heartbeat_at", DateTime, default=utcnow, index=True, nullable=False),
)


#: The simulated machine behind a ``fake`` node: what a BMC would report.
FAKE_HARDWARE = Table(
    "fake_hardware",
    metadata,
    Column("node_uuid", ForeignKey("nodes.uuid", ondelete="CASCADE"), primary_key=True),
    Column("power_state", String(16), nullable=False),
    Column("pending_power_state", String(16)),
    Column("power_change_at", DateTime),
    Column("deployed_instance", UUID),
    Column("deployed_image_url", Text),
    Column("boot_device", String(16), default="disk", nullable=False),
    #: The config drive's files, by path, base64-encoded.
    Column("config_drive", JSON),
    #: The instance whose deploy last wrote the disks (a clean erases it).
    Column("disk_written_by", UUID),
    Column("cleanings", Integer, default=0, server_default="0", nullable=False),
    Column("last_clean_mode", String(16)),
    #: Rescued: the rescue image booted, and the SHA-256 of the rescue password given.
    Column("rescue_image_url", Text),
    Column("rescue_password_sha256", String(64)),
    #: The BIOS settings that differ from the factory's, and the RAID configuration.
    Column("bios_settings", JSON),
    Column("raid_config", JSON),
)


#: What a simulated BMC was asked to do, one row per request it received, as a real
#: BMC's audit log would show: how a test proves a step reached the hardware once.
FAKE_HARDWARE_CALLS = Table(
    "fake_hardware_calls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("node_uuid", ForeignKey("nodes.uuid", ondelete="CASCADE"), nullable=False),
    #: ``deploy``, ``undeploy``, ``inspect``, ``clean``, ``rescue``, ``unrescue``,
    #: ``power <action>``.
    Column("call", String(32), nullable=False),
    #: The instance a deploy was for.
    Column("instance_uuid", UUID),
    Column("at", DateTime, default=utcnow, nullable=False),
    Index("ix_fake_hardware_calls_node", "node_uuid", "id"),
)


#: A user's SSH public key, by name (the private half of a generated pair is never kept).
KEYPAIRS = Table(
    "keypairs",
    metadata,
    Column("user_id", String(255), primary_key=True),
    Column("name", String(255), primary_key=True),
    #: The project the user was in when the key was added (what quotas will count).
    Column("project_id", String(255), nullable=False),
    Column("type", String(16), default="ssh", nullable=False),
    Column("public_key", Text, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("created_at", DateTime, default=utcnow, nullable=False),
)


#: An operator's deploy template (Ironic's): steps a deploy runs when the instance type
#: requires the trait it is named after.
DEPLOY_TEMPLATES = Table(
    "deploy_templates",
    metadata,
    Column("uuid", UUID, primary_key=True),
    Column("name", String(255), unique=True, nullable=False),
    #: ``[{interface, step, args, priority}]``, checked on the way in.
    Column("steps", JSON, nullable=False),
    Column("extra", JSON, default=dict, nullable=False),
    Column("created_at", DateTime, default=utcnow, nullable=False),
    Column("updated_at", DateTime, onupdate=utcnow),
    Index("ix_deploy_templates_created", "created_at", "uuid"),
)


#: What a node's BIOS and RAID hold, as its driver last reported them after applying a
#: deploy template's steps (or a clean's reset).
NODE_CONFIGURATIONS = Table(
    "node_configurations",
    metadata,
    Column("node_uuid", ForeignKey("nodes.uuid", ondelete="CASCADE"), primary_key=True),
    Column("bios_settings", JSON),
    Column("raid_config", JSON),
    #: The deploy template steps applied last, ``interface.step`` each, and when.
    Column("applied_steps", JSON),
    Column("applied_at", DateTime),
)


#: A trait of a node (Placement's ``CUSTOM_*`` or standard names, as Ironic's node traits):
#: what instance types ask for with ``trait:<NAME>=required`` or ``=forbidden``.
NODE_TRAITS = Table(
    "node_traits",
    metadata,
    Column("node_uuid", ForeignKey("nodes.uuid", ondelete="CASCADE"), primary_key=True),
    Column("trait", String(255), primary_key=True),
    Index("ix_node_traits_trait", "trait", "node_uuid"),
)


#: A short-lived, single-use ticket to one instance's console (the proxy's only auth).
#:
#: Only the SHA-256 of the token is kept: the token itself is in the URL given to the
#: caller, once. Used tickets and expired ones are removed by the proxy as it goes.
CONSOLE_TOKENS = Table(
    "console_tokens",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column(
        "instance_uuid",
        ForeignKey("instances.uuid", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
    Column("protocol", String(16), nullable=False),
    Column("console_type", String(16), nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("used_at", DateTime),
    Index("ix_console_tokens_expires", "expires_at"),
)


#: A tenant's tag on an instance (as Nova's server tags).
#:
#: ``created_at`` is the instance's, copied (it never changes): a list filtered by one tag
#: walks ``ix_instance_tags_tag_created`` in the list's own order and reads a page of
#: instances, not every tagged one.
INSTANCE_TAGS = Table(
    "instance_tags",
    metadata,
    Column("instance_uuid", ForeignKey("instances.uuid", ondelete="CASCADE"), primary_key=True),
    Column("tag", String(60), primary_key=True),
    Column("created_at", DateTime, nullable=False),
    Index("ix_instance_tags_tag_created", "tag", "created_at", "instance_uuid"),
)


#: A request that changed an instance, and how it ended (Nova's instance actions).
#:
#: Not tied to the instance row by a foreign key: the record outlives the instance, so an
#: administrator can still read what happened to a deleted one.
INSTANCE_ACTIONS = Table(
    "instance_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    #: What was acted on (``mogan.core.operations.SubjectKind``: an instance, or a node for
    #: its own history) and which one.
    Column("subject_kind", String(16), nullable=False),
    Column("subject_uuid", UUID, nullable=False),
    #: The ``X-OpenStack-Request-Id`` the request was answered with (or the engine's own id
    #: for what it did unasked, such as a power sync's correction).
    Column("request_id", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("project_id", String(255), nullable=False),
    Column("user_id", String(255)),
    Column("start_time", DateTime, nullable=False),
    Column("finish_time", DateTime),
    #: ``success`` or ``error`` once finished; ``message`` says why it failed, or what it did.
    Column("result", String(16)),
    Column("message", Text),
    Index("ix_instance_actions_subject", "subject_uuid", "id"),
    Index("ix_instance_actions_request", "subject_uuid", "request_id"),
)


#: One step an engine carried out for an action: a schedule, a deploy on one node…
INSTANCE_ACTION_EVENTS = Table(
    "instance_action_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "action_id",
        ForeignKey("instance_actions.id", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
    Column("event", String(32), nullable=False),
    Column("start_time", DateTime, nullable=False),
    Column("finish_time", DateTime, nullable=False),
    Column("result", String(16), nullable=False),
    #: The engine that carried the step out.
    Column("host", String(255)),
    #: What happened, for a person: the node, the addresses, the driver's error (no traceback).
    Column("details", Text),
)


#: A project's own limit on one resource (``instances``, ``class:CUSTOM_GOLD``…); a
#: resource without a row takes ``[quota]``'s default.
QUOTAS = Table(
    "quotas",
    metadata,
    Column("project_id", String(255), primary_key=True),
    Column("resource", String(255), primary_key=True),
    Column("hard_limit", Integer, nullable=False),
)


#: Instances to be placed together or apart, across the configured failure domain.
SERVER_GROUPS = Table(
    "server_groups",
    metadata,
    Column("uuid", UUID, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("project_id", String(255), nullable=False),
    Column("user_id", String(255), nullable=False),
    #: ``affinity``, ``anti-affinity``, ``soft-affinity`` or ``soft-anti-affinity``.
    Column("policy", String(32), nullable=False),
    #: Nova's 2.64 rules: ``max_server_per_host`` for ``anti-affinity``.
    Column("rules", JSON, default=dict, nullable=False),
    Column("created_at", DateTime, default=utcnow, nullable=False),
    Index("ix_server_groups_project", "project_id", "created_at"),
)


SERVER_GROUP_MEMBERS = Table(
    "server_group_members",
    metadata,
    Column("instance_uuid", ForeignKey("instances.uuid", ondelete="CASCADE"), primary_key=True),
    Column(
        "group_uuid",
        ForeignKey("server_groups.uuid", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
)
