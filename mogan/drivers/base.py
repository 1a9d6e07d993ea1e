"""The contract every driver honours.

Calls are synchronous and may block (they run in engine worker threads, never in the API).
Every method is idempotent: repeating a call that already took effect succeeds, so an engine
that takes over an operation after a crash can simply repeat the step it reached.

Errors: a driver raises only ``mogan.core.errors.DriverError`` subclasses —
``NodeUnreachable`` when retrying may help, ``UnsupportedAction`` when the hardware cannot do
it, plain ``DriverError`` otherwise — with a message a person can act on that quotes the
hardware's own error text and never a secret.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mogan.core import lifecycle
from mogan.core.errors import DriverError
from mogan.core.lifecycle import CleaningMode


@dataclass(frozen=True)
class NodeRef:
    """What a driver knows about the node it acts on."""

    uuid: str
    name: str
    driver_info: Mapping[str, Any]
    #: The instance Mogan has placed on the node, if any: a driver must not tear down a
    #: deployment that belongs to another instance.
    instance_uuid: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)
    #: The MAC addresses of the NICs enrolled for it (an inspection may find more).
    macs: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeployRequest:
    """Everything a driver needs to put an instance's image on a node."""

    instance_uuid: str
    instance_name: str
    image_url: str
    image_checksum: str | None
    image_disk_format: str
    network_info: Mapping[str, Any] = field(default_factory=dict)
    #: subnet uuid -> {"cidr", "gateway_ip"} for the subnets named in ``network_info``.
    subnets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    availability_zone: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    #: The instance type's extra specs (``capabilities:*``, ``root_gb``…).
    extra_specs: Mapping[str, str] = field(default_factory=dict)
    project_id: str | None = None
    #: The key pair the tenant chose, by name, and its OpenSSH public key.
    key_name: str | None = None
    public_key: str | None = None
    #: The tenant's user data, as bytes (decoded), and metadata pairs.
    user_data: bytes | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    #: For a rebuild: keep the ephemeral partition, where the deploy has one.
    preserve_ephemeral: bool = False
    #: The deploy templates' steps the instance type asks for (its required traits), highest
    #: priority first: ``{interface, step, args, priority}`` each, checked when written.
    deploy_steps: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class DeployResult:
    """What a deploy achieved beyond the image itself."""

    #: Whether the instance's config drive reached the machine.
    config_drive: bool
    #: Why not, or anything else an operator should know, for the log.
    note: str | None = None
    #: The machine's power state when the deploy ended, if the driver knows it for certain;
    #: the engine then need not ask again before making the instance active.
    power_state: str | None = None
    #: After deploy steps: what the BIOS and RAID hold as the hardware reports them
    #: (``bios_settings``, ``raid_config``), and the steps applied (``applied_steps``).
    configuration: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class InterfaceCheck:
    """The result of validating one capability of a node, as Ironic reports it."""

    result: bool
    reason: str | None = None


class PowerInterface(abc.ABC):
    @abc.abstractmethod
    def get_power_state(self, node: NodeRef) -> str | None:
        """The observed power state: ``"power on"``, ``"power off"`` or ``None`` if unknown."""

    @abc.abstractmethod
    def set_power_state(self, node: NodeRef, action: str) -> None:
        """Ask the hardware to perform ``action`` (one of the ``POWER_*`` actions above).

        Returns once the request is accepted; the change is confirmed by observing
        ``get_power_state``, since real hardware takes seconds.
        """


class DeployInterface(abc.ABC):
    @abc.abstractmethod
    def deploy(self, node: NodeRef, request: DeployRequest) -> DeployResult:
        """Put the image on the node and boot it; return when the deploy is done.

        Calling it again for the same instance while or after it happened is harmless.
        """

    @abc.abstractmethod
    def undeploy(self, node: NodeRef) -> None:
        """Power the node off and remove what a deploy left (media, boot settings).

        A driver whose clean ``cleans_itself`` may instead return once the owner (Ironic)
        has taken the node into its own cleaning: the node is powered off when that
        cleaning ends, which the next operation's ``clean`` waits for.

        Raises ``CleaningFailed`` when the instance's deployment is gone but the node could
        not be made ready for the next one.
        """

    def rebuild(self, node: NodeRef, request: DeployRequest) -> DeployResult:
        """Deploy the instance again on the node it has, from ``request``'s image and with
        a new config drive; the node stays the instance's throughout. Calling it again
        after a takeover rebuilds again, or waits for the rebuild under way.

        By default the node's deployment is removed and made again (``undeploy`` then
        ``deploy``), which is what a BMC-driven deploy means by it; a driver whose peer
        rebuilds natively (Ironic's ``rebuild``) says so here. A ``CleaningFailed`` from the
        removal is a failed rebuild: the node was not left ready for the new image.
        """
        self.undeploy(node)
        return self.deploy(node, request)


@dataclass(frozen=True)
class InventoryPort:
    uuid: str
    mac_address: str
    port_type: str | None
    #: The switch port it is cabled to (``switch_id``, ``port_id``, ``switch_info``).
    local_link_connection: dict[str, str] | None = None


@dataclass(frozen=True)
class InventoryNode:
    """A node as the service that owns it (Ironic) describes it."""

    uuid: str
    name: str | None
    resource_class: str | None
    properties: Mapping[str, Any]
    availability_zone: str | None
    maintenance: bool
    maintenance_reason: str | None
    #: The owner's provision state, in its own words (shown; only ``available`` nodes may be
    #: scheduled). What it means is in ``deployed`` and ``holds_deployment``, which the driver
    #: that knows the owner's states sets.
    provision_state: str
    power_state: str | None
    #: The instance the owner says the node serves.
    instance_uuid: str | None
    last_error: str | None
    ports: tuple[InventoryPort, ...] = ()
    #: The projects the node is dedicated and lent to (Ironic's owner and lessee).
    owner: str | None = None
    lessee: str | None = None
    #: Its traits (Ironic's node traits), which Mogan's mirror of the node takes.
    traits: tuple[str, ...] = ()
    #: A deployed image runs on it (Ironic's ``active``).
    deployed: bool = False
    #: A deployment is on it, finished, under way or failed: tearing it down is not done.
    holds_deployment: bool = False


#: The provision state of a node that may be given to a new instance.
AVAILABLE = lifecycle.AVAILABLE
#: The provision state of a node that runs a deployed image.
ACTIVE = lifecycle.ACTIVE


@dataclass(frozen=True)
class Disk:
    """A disk an inspection found."""

    name: str
    size_gb: int
    #: ``hdd``, ``ssd`` or ``nvme`` where the hardware says; None where it does not.
    type: str | None = None
    serial: str | None = None


@dataclass(frozen=True)
class NetworkInterface:
    """A NIC an inspection found."""

    mac_address: str
    speed_mbps: int | None = None


@dataclass(frozen=True)
class HardwareInventory:
    """What a node's hardware says it is: filled by a driver's ``inspect``.

    ``raw`` is the hardware's own report (the Redfish resources read, Ironic's inventory),
    kept for operators as it was said (``GET /v1/nodes/{ident}/inventory``).
    """

    cpus: int | None = None
    cpu_arch: str | None = None
    cpu_model: str | None = None
    memory_mb: int | None = None
    disks: tuple[Disk, ...] = ()
    nics: tuple[NetworkInterface, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)


class InspectInterface(abc.ABC):
    @abc.abstractmethod
    def inspect(self, node: NodeRef) -> HardwareInventory:
        """Ask the hardware what it is. Harmless to repeat; the node must not be serving.

        Raises ``DriverError`` (with the hardware's words) when it cannot tell.
        """


#: Records one step of a clean for the node's history: ``(event, details)``.
CleanProgress = Callable[[str, str], None]


class CleanInterface(abc.ABC):
    #: True when the node's owner (Ironic) cleans by itself after every tear-down and
    #: ``clean`` waits for it: Mogan's ``[cleaning] mode`` does not apply to such nodes.
    cleans_itself: bool = False

    @abc.abstractmethod
    def clean(self, node: NodeRef, mode: CleaningMode, progress: CleanProgress) -> None:
        """Wipe what the last tenant left, as ``mode`` says, reporting each step through
        ``progress``; return once the node is ready for the next tenant. ``node.instance_uuid``
        names the instance whose tear-down the clean follows (None for an operator's clean).

        Repeating a clean (after an engine's takeover) cleans again. Raises
        ``CleaningFailed`` with the hardware's or the owner's reason when the node could not
        be made clean; ``NodeUnreachable`` when retrying may help.
        """


class ManagedInventory(abc.ABC):
    """For drivers whose nodes are enrolled in another service (Ironic), not in Mogan."""

    @abc.abstractmethod
    def list_nodes(self) -> list[InventoryNode]:
        """Every node of the owning service, with its ports."""

    @abc.abstractmethod
    def adopt(self, node: NodeRef, instance_uuid: str) -> None:
        """Record in the owning service that the already deployed ``node`` now serves
        ``instance_uuid``, without redeploying it; refuse if it serves another instance."""


class VifInterface(abc.ABC):
    """For drivers whose node's deployer binds Neutron ports itself (Ironic's network
    interface): Mogan attaches the instance's ports to the node as VIFs, as Nova's driver
    does, instead of binding them."""

    @abc.abstractmethod
    def attach(self, node: NodeRef, port_id: str, nic_uuid: str) -> None:
        """Attach Neutron port ``port_id`` to the node's NIC ``nic_uuid`` (the one Mogan
        claimed for it); attaching it again is no fault."""

    @abc.abstractmethod
    def detach(self, node: NodeRef, port_id: str) -> None:
        """Detach it; a port not attached is no fault."""


@dataclass(frozen=True)
class RescueRequest:
    """What a driver needs to boot an instance's node into a rescue system."""

    instance_uuid: str
    instance_name: str
    #: The root password the rescue system takes: a secret, never logged or shown.
    rescue_password: str = field(repr=False)
    #: A bootable rescue image (an ISO for virtual media); ``None`` for a driver whose
    #: deployer has its own rescue system (Ironic's rescue ramdisk).
    image_url: str | None = None
    #: The instance's key pair, for the rescue system's config drive.
    key_name: str | None = None
    public_key: str | None = None


class RescueInterface(abc.ABC):
    """Rescue: boot a node once from a rescue system, its own disk left as it is, and back."""

    #: Its rescue takes the place of the instance's boot media (virtual media), so an
    #: unrescue is given the instance's deploy request to put them back.
    takes_boot_media: bool = False

    @abc.abstractmethod
    def rescue(self, node: NodeRef, request: RescueRequest) -> None:
        """Boot ``node`` into the rescue system; return once it runs. ``DriverError`` when it
        cannot (the engine then unrescues, so nothing is left inserted)."""

    @abc.abstractmethod
    def unrescue(
        self, node: NodeRef, instance_uuid: str, boot: DeployRequest | None = None
    ) -> None:
        """Boot the node's own disk again and remove whatever the rescue put there. A node
        that is half rescued (a failed rescue), or not rescued at all, ends the same way.
        ``boot`` (given when ``takes_boot_media``) is how the instance was deployed."""


@dataclass(frozen=True)
class ConsoleEndpoint:
    """Where a node's serial console is: ``tcp://host:port`` (a raw stream, such as the
    ``socat`` Ironic runs), or ``fake://<node>`` (the fake driver's simulated machine)."""

    url: str


class ConsoleInterface(abc.ABC):
    """A node's serial console, for Mogan's console proxy."""

    @abc.abstractmethod
    def start(self, node: NodeRef) -> ConsoleEndpoint:
        """Make the console reachable (Ironic: enable it) and say where it is. It is left
        on afterwards, as Nova leaves Ironic's: another session may be using it."""


class Driver(abc.ABC):
    """A hardware type: a name plus the interfaces it provides."""

    name: str
    power: PowerInterface
    deploy: DeployInterface
    #: Set by drivers whose nodes come from another service's inventory.
    inventory: ManagedInventory | None = None
    #: Inspection and cleaning, where the driver can do them (None: it cannot).
    inspect: InspectInterface | None = None
    clean: CleanInterface | None = None
    #: The image disk formats it deploys (None: any).
    disk_formats: frozenset[str] | None = None
    #: It gives the node's deployer a Glance image's id, which reads Glance itself (Ironic);
    #: otherwise Mogan hands it a URL of its own cached copy.
    reads_glance: bool = False
    #: Set by drivers whose node's deployer binds Neutron ports (Ironic); without it, Mogan
    #: binds them to the node's NICs itself.
    vifs: VifInterface | None = None
    #: Rescue, where the driver can boot a rescue system (None: it cannot).
    rescue: RescueInterface | None = None
    #: The serial console, where the driver reaches one (None: it cannot).
    console: ConsoleInterface | None = None

    @abc.abstractmethod
    def validate(self, node: NodeRef) -> None:
        """Check driver_info and that the node's management endpoint answers.

        Raises ``DriverError`` saying what is wrong. Used at enrolment.
        """

    def required_info(self) -> tuple[str, ...]:
        """driver_info keys a node of this driver must have."""
        return ()

    def close(self) -> None:  # noqa: B027 - a hook; most drivers hold nothing to release
        """Release what the driver holds (connections, BMC sessions) at the process's end."""

    def validate_interfaces(self, node: NodeRef) -> dict[str, InterfaceCheck]:
        """Each capability (power, management, boot, deploy) checked against the hardware."""
        try:
            self.validate(node)
        except DriverError as exc:
            failed = InterfaceCheck(False, exc.message)
            return dict.fromkeys(CAPABILITIES, failed)
        return dict.fromkeys(CAPABILITIES, InterfaceCheck(True))


CAPABILITIES = ("power", "management", "boot", "deploy")
