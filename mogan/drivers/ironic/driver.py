"""Deploy, power and tear-down through Ironic, which owns the hardware.

Mogan's node *is* the Ironic node (same UUID); Ironic's drivers (IPMI, Redfish, iDRAC, iLO…)
do the work. A deploy writes Ironic's ``instance_uuid`` first, so Ironic itself refuses a
second claim, then ``instance_info``, the VIFs, validates, asks for ``active`` with a config
drive and polls until Ironic reports the outcome. Every step reads the node first, so
repeating a step after an engine crash continues where Ironic is rather than starting over.
"""

from __future__ import annotations

import base64
import gzip
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from openstack import exceptions as sdk_exceptions

from mogan.core import states
from mogan.core.errors import CleaningFailed, DriverError, UnsupportedAction
from mogan.core.placement import TypeRequirements
from mogan.core.states import PowerTarget
from mogan.drivers import base
from mogan.drivers.configdrive import config_drive
from mogan.drivers.ironic.client import IronicClient, translated
from mogan.drivers.ironic.console import IronicConsole
from mogan.drivers.ironic.inventory import InventorySettings, IronicInventory
from mogan.drivers.ironic.lifecycle import IronicLifecycle
from mogan.drivers.ironic.vifs import IronicVifs

LOG = logging.getLogger(__name__)

_POWER_TARGETS: dict[str, str] = {
    PowerTarget.ON: "power on",
    PowerTarget.OFF: "power off",
    PowerTarget.SOFT_OFF: "soft power off",
    PowerTarget.REBOOT: "rebooting",
    PowerTarget.SOFT_REBOOT: "soft rebooting",
}
_OBSERVED = {"power on": states.POWER_ON, "power off": states.POWER_OFF}

#: Ironic states from which ``deleted`` tears a deployment down.
_TEARABLE = {
    "active",
    "deploy failed",
    "wait call-back",
    "error",
    "rescue",
    "rescue failed",
    "rescue wait",
    "unrescue failed",
}
#: Ironic states in which the conductor is busy; wait for them to end.
_TRANSIENT = {
    "deploying",
    "deleting",
    "cleaning",
    "clean wait",
    "rescuing",
    "unrescuing",
    "servicing",
    "service wait",
}
#: Ironic's automated cleaning after a tear-down.
_CLEANING = {"cleaning", "clean wait"}
_STATE_FIELDS = [
    "uuid",
    "provision_state",
    "target_provision_state",
    "instance_uuid",
    "instance_info",
    "power_state",
    "maintenance",
    "last_error",
]
#: Ironic interfaces a deploy needs.
_REQUIRED = ("boot", "deploy", "power", "management", "network")


@dataclass(frozen=True)
class IronicSettings:
    deploy_timeout: float = 3600.0
    poll_interval: float = 2.0


class _Interfaces(base.PowerInterface, base.DeployInterface):
    def __init__(
        self, client: IronicClient, settings: IronicSettings, sleep: Callable[[float], None]
    ) -> None:
        self._client = client
        self._settings = settings
        self._sleep = sleep

    def _node(self, ref: base.NodeRef, what: str) -> Any:
        """The node's fields a deploy or tear-down decides on (a partial read is much cheaper
        for Ironic than the whole node, and these are read in polling loops)."""
        with translated(self._client, what):
            return self._client.baremetal.get_node(ref.uuid, fields=_STATE_FIELDS)

    # -- power -------------------------------------------------------------------------------

    def get_power_state(self, node: base.NodeRef) -> str | None:
        with translated(self._client, f"power state of node {node.name}"):
            found = self._client.baremetal.get_node(node.uuid, fields=["power_state"])
        return _OBSERVED.get(found.power_state)

    def set_power_state(self, node: base.NodeRef, action: str) -> None:
        target = _POWER_TARGETS.get(action)
        if target is None:
            raise UnsupportedAction(f"Power action {action!r} is not one Ironic knows")
        try:
            with translated(self._client, f"power {action} of node {node.name}"):
                self._client.baremetal.set_node_power_state(node.uuid, target, wait=False)
        except DriverError as exc:
            if not exc.retryable and "not supported" in exc.message.lower():
                raise UnsupportedAction(exc.message) from None
            raise

    # -- deploy ------------------------------------------------------------------------------

    def deploy(self, node: base.NodeRef, request: base.DeployRequest) -> base.DeployResult:
        what = f"deploy of instance {request.instance_uuid} on Ironic node {node.name}"
        found = self._node(node, what)
        if found.instance_id not in (None, request.instance_uuid):
            raise DriverError(f"{what}: Ironic says it serves instance {found.instance_id}")
        if found.instance_id == request.instance_uuid and found.provision_state != "available":
            # A previous run of this step got further: carry on from where Ironic is.
            return self._wait_deployed(node, what)
        if found.provision_state != base.AVAILABLE or found.is_maintenance:
            raise DriverError(
                f"{what}: the node is {found.provision_state!r}"
                f"{' in maintenance' if found.is_maintenance else ''} in Ironic, not available"
            )
        baremetal = self._client.baremetal
        with translated(self._client, what):
            baremetal.patch_node(
                node.uuid,
                [
                    {"op": "add", "path": "/instance_uuid", "value": request.instance_uuid},
                    {"op": "add", "path": "/instance_info", "value": _instance_info(node, request)},
                ],
                retry_on_conflict=False,
            )
            self._attach_vifs(node, list(request.network_info))
            self._validate(node, what)
            baremetal.set_node_provision_state(
                node.uuid,
                "active",
                config_drive=_config_drive(request),
                wait=False,
            )
        return self._wait_deployed(node, what)

    def rebuild(self, node: base.NodeRef, request: base.DeployRequest) -> base.DeployResult:
        """Ironic's own ``rebuild``: the node keeps its instance, VIFs and ports; the new
        image (and ``preserve_ephemeral``) go into ``instance_info`` and a new config drive
        with the request, as Nova's Ironic driver does."""
        what = f"rebuild of instance {request.instance_uuid} on Ironic node {node.name}"
        found = self._node(node, what)
        if found.instance_id != request.instance_uuid:
            raise DriverError(
                f"{what}: Ironic says the node serves "
                f"{found.instance_id or 'no instance'}, not this one"
            )
        if found.provision_state in ("deploying", "wait call-back"):
            return self._wait_deployed(node, what)  # a rebuild this step asked for already
        if found.provision_state not in (base.ACTIVE, "deploy failed", "error"):
            raise DriverError(
                f"{what}: the node is {found.provision_state!r} in Ironic; only an active "
                "or failed deployment can be rebuilt"
            )
        info = _instance_info(node, request)
        info["preserve_ephemeral"] = request.preserve_ephemeral
        with translated(self._client, what):
            self._client.baremetal.patch_node(
                node.uuid,
                [{"op": "add", "path": "/instance_info", "value": info}],
                retry_on_conflict=False,
            )
            self._client.baremetal.set_node_provision_state(
                node.uuid, "rebuild", config_drive=_config_drive(request), wait=False
            )
        return self._wait_deployed(node, what)

    def _attach_vifs(self, node: base.NodeRef, vif_ids: list[str]) -> None:
        baremetal = self._client.baremetal
        for vif_id in vif_ids:
            try:
                baremetal.attach_vif_to_node(node.uuid, vif_id, retry_on_conflict=False)
            except sdk_exceptions.ConflictException as exc:
                # A repeated step finds its VIF attached already; anything else is a refusal.
                if vif_id not in set(baremetal.list_node_vifs(node.uuid)):
                    raise exc from None

    def _validate(self, node: base.NodeRef, what: str) -> None:
        results = self._client.baremetal.validate_node(node.uuid, required=None)
        failed = [
            f"{name}: {results[name].reason}"
            for name in _REQUIRED
            if name in results and results[name].result is False
        ]
        if failed:
            raise DriverError(f"{what}: Ironic's validation failed ({'; '.join(failed)})")

    def _polls(self) -> Iterator[None]:
        """Sleeps between reads of a node: ``poll_interval``, growing by half each time up to
        five times it. Every waiting deploy polls Ironic, whose API is one process; backing
        off keeps a busy Ironic from spending itself on answering "not yet"."""
        delay = self._settings.poll_interval
        while True:
            self._sleep(delay)
            yield
            delay = min(delay * 1.5, self._settings.poll_interval * 5)

    def _wait_deployed(self, node: base.NodeRef, what: str) -> base.DeployResult:
        deadline = time.monotonic() + self._settings.deploy_timeout
        polls = self._polls()
        while True:
            found = self._node(node, what)
            if found.provision_state == base.ACTIVE:
                # Ironic's drivers leave a deployed node running; some (fake-hardware) do not
                # touch power at all. An active instance is one that runs.
                self._ensure_power(node, found, PowerTarget.ON, what)
                return base.DeployResult(config_drive=True)
            if found.provision_state == "deploy failed":
                raise DriverError(f"{what}: Ironic's deploy failed: {self._why(found)}")
            if found.provision_state not in ("deploying", "wait call-back") and (
                found.target_provision_state is None
            ):
                raise DriverError(
                    f"{what}: the node left the deploy in state {found.provision_state!r}: "
                    f"{found.last_error}"
                )
            if time.monotonic() > deadline:
                raise DriverError(
                    f"{what}: not active after {self._settings.deploy_timeout:.0f} s; Ironic "
                    f"says {found.provision_state!r}"
                )
            next(polls)

    def _why(self, found: Any) -> str:
        """Ironic's reason for a failure: ``last_error``, or (when an aborted deploy step has
        cleared it) the latest error in the node's history."""
        if found.last_error:
            return str(found.last_error)
        try:
            with translated(self._client, "reading the node's history"):
                response = self._client.baremetal.get(
                    f"/nodes/{found.id}/history", microversion="1.78"
                )
            events = response.json().get("history", [])
        except (DriverError, ValueError):
            events = []
        errors = [e["event"] for e in events if e.get("severity") == "ERROR"]
        return errors[-1] if errors else "Ironic recorded no reason"

    def undeploy(self, node: base.NodeRef) -> None:
        what = f"tear-down of Ironic node {node.name}"
        deadline = time.monotonic() + self._settings.deploy_timeout
        asked = False
        polls = self._polls()
        while True:
            found = self._node(node, what)
            if found.instance_id not in (None, node.instance_uuid):
                LOG.warning(
                    "%s: Ironic says it serves instance %s, not %s; left alone",
                    what,
                    found.instance_id,
                    node.instance_uuid,
                )
                return
            state = found.provision_state
            if state == "clean failed":
                self._forget_instance(node, found, what)
                raise CleaningFailed(f"{what}: Ironic's cleaning failed: {self._why(found)}")
            if state in _CLEANING and found.instance_id is None:
                # The deployment is gone; Ironic is cleaning, which the node's clean (the
                # next operation, ``IronicLifecycle.clean``) waits for.
                return
            if state in _TEARABLE and found.instance_id is not None and not asked:
                with translated(self._client, what):
                    self._client.baremetal.set_node_provision_state(node.uuid, "deleted")
                asked = True
            elif state not in _TRANSIENT and state not in _TEARABLE:
                # available (or manageable, enroll…): no deployment left; drop our traces.
                self._forget_instance(node, found, what)
                self._ensure_power(node, found, PowerTarget.OFF, what)
                return
            if time.monotonic() > deadline:
                raise DriverError(
                    f"{what}: not torn down after {self._settings.deploy_timeout:.0f} s; "
                    f"Ironic says {state!r}"
                )
            next(polls)

    def _ensure_power(self, node: base.NodeRef, found: Any, action: str, what: str) -> None:
        """Bring the node to ``action``'s state if Ironic reports it elsewhere, and wait."""
        wanted = _POWER_TARGETS[action]
        if found.power_state == wanted:
            return
        with translated(self._client, what):
            self._client.baremetal.set_node_power_state(node.uuid, wanted, wait=False)
        deadline = time.monotonic() + self._settings.deploy_timeout
        polls = self._polls()
        while True:
            next(polls)
            if self.get_power_state(node) == _OBSERVED[wanted]:
                return
            if time.monotonic() > deadline:
                raise DriverError(f"{what}: Ironic did not report {wanted!r} in time")

    def _forget_instance(self, node: base.NodeRef, found: Any, what: str) -> None:
        """Detach the VIFs and clear instance_info and instance_uuid, if still there."""
        baremetal = self._client.baremetal
        with translated(self._client, what):
            for vif_id in baremetal.list_node_vifs(node.uuid):
                baremetal.detach_vif_from_node(node.uuid, vif_id, ignore_missing=True)
            patch = [
                {"op": "remove", "path": path}
                for path, value in (
                    ("/instance_uuid", found.instance_id),
                    ("/instance_info", found.instance_info),
                )
                if value
            ]
            if patch:
                baremetal.patch_node(node.uuid, patch, retry_on_conflict=False)


def _instance_info(node: base.NodeRef, request: base.DeployRequest) -> dict[str, Any]:
    """What Ironic needs to know about the image and the instance, as Nova writes it.

    An ISO is booted as it is (Ironic's ``ramdisk`` deploy takes it as ``boot_iso``, and
    refuses an ``image_source`` beside it); any other image is written to disk.
    """
    info: dict[str, Any] = {"display_name": request.instance_name}
    if request.image_disk_format == "iso":
        info["boot_iso"] = request.image_url
    else:
        info["image_source"] = request.image_url
        info["image_disk_format"] = request.image_disk_format
        if request.image_checksum:
            algorithm, _, value = request.image_checksum.rpartition(":")
            if algorithm:
                info["image_os_hash_algo"] = algorithm
                info["image_os_hash_value"] = value
            else:
                info["image_checksum"] = value
    root_gb = request.extra_specs.get("root_gb") or node.properties.get("local_gb")
    if root_gb:
        info["root_gb"] = str(root_gb)
    capabilities = _capabilities(request.extra_specs)
    if capabilities:
        info["capabilities"] = capabilities
    # As Nova: the type's required traits, which select Ironic's deploy templates (BIOS and
    # RAID steps named after a trait run during the deploy).
    traits = TypeRequirements.from_extra_specs(request.extra_specs).required_traits
    if traits:
        info["traits"] = list(traits)
    return info


def _config_drive(request: base.DeployRequest) -> str:
    """The config drive as Ironic takes it ready-made: a gzipped, base64-encoded ISO.

    Built here, as Nova does, rather than handed to Ironic as JSON: Ironic would need
    genisoimage or xorrisofs on its conductors to build it.
    """
    image = config_drive(request)
    return base64.b64encode(gzip.compress(image)).decode()


def _capabilities(extra_specs: Mapping[str, str]) -> dict[str, str]:
    """``capabilities:boot_mode=uefi`` extra specs → ``{"boot_mode": "uefi"}``."""
    prefix = "capabilities:"
    return {
        key[len(prefix) :]: value for key, value in extra_specs.items() if key.startswith(prefix)
    }


class IronicDriver(base.Driver):
    """Nodes synced from Ironic; Ironic deploys, powers and cleans them."""

    name = "ironic"
    #: What Ironic's direct and ramdisk deploys take (qcow2 is converted by Ironic).
    disk_formats = frozenset({"raw", "qcow2", "iso"})
    reads_glance = True

    def __init__(
        self,
        client: IronicClient,
        settings: IronicSettings,
        inventory: InventorySettings,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        interfaces = _Interfaces(client, settings, sleep)
        self.power = interfaces
        self.deploy = interfaces
        self.inventory = IronicInventory(client, inventory)
        lifecycle = IronicLifecycle(interfaces)
        self.inspect = lifecycle
        self.clean = lifecycle
        self.rescue = lifecycle
        self.vifs = IronicVifs(client)
        self.console = IronicConsole(client, sleep=sleep)

    def validate(self, node: base.NodeRef) -> None:
        with translated(self._client, f"node {node.name}"):
            self._client.baremetal.get_node(node.uuid, fields=["uuid"])

    def validate_interfaces(self, node: base.NodeRef) -> dict[str, base.InterfaceCheck]:
        with translated(self._client, f"validation of Ironic node {node.name}"):
            results = self._client.baremetal.validate_node(node.uuid, required=None)
        # Mogan's four capabilities first, then whatever else Ironic checks (network…).
        return {
            name: base.InterfaceCheck(bool(results[name].result), results[name].reason)
            for name in sorted(results, key=lambda n: (n not in base.CAPABILITIES, n))
        }
