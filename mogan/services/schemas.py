"""Input contracts of the use cases, as pydantic models.

The API parses bodies with :func:`parse`; services re-validate patched documents with the same
models, so a PATCH can never store what a create would refuse. Every model forbids unknown
keys and never coerces types (``"extra": {"k": 1}`` is refused, not stringified).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import uuid as uuid_module
from collections.abc import Iterable
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from mogan.core.errors import InvalidInput
from mogan.core.states import PowerTarget


def _uuid(value: str) -> str:
    try:
        return str(uuid_module.UUID(value))
    except ValueError:
        raise ValueError(f"{value!r} is not a valid UUID") from None


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or blank")
    return value


_MAC = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")


def _mac(value: str) -> str:
    normalized = value.lower().replace("-", ":")
    if not _MAC.match(normalized):
        raise ValueError(f"{value!r} is not a MAC address (aa:bb:cc:dd:ee:ff)")
    return normalized


# The JSON schema says what the validators check, so clients and test generators built from
# the OpenAPI document send what is accepted.
UUIDStr = Annotated[str, AfterValidator(_uuid), Field(json_schema_extra={"format": "uuid"})]
_NOT_BLANK = Field(json_schema_extra={"pattern": r"\S"})
Name = Annotated[
    str, StringConstraints(min_length=1, max_length=255), AfterValidator(_not_blank), _NOT_BLANK
]
Description = Annotated[str, StringConstraints(max_length=255)]
Key255 = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Value255 = Annotated[str, StringConstraints(max_length=255)]
OptionalLabel = Annotated[str, StringConstraints(min_length=1, max_length=255)]
MacAddress = Annotated[
    str,
    AfterValidator(_mac),
    Field(json_schema_extra={"pattern": r"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$"}),
]
#: An IPv4 or IPv6 address, as its schema says.
IPAddress = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    Field(json_schema_extra={"anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]}),
]


def _no_nul(value: Any, where: str) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{where} must not contain NUL (\\u0000) characters")
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_nul(key, where)
            _no_nul(item, where)
    elif isinstance(value, list):
        for item in value:
            _no_nul(item, where)
    elif isinstance(value, BaseModel):
        _no_nul(value.model_dump(), where)


class Strict(BaseModel):
    """Unknown keys are refused, types never coerced, and no string may hold a NUL character
    (PostgreSQL cannot store one; refusing it everywhere keeps both databases alike)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        _no_nul(value, "a text value")
        return value


# Every list and map of a body is bounded, so no body can make a row, a response or a loop
# over it huge: the request size limit bounds the bytes, these bound the work.
#: Networks of one instance: more than any server has NICs.
MAX_NETWORKS = 32
#: Keys of a map of labels (``extra``, ``metadata``, extra specs, capabilities, driver_info).
MAX_PROPERTIES = 128
#: NICs of one node.
MAX_NICS = 64
#: Operations of one JSON Patch.
MAX_PATCH_OPERATIONS = 100

Extra = Annotated[dict[Key255, Value255], Field(max_length=MAX_PROPERTIES)]
#: A driver's own settings: any JSON values, under names of its choosing.
DriverInfo = Annotated[dict[Key255, Any], Field(max_length=MAX_PROPERTIES)]


# -- instances -----------------------------------------------------------------------------


class NetworkRequest(Strict):
    """One NIC of the instance: on a network (``net_id``, optionally at ``fixed_ip``), or on
    a Neutron port the tenant made (``port_id``, final Mogan's and Nova's); ``port_type``
    picks the kind of NIC."""

    model_config = ConfigDict(
        **Strict.model_config,
        json_schema_extra={
            "anyOf": [{"required": ["net_id"]}, {"required": ["port_id"]}],
            "not": {"required": ["port_id", "fixed_ip"]},
        },
    )

    net_id: UUIDStr | None = None
    port_id: UUIDStr | None = None
    fixed_ip: IPAddress | None = None
    port_type: OptionalLabel | None = None

    @model_validator(mode="after")
    def _one_place(self) -> NetworkRequest:
        if self.net_id is None and self.port_id is None:
            raise ValueError("a network is given by net_id or port_id")
        if self.port_id is not None and self.fixed_ip is not None:
            raise ValueError("fixed_ip goes with net_id; a port_id has its own addresses")
        if self.fixed_ip is not None:
            try:
                ipaddress.ip_address(self.fixed_ip)
            except ValueError:
                raise ValueError(f"fixed_ip {self.fixed_ip!r} is not an IP address") from None
        return self


class FloatingIpAssociate(Strict):
    """A floating IP of the caller's, for the instance's port holding ``fixed_address``
    (default: its first IPv4 address)."""

    address: IPAddress
    fixed_address: IPAddress | None = None

    @model_validator(mode="after")
    def _addresses(self) -> FloatingIpAssociate:
        for name in ("address", "fixed_address"):
            value = getattr(self, name)
            if value is not None:
                try:
                    ipaddress.ip_address(value)
                except ValueError:
                    raise ValueError(f"{name} {value!r} is not an IP address") from None
        return self


class SecurityGroupName(Strict):
    """A security group of the caller's, by name or id (Nova's ``{"name": …}``)."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=255)]


#: Security groups one create may name.
MAX_SECURITY_GROUPS = 16


KeypairName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=255, pattern=r"^[a-zA-Z0-9 _.@-]+$"),
    AfterValidator(_not_blank),
]


#: As Nova's: user data up to 64 KiB once decoded, any bytes.
USER_DATA_MAX_BYTES = 65536


def _user_data(value: str) -> str:
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("user data must be base64") from None
    if len(decoded) > USER_DATA_MAX_BYTES:
        raise ValueError(
            f"user data is {len(decoded)} bytes once decoded; at most {USER_DATA_MAX_BYTES}"
        )
    return value


UserData = Annotated[
    str,
    AfterValidator(_user_data),
    Field(json_schema_extra={"contentEncoding": "base64"}),
]


#: As Nova's server tags: at most 50 per instance, each 1 to 60 characters, no ``/`` (a
#: tag is a path segment) and no ``,`` (list filters separate tags with it).
MAX_TAGS = 50
Tag = Annotated[str, StringConstraints(min_length=1, max_length=60, pattern=r"^[^,/]+$")]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS)]


class TagList(Strict):
    """An instance's whole set of tags (``PUT …/tags``)."""

    tags: Tags


def _uuid_list(value: Any) -> Any:
    """Nova takes one UUID or a list of them for ``different_host``/``same_host``."""
    return [value] if isinstance(value, str) else value


class SchedulerHints(Strict):
    """Where the instance may go: a server group to join, instances (of the caller's
    project) whose failure domains to avoid or to share. Any other hint is refused."""

    group: UUIDStr | None = None
    different_host: Annotated[list[UUIDStr], BeforeValidator(_uuid_list), Field(max_length=100)] = (
        Field(default_factory=list)
    )
    same_host: Annotated[list[UUIDStr], BeforeValidator(_uuid_list), Field(max_length=100)] = Field(
        default_factory=list
    )


class InstanceCreate(Strict):
    name: Name
    description: Description | None = None
    instance_type_uuid: UUIDStr
    image_uuid: UUIDStr
    availability_zone: OptionalLabel | None = None
    networks: list[NetworkRequest] = Field(min_length=1, max_length=MAX_NETWORKS)
    #: Neutron only: the security groups of the ports Mogan makes (Neutron's default
    #: group when not given).
    security_groups: list[SecurityGroupName] | None = Field(
        default=None, max_length=MAX_SECURITY_GROUPS
    )
    extra: Extra = Field(default_factory=dict)
    #: One of the caller's key pairs: its public key goes on the config drive.
    key_name: KeypairName | None = None
    #: Base64, given to the instance on its config drive, never shown back.
    user_data: UserData | None = None
    #: String pairs on the config drive's ``meta`` (as Nova's: at most 128).
    metadata: dict[Key255, Value255] = Field(default_factory=dict, max_length=128)
    tags: Tags = Field(default_factory=list)
    #: Multi-create: as many instances as fit, from ``min_count`` (all or nothing) up to
    #: ``max_count`` (at most ``[scheduler] max_count``).
    min_count: Annotated[int, Field(ge=1)] = 1
    max_count: Annotated[int, Field(ge=1)] | None = None
    #: Answer with the batch's ``reservation_id`` only.
    return_reservation_id: bool = False
    scheduler_hints: SchedulerHints = Field(default_factory=SchedulerHints)

    @model_validator(mode="after")
    def _counts(self) -> InstanceCreate:
        if self.max_count is not None and self.max_count < self.min_count:
            raise ValueError("max_count must not be less than min_count")
        return self


class InstanceUpdate(Strict):
    """The writable part of an instance, as a JSON Patch leaves it."""

    name: Name
    description: Description | None = None
    extra: Extra = Field(default_factory=dict)


class AdoptRequest(Strict):
    """Adopt a deployed node as an instance of ``project_id`` (admin)."""

    name: Name
    node: Key255
    project_id: Key255
    user_id: Key255 | None = None
    description: Description | None = None
    instance_type_uuid: UUIDStr
    image_uuid: UUIDStr
    extra: Extra = Field(default_factory=dict)


class KeypairCreate(Strict):
    """Generate a pair (no ``public_key``) or import one; ``user_id`` is an administrator's,
    acting for that user."""

    name: KeypairName
    public_key: Annotated[str, StringConstraints(min_length=1, max_length=16384)] | None = None
    type: Literal["ssh"] = "ssh"
    user_id: Key255 | None = None


class LockRequest(Strict):
    """Lock (``true``) or unlock (``false``) an instance; a reason goes with a lock."""

    target: bool
    reason: Annotated[str, StringConstraints(max_length=255)] | None = None


class ServerGroupRules(Strict):
    """Nova's 2.64 rules: with ``anti-affinity``, how many members one failure domain may
    hold."""

    max_server_per_host: Annotated[int, Field(ge=1)] | None = None


def _integral(value: Any) -> Any:
    """JSON has one number type: ``10.0`` is the integer 10 (as JSON Schema says)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


#: -1 (unlimited) up to what the database stores as an integer.
QuotaLimit = Annotated[int, Field(ge=-1, le=2**31 - 1), BeforeValidator(_integral)]
_RESOURCE_CLASS = r"^CUSTOM_[A-Z0-9_]{1,248}$"
ResourceClassName = Annotated[str, StringConstraints(pattern=_RESOURCE_CLASS)]


class QuotaUpdate(Strict):
    """A project's own limits (``-1``: unlimited); resources not named keep theirs.
    ``resources`` limits nodes per resource class (``{"CUSTOM_GOLD": 4}``), ``nodes``
    every class without a limit of its own."""

    instances: QuotaLimit | None = None
    keypairs: QuotaLimit | None = None
    server_groups: QuotaLimit | None = None
    server_group_members: QuotaLimit | None = None
    nodes: QuotaLimit | None = None
    resources: dict[ResourceClassName, QuotaLimit] = Field(
        default_factory=dict,
        max_length=100,
        json_schema_extra={"propertyNames": {"pattern": _RESOURCE_CLASS}},
    )


class ServerGroupCreate(Strict):
    """A group of instances placed together or apart across the failure domain."""

    # What ``_rules_fit_policy`` checks, in the schema: a client generated from the document
    # cannot send ``max_server_per_host`` with another policy than anti-affinity.
    model_config = ConfigDict(
        **Strict.model_config,
        json_schema_extra={
            "if": {
                "properties": {"policy": {"not": {"const": "anti-affinity"}}},
                "required": ["policy"],
            },
            "then": {
                "properties": {"rules": {"properties": {"max_server_per_host": {"type": "null"}}}}
            },
        },
    )

    name: Name
    policy: Literal["affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity"]
    rules: ServerGroupRules = Field(default_factory=lambda: ServerGroupRules())

    @model_validator(mode="after")
    def _rules_fit_policy(self) -> ServerGroupCreate:
        if self.rules.max_server_per_host is not None and self.policy != "anti-affinity":
            raise ValueError("rules.max_server_per_host applies to the anti-affinity policy only")
        return self


class RebuildRequest(Strict):
    """Redeploy the instance on its node from ``image_uuid`` (default: its current image).

    ``preserve_ephemeral`` asks the deploy to keep the ephemeral partition, where the driver
    has one (Ironic's partition images); whole-disk deploys rewrite the disk regardless.
    """

    target: Literal["rebuild"]
    image_uuid: UUIDStr | None = None
    preserve_ephemeral: bool = False


class RescueRequest(Strict):
    """Boot the instance's node into a rescue system (Nova's rescue, as final Mogan had it).

    ``rescue_password`` is the rescue system's root password (generated when absent, and
    returned once); ``image_uuid`` the rescue image (default: the operator's ``[rescue]
    image``, else the driver's own rescue system).
    """

    rescue_password: (
        Annotated[
            str,
            StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f]*$"),
            Field(json_schema_extra={"writeOnly": True}),
        ]
        | None
    ) = None
    image_uuid: UUIDStr | None = None


#: Ironic's limit on a node's traits, and Placement's spelling of a trait's name.
MAX_TRAITS = 50
_TRAIT = re.compile(r"^[A-Z0-9_]{1,255}$")


def check_trait(value: str, field_name: str = "trait") -> str:
    """``value`` if it is a trait's name (Placement's: upper-case letters, digits, ``_``);
    else ``InvalidInput`` naming the field."""
    if not _TRAIT.match(value):
        raise InvalidInput(
            f"Invalid value for field '{field_name}': {value[:60]!r} is not a trait name "
            "(upper-case letters, digits and '_', such as CUSTOM_RAID10 or HW_CPU_X86_AVX2)."
        )
    return value


TraitName = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[A-Z0-9_]+$")]


class NodeTraits(Strict):
    traits: Annotated[list[TraitName], Field(max_length=MAX_TRAITS)]


class RemoteConsole(Strict):
    """A console to open: final Mogan's body. Only the serial console over Mogan's WebSocket
    proxy is offered (``socat`` and ``shellinabox``, which final Mogan passed on from Ironic,
    hand out a node's console address to whoever holds the URL: not offered)."""

    protocol: Literal["serial"]
    type: Literal["websocket"] = "websocket"


class RemoteConsoleWrapped(Strict):
    """The same, as Nova's ``{"remote_console": {…}}``."""

    remote_console: RemoteConsole


class PowerRequest(Strict):
    #: Strict everywhere else; here a JSON string names the enum's member.
    target: Annotated[PowerTarget, Field(strict=False)]


# -- instance types ------------------------------------------------------------------------


class TypeCreate(Strict):
    name: Name
    description: Description | None = None
    is_public: bool = True
    uuid: UUIDStr | None = None


class TypeUpdate(Strict):
    """What a PUT changes: the fields given (``name`` and ``is_public`` never null)."""

    name: Name | SkipJsonSchema[None] = None
    description: Description | None = None
    is_public: bool | SkipJsonSchema[None] = None


class TypeAccess(Strict):
    tenant_id: Key255


def _no_nul_in(value: Any) -> Any:
    _no_nul(value, "a text value")
    return value


#: A body of its own (not a ``Strict`` model's field), so it refuses NUL itself.
ExtraSpecs = Annotated[
    dict[Key255, Value255], Field(max_length=MAX_PROPERTIES), AfterValidator(_no_nul_in)
]


# -- nodes, images, networks ---------------------------------------------------------------


class LocalLinkConnection(Strict):
    """The switch port a NIC is cabled to, as Ironic records it (``local_link_connection``):
    the switch's id (its MAC address, or a name its mechanism driver knows), the port on it,
    and free-form switch information (the switch's name, for networking-generic-switch)."""

    switch_id: OptionalLabel
    port_id: OptionalLabel
    switch_info: OptionalLabel | None = None


class NicIn(Strict):
    mac_address: MacAddress
    port_type: OptionalLabel | None = None
    local_link_connection: LocalLinkConnection | None = None


class NodeProperties(BaseModel):
    """Known properties are typed; others are kept as given (as Ironic does)."""

    model_config = ConfigDict(extra="allow", strict=True)
    cpus: Annotated[int, Field(ge=0)] | None = None
    memory_mb: Annotated[int, Field(ge=0)] | None = None
    local_gb: Annotated[int, Field(ge=0)] | None = None
    cpu_arch: OptionalLabel | None = None
    capabilities: (
        Annotated[dict[Key255, Value255], Field(max_length=MAX_PROPERTIES)]
        | Annotated[str, StringConstraints(max_length=4096)]
        | None
    ) = None


class NodeCreate(Strict):
    name: Name
    driver: OptionalLabel
    driver_info: DriverInfo = Field(default_factory=dict)
    properties: NodeProperties = Field(default_factory=NodeProperties)
    resource_class: OptionalLabel | None = None
    availability_zone: OptionalLabel | None = None
    nics: list[NicIn] = Field(default_factory=list, max_length=MAX_NICS)
    #: The project the node is dedicated to, and one it is lent to (Ironic's owner/lessee).
    owner: Key255 | None = None
    lessee: Key255 | None = None
    #: Inspect the node before it is made available (its properties and NICs filled from
    #: what the hardware says).
    inspect: bool = False


class NodeInspect(Strict):
    """``POST /v1/nodes/{ident}/inspect``."""

    #: Replace properties and port types an operator set by hand with what is found.
    overwrite: bool = False


class NodeClean(Strict):
    """``POST /v1/nodes/{ident}/clean``."""

    #: What to wipe; the node's own mode (``driver_info.cleaning_mode``, else ``[cleaning]
    #: mode``) when absent.
    mode: Literal["metadata", "full", "none"] | None = None


class NodeMaintenance(Strict):
    """``PUT /v1/nodes/{ident}/maintenance`` (Ironic's body)."""

    reason: Annotated[str, StringConstraints(max_length=4096)] | None = None


class NodeUpdate(Strict):
    """The writable part of a node, as a JSON Patch leaves it."""

    name: Name
    driver_info: DriverInfo
    properties: NodeProperties
    resource_class: OptionalLabel | None = None
    availability_zone: OptionalLabel | None = None
    maintenance: bool
    maintenance_reason: Annotated[str, StringConstraints(max_length=4096)] | None = None
    owner: Key255 | None = None
    lessee: Key255 | None = None


class ImageCreate(Strict):
    name: Name
    url: Annotated[
        str,
        StringConstraints(min_length=1, max_length=4096),
        AfterValidator(_not_blank),
        _NOT_BLANK,
    ]
    checksum: Annotated[str, StringConstraints(max_length=255)] | None = None
    disk_format: Literal["raw", "qcow2", "iso"]


class ImageUpdate(Strict):
    name: Name
    url: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    checksum: Annotated[str, StringConstraints(max_length=255)] | None = None
    disk_format: Literal["raw", "qcow2", "iso"]


_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4_CIDR = rf"^({_OCTET}\.){{3}}{_OCTET}/(3[0-2]|[12]?[0-9])$"
_IPV6_CIDR = r"^[0-9A-Fa-f:]*:[0-9A-Fa-f:]*/(12[0-8]|1[01][0-9]|[1-9]?[0-9])$"


class AllocationPool(Strict):
    start: IPAddress
    end: IPAddress


class SubnetIn(Strict):
    cidr: Annotated[
        str,
        StringConstraints(min_length=1, max_length=64),
        Field(json_schema_extra={"anyOf": [{"pattern": _IPV4_CIDR}, {"pattern": _IPV6_CIDR}]}),
    ]
    gateway_ip: IPAddress | None = None
    allocation_pools: list[AllocationPool] = Field(default_factory=list, max_length=16)


class NetworkCreate(Strict):
    name: Name
    subnets: list[SubnetIn] = Field(min_length=1, max_length=16)


class NetworkUpdate(Strict):
    name: Name


class PatchOperation(Strict):
    """One operation of an RFC 6902 JSON Patch (which paths a resource lets change, and
    whether an ``add``/``replace``/``test`` has its ``value``, is checked when applied)."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)
    op: Literal["add", "remove", "replace", "move", "copy", "test"]
    path: str
    value: Any = None
    from_: str | None = Field(default=None, alias="from")


def json_patch(name: str, *, fields: tuple[str, ...], objects: tuple[str, ...] = ()) -> Any:
    """The JSON Patch body of a resource whose writable paths are ``fields`` (``/name``)
    and anything inside ``objects`` (``/extra/k1``), as its schema documents them; the
    service refuses any other path, naming the writable ones."""
    alternatives = [
        *(f"{re.escape(f)}" for f in fields),
        *(f"{re.escape(o)}(/.*)?" for o in objects),
    ]
    pattern = f"^({'|'.join(alternatives)})$"
    documented = Annotated[str, Field(json_schema_extra={"pattern": pattern})]
    operation = create_model(
        name,
        __base__=PatchOperation,
        path=(documented, ...),
        from_=(documented | None, Field(default=None, alias="from")),
    )
    bounds = Field(min_length=1, max_length=MAX_PATCH_OPERATIONS)
    return Annotated[list[operation], bounds]  # type: ignore[valid-type]


#: What a JSON Patch may change, per resource: fields, and objects whose members it may
#: add, replace or remove. Services apply patches within exactly these.
INSTANCE_FIELDS, INSTANCE_OBJECTS = ("/name", "/description"), ("/extra",)
NODE_FIELDS = (
    "/name",
    "/resource_class",
    "/availability_zone",
    "/maintenance",
    "/maintenance_reason",
    "/owner",
    "/lessee",
)
NODE_OBJECTS = ("/driver_info", "/properties")
IMAGE_FIELDS = ("/name", "/url", "/checksum", "/disk_format")
NETWORK_FIELDS = ("/name",)

InstancePatch = json_patch(
    "InstancePatchOperation", fields=INSTANCE_FIELDS, objects=INSTANCE_OBJECTS
)
NodePatch = json_patch("NodePatchOperation", fields=NODE_FIELDS, objects=NODE_OBJECTS)
ImagePatch = json_patch("ImagePatchOperation", fields=IMAGE_FIELDS)
NetworkPatch = json_patch("NetworkPatchOperation", fields=NETWORK_FIELDS)
DeployTemplatePatch = json_patch(
    "DeployTemplatePatchOperation", fields=("/name",), objects=("/steps", "/extra")
)


def patch_document(patch: list[Any]) -> list[dict[str, Any]]:
    """The operations as RFC 6902 has them (only the members the client gave)."""
    return [op.model_dump(by_alias=True, exclude_unset=True) for op in patch]


# -- parsing -------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Any, *, what: str = "request body") -> M:
    """Validate ``data`` against ``model``; ``InvalidInput`` naming the first bad field."""
    if not isinstance(data, dict):
        raise InvalidInput(f"The {what} must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(describe(exc)) from None


def describe(exc: ValidationError) -> str:
    """One sentence per problem, each naming the field as a JSON path would."""
    return describe_errors(exc.errors(include_url=False))


def describe_errors(errors: Iterable[Any]) -> str:
    """``describe`` for pydantic's error dicts (also as FastAPI reports a body's, whose
    locations start at ``body``)."""
    problems = []
    for error in errors:
        loc = list(error["loc"])
        if loc and loc[0] == "body":
            loc = loc[1:]
        location = ".".join(str(part) for part in loc) or "body"
        kind = error["type"]
        if kind == "extra_forbidden":
            problems.append(f"Unknown field '{location}'.")
        elif kind == "missing":
            problems.append(f"Field '{location}' is required.")
        elif kind in ("literal_error", "enum"):
            problems.append(
                f"Invalid value for field '{location}': {error.get('input')!r}; "
                f"{error['msg'][0].lower()}{error['msg'][1:]}."
            )
        else:
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"Invalid value for field '{location}': {message}.")
    return " ".join(problems)


# -- deploy templates (Ironic's body) --------------------------------------------------------

BiosValue = Annotated[str, StringConstraints(max_length=255)] | int | bool


class BiosSetting(Strict):
    name: Key255
    value: BiosValue


class BiosApply(Strict):
    """``bios`` ``apply_configuration``: settings written as pending, applied at the next
    boot (and checked after it)."""

    settings: Annotated[list[BiosSetting], Field(min_length=1, max_length=200)]


class LogicalDisk(Strict):
    """One logical disk, in Ironic's RAID configuration words."""

    size_gb: Annotated[int, Field(ge=1)] | Literal["MAX"]
    raid_level: Literal["0", "1", "5", "6", "1+0", "5+0", "6+0"]
    is_root_volume: bool = False
    volume_name: OptionalLabel | None = None
    controller: OptionalLabel | None = None
    physical_disks: Annotated[list[Key255], Field(max_length=64)] | None = None


class RaidConfig(Strict):
    logical_disks: Annotated[list[LogicalDisk], Field(min_length=1, max_length=16)]


class RaidApply(Strict):
    """``raid`` ``apply_configuration``: the logical disks made, the old ones deleted first
    unless ``delete_existing`` is false."""

    raid_config: RaidConfig
    delete_existing: bool = True


class NoArguments(Strict):
    """A step that takes none (``bios`` ``factory_reset``, ``raid`` ``delete_configuration``)."""


#: The steps a deploy template may name, and the arguments each takes.
DEPLOY_STEPS: dict[tuple[str, str], type[Strict]] = {
    ("bios", "apply_configuration"): BiosApply,
    ("bios", "factory_reset"): NoArguments,
    ("raid", "apply_configuration"): RaidApply,
    ("raid", "delete_configuration"): NoArguments,
}


class DeployStep(Strict):
    interface: Literal["bios", "raid"]
    step: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    args: Annotated[dict[str, Any], Field(max_length=8)] = {}
    #: Higher runs first, as Ironic's; 0 would disable the step there, so it is refused.
    priority: Annotated[int, Field(ge=1, le=1000)]

    @model_validator(mode="after")
    def _known_step(self) -> DeployStep:
        model = DEPLOY_STEPS.get((self.interface, self.step))
        if model is None:
            known = ", ".join(s for i, s in DEPLOY_STEPS if i == self.interface)
            raise ValueError(
                f"unknown step {self.interface}.{self.step}; the {self.interface} interface "
                f"has {known}"
            )
        try:
            self.args = model.model_validate(self.args).model_dump(exclude_none=True)
        except ValidationError as exc:
            (first, *_) = exc.errors()
            where = ".".join(str(part) for part in first["loc"])
            raise ValueError(
                f"{self.interface}.{self.step} args{'.' + where if where else ''}: {first['msg']}"
            ) from None
        return self


DeployTemplateName = Annotated[
    str, StringConstraints(min_length=8, max_length=255, pattern=r"^CUSTOM_[A-Z0-9_]+$")
]


class DeployTemplateCreate(Strict):
    """An operator's deploy template: ``name`` is the trait that selects it."""

    name: DeployTemplateName
    steps: Annotated[list[DeployStep], Field(min_length=1, max_length=50)]
    extra: Annotated[dict[Key255, Value255], Field(max_length=50)] = {}
    uuid: UUIDStr | None = None
