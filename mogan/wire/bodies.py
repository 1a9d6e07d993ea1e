"""The bodies Mogan answers with, as typed models: the API declares them as its routes'
``response_model`` (so the OpenAPI document carries every response's schema), and the SDK and
the dashboard read responses through them instead of parsing by hand.

The API builds its bodies itself (``mogan.api.views``, plain dicts serialised once: the GET-one
and list fast paths must not pay for a model per row); the schema conformance run
(``tests/api/test_openapi.py``) proves the two agree on every route. Reading is tolerant of
fields a newer Mogan adds (``extra="ignore"``), as an OpenStack client must be.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, RootModel, WithJsonSchema

from mogan.core.states import InstanceStatus

#: ISO 8601 with its UTC offset (``2026-12-04T20:37:16.123456+00:00``), kept a string.
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
#: A UUID, kept a string.
Uuid = Annotated[str, WithJsonSchema({"type": "string", "format": "uuid"})]


class Body(BaseModel):
    """What every body shares: read-only once read, tolerant of fields it does not know,
    its words (statuses, states) read as the plain strings they are on the wire."""

    model_config = ConfigDict(extra="ignore", frozen=True, use_enum_values=True)


class Link(Body):
    href: str
    rel: str


Links = Annotated[list[Link], Field(description="``self`` (under /v1) and ``bookmark``.")]


class Page(Body):
    """A page of a collection: ``next`` is the URL of the following page, absent on the last."""

    next: str | None = None


# -- instances ---------------------------------------------------------------------------


class FixedIp(Body):
    ip_address: str
    subnet_id: Uuid | None = None


class InstancePort(Body):
    """One port of ``network_info`` (keyed by the port's uuid)."""

    network: Uuid
    mac_address: str
    fixed_ips: list[FixedIp]
    #: Neutron: the floating IPs associated with the port through Mogan.
    floating_ips: list[str] = []


class InstanceAddress(Body):
    """One address of ``addresses``, as Nova shows them."""

    version: int
    addr: str
    type: str = Field(alias="OS-EXT-IPS:type")
    mac_addr: str = Field(alias="OS-EXT-IPS-MAC:mac_addr")
    port_id: Uuid


class Fault(Body):
    """Why the instance is in ``error``, in words its reader may see."""

    code: int
    message: str
    created_at: Timestamp


class Instance(Body):
    uuid: Uuid
    name: str
    description: str | None
    status: InstanceStatus
    #: In Ironic's words (``power on``, ``power off``); null before the node reported one.
    power_state: str | None
    instance_type_uuid: Uuid
    image_uuid: Uuid
    availability_zone: str | None
    network_info: dict[str, InstancePort]
    #: Every address by network, ``fixed`` and ``floating`` (Nova's ``addresses``).
    addresses: dict[str, list[InstanceAddress]] = {}
    project_id: str
    user_id: str | None
    extra: dict[str, Any]
    created_at: Timestamp
    updated_at: Timestamp | None
    launched_at: Timestamp | None
    #: What the create asked for (null: not said, the deployment's default applies).
    config_drive: bool | None
    key_name: str | None
    metadata: dict[str, str]
    locked: bool
    #: ``owner`` or ``admin`` (whose lock only an administrator may lift); null unlocked.
    locked_by: str | None
    locked_reason: str | None
    tags: tuple[str, ...]
    reservation_id: str | None
    #: The node serving it as its project sees it (Nova's ``hostId``).
    host_id: str | None
    links: Links
    #: Only while the instance is in ``error``.
    fault: Fault | None = None


class InstanceFields(Body):
    """An instance as ``?fields=`` asks for it: the fields named, and ``links``."""

    uuid: Uuid | None = None
    name: str | None = None
    description: str | None = None
    status: InstanceStatus | None = None
    power_state: str | None = None
    instance_type_uuid: Uuid | None = None
    image_uuid: Uuid | None = None
    availability_zone: str | None = None
    network_info: dict[str, InstancePort] | None = None
    addresses: dict[str, list[InstanceAddress]] | None = None
    project_id: str | None = None
    user_id: str | None = None
    extra: dict[str, Any] | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    launched_at: Timestamp | None = None
    config_drive: bool | None = None
    key_name: str | None = None
    metadata: dict[str, str] | None = None
    locked: bool | None = None
    locked_by: str | None = None
    locked_reason: str | None = None
    tags: tuple[str, ...] | None = None
    reservation_id: str | None = None
    host_id: str | None = None
    fault: Fault | None = None
    links: Links


class InstancePage(Page):
    """``GET /instances`` (uuid, name, description, status and links, or ``?fields=``) and
    ``GET /instances/detail`` (every field, or ``?fields=``)."""

    instances: list[Instance | InstanceFields]


class Reservation(Body):
    """A create answered with its reservation (``return_reservation_id``)."""

    reservation_id: str


class InstanceBatch(Reservation):
    """A create of several instances (``min_count``/``max_count`` above 1)."""

    instances: list[Instance]


class InstanceStates(Body):
    power_state: str | None
    #: The power state being reached; null when no power request is under way.
    target_power_state: str | None
    #: The instance's status, and the one it is on its way to (``rescue`` while
    #: ``rescuing``, ``active`` while ``building``, ``rebuilding`` or ``unrescuing``); null
    #: when it is in none of those.
    status: InstanceStatus
    target_status: InstanceStatus | None


class DeployStepBody(Body):
    interface: str
    step: str
    args: dict[str, Any]
    priority: int


class DeployTemplate(Body):
    uuid: str
    name: str
    steps: list[DeployStepBody]
    extra: dict[str, str]
    created_at: str | None
    updated_at: str | None
    links: list[Link]


class DeployTemplatePage(Page):
    deploy_templates: list[DeployTemplate]


class NodeTraitList(Body):
    traits: list[str]


class RemoteConsoleFacts(Body):
    protocol: str
    type: str
    #: The console proxy's WebSocket, with a single-use token good for ``[console]
    #: token_ttl`` seconds.
    url: str


class RemoteConsoleOpened(Body):
    remote_console: RemoteConsoleFacts


class RescueAccepted(Body):
    #: The rescue system's root password: the one asked for, or the one made for it.
    rescue_password: str


class Tags(Body):
    tags: list[str]


class ActionEvent(Body):
    """One step an engine carried out for an action (``host``: shown to operators only)."""

    event: str
    start_time: Timestamp
    finish_time: Timestamp
    result: str
    details: str | None = None
    host: str | None = None


class Action(Body):
    """A request that changed an instance, and how it ended (``result`` null: not yet)."""

    action: str
    instance_uuid: Uuid
    request_id: str
    project_id: str
    user_id: str | None
    start_time: Timestamp
    finish_time: Timestamp | None
    result: str | None
    message: str | None


class ActionDetail(Action):
    events: list[ActionEvent]


class ActionPage(Page):
    actions: list[Action]


# -- key pairs, types, zones, quotas, server groups -------------------------------------


class KeyPair(Body):
    name: str
    user_id: str
    type: str
    public_key: str
    fingerprint: str
    created_at: Timestamp
    links: list[Link]
    #: Only in the answer to a create that generated the key: never stored, never shown again.
    private_key: str | None = None


class KeyPairPage(Page):
    keypairs: list[KeyPair]


class InstanceType(Body):
    uuid: Uuid
    name: str
    description: str | None
    is_public: bool
    extra_specs: dict[str, str]
    created_at: Timestamp
    updated_at: Timestamp | None
    links: Links


class InstanceTypePage(Page):
    types: list[InstanceType]


class ExtraSpecs(Body):
    extra_specs: dict[str, str]


class TypeAccessGrant(Body):
    """A project allowed to use a private type."""

    type_uuid: Uuid
    tenant_id: str


class TypeAccessList(Body):
    type_access: list[TypeAccessGrant]


class Zones(Body):
    availability_zones: list[str]


class QuotaLimits(Body):
    """A project's limits (-1: unlimited); ``resources`` per resource class of node."""

    project_id: str
    instances: int
    keypairs: int
    server_groups: int
    server_group_members: int
    nodes: int
    resources: dict[str, int]


class QuotaUse(Body):
    limit: int
    #: Null where a count does not apply to the caller (another user's key pairs, the
    #: members of each group, which each group lists).
    in_use: int | None


class QuotaUsage(Body):
    project_id: str
    instances: QuotaUse
    keypairs: QuotaUse
    server_groups: QuotaUse
    server_group_members: QuotaUse
    nodes: QuotaUse
    resources: dict[str, QuotaUse]


class ServerGroup(Body):
    uuid: Uuid
    name: str
    policy: str
    rules: dict[str, Any]
    members: list[Uuid]
    project_id: str
    user_id: str | None
    created_at: Timestamp
    links: Links


class ServerGroupPage(Page):
    server_groups: list[ServerGroup]


# -- nodes (operators) -------------------------------------------------------------------


class Nic(Body):
    uuid: Uuid
    mac_address: str
    port_type: str | None
    speed_mbps: int | None
    #: The switch port it is cabled to (``switch_id``, ``port_id``, ``switch_info``).
    local_link_connection: dict[str, str] | None = None


class NodeConfigurationBody(Body):
    bios_settings: dict[str, Any] | None
    raid_config: dict[str, Any] | None
    applied_steps: list[str] | None
    applied_at: Timestamp | None


class Node(Body):
    uuid: Uuid
    name: str
    driver: str
    #: Secrets (passwords, keys) masked.
    driver_info: dict[str, Any]
    properties: dict[str, Any]
    resource_class: str | None
    availability_zone: str | None
    maintenance: bool
    maintenance_reason: str | None
    owner: str | None
    lessee: str | None
    instance_uuid: Uuid | None
    power_state: str | None
    #: Mogan's lifecycle (``mogan.core.lifecycle.ProvisionState``) for the nodes it drives;
    #: Ironic's own words (``manageable``, ``deploying``…) for the nodes Ironic drives.
    provision_state: str
    last_error: str | None
    nics: list[Nic]
    created_at: Timestamp
    updated_at: Timestamp | None
    links: Links
    #: On ``GET /v1/nodes/{node}`` once a deploy template ran on it: what its BIOS and RAID
    #: hold as the hardware reported them after, and which steps ran when.
    configuration: NodeConfigurationBody | None = None


class NodePage(Page):
    nodes: list[Node]


class NodeGroup(Body):
    """Nodes that share a provision state, maintenance, being associated and a zone."""

    provision_state: str
    maintenance: bool
    #: Serving an instance.
    associated: bool
    availability_zone: str | None
    count: int


class NodeSummary(Body):
    """The fleet counted: its total and its groups (a few dozen at any fleet size)."""

    total: int
    groups: list[NodeGroup]


class InterfaceCheck(Body):
    """One interface of a node's last verification, as Ironic's validate says it."""

    result: bool | None
    reason: str | None


class InterfaceChecks(RootModel[dict[str, InterfaceCheck]]):
    """A node's last verification: interface (power, management, boot, deploy) -> check."""

    model_config = ConfigDict(frozen=True)


class NodeInventory(Body):
    inventory: dict[str, Any]
    inspected_at: Timestamp


class NodeEvent(ActionEvent):
    host: str | None


class NodeAction(Body):
    """An inspection, clean or verification of a node, with its steps."""

    action: str
    request_id: str
    user_id: str | None
    start_time: Timestamp
    finish_time: Timestamp | None
    result: str | None
    message: str | None
    events: list[NodeEvent]


class NodeHistory(Body):
    history: list[NodeAction]


class Orphan(Body):
    node_uuid: Uuid
    message: str | None


class Sync(NodeAction):
    """A sync of the inventory with the drivers' peers, and what it changed."""

    added: list[Uuid]
    updated: list[Uuid]
    removed: list[Uuid]
    repaired: list[Uuid]
    orphans: list[Orphan]
    #: node uuid -> why it was left alone.
    skipped: dict[str, str | None]


class Syncs(Body):
    syncs: list[Sync]


class ManageableInstance(Body):
    """A deployed node of a managed driver (Ironic) that serves no instance."""

    node_uuid: Uuid
    name: str
    resource_class: str | None
    properties: dict[str, Any]
    availability_zone: str | None
    power_state: str | None
    #: In Ironic's words (``active``).
    provision_state: str
    mac_addresses: list[str]


class ManageableInstances(Body):
    manageable_instances: list[ManageableInstance]


# -- images and networks (operators make them, tenants read them) -------------------------


class Image(Body):
    """An image of Mogan's registry (``source`` ``builtin``: it has a ``url``) or of Glance
    (``glance``: Glance's status, visibility, owner and minimums, and no URL of its own)."""

    uuid: Uuid
    name: str
    url: str | None
    #: ``<algorithm>:<hex digest>`` (Glance's multihash), or a bare md5.
    checksum: str | None
    disk_format: str
    source: str
    created_at: Timestamp | None
    updated_at: Timestamp | None
    links: Links
    container_format: str | None = None
    status: str | None = None
    visibility: str | None = None
    owner: str | None = None
    size: int | None = None
    #: GiB of disk and MiB of memory the image needs.
    min_disk: int | None = None
    min_ram: int | None = None


class ImagePage(Page):
    images: list[Image]


class Subnet(Body):
    uuid: Uuid
    cidr: str
    ip_version: int
    gateway_ip: str | None
    allocation_pools: list[dict[str, str]]


class Network(Body):
    uuid: Uuid
    name: str
    subnets: list[Subnet]
    #: ``builtin`` (Mogan's registry) or ``neutron``.
    source: str = "builtin"
    #: Neutron's: whether every project may use it (null on Mogan's own, all global).
    shared: bool | None = None
    created_at: Timestamp
    updated_at: Timestamp | None
    links: Links


class NetworkPage(Page):
    networks: list[Network]


class Port(Body):
    uuid: Uuid
    network_uuid: Uuid
    instance_uuid: Uuid | None
    nic_uuid: Uuid | None
    mac_address: str
    fixed_ips: list[FixedIp]
    created_at: Timestamp


class Ports(Body):
    ports: list[Port]


# -- the caller and the API itself -------------------------------------------------------


class Caller(Body):
    project_id: str | None
    user_id: str | None
    roles: list[str]
    #: Every API rule (``mogan:instance:create``…) -> whether policy lets the caller do it
    #: on their own project's resources.
    allowed: dict[str, bool]


class Version(Body):
    id: str
    status: str
    version: str
    min_version: str
    links: list[Link]


class Versions(Body):
    name: str
    description: str
    versions: list[Version]
    default_version: Version


class MediaType(Body):
    base: str
    type: str


class VersionOne(Version):
    """``/v1``: the version, and a ``self``/``bookmark`` link pair per resource collection."""

    model_config = ConfigDict(extra="allow", frozen=True)

    media_types: list[MediaType]
