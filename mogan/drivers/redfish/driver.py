"""Power and virtual-media deploy over Redfish.

Deploy follows Ironic's ``ramdisk`` deploy with ``redfish-virtual-media`` boot: the image (an
ISO) goes into the virtual CD, the boot device is set to CD, the machine is powered on, and the
deploy is done once the BMC reports it on. The instance's config drive goes into a second
virtual media slot when the BMC has one. Deploy steps (BIOS, RAID: ``configuration``) are
written while the machine is off and checked after the boot that applies them. Undeploy powers
off, ejects all media and sets the boot device back to the disk. Every step checks the hardware
first, so repeating it is harmless.

Power states read while the hardware is moving (``PoweringOn``/``PoweringOff``) count as the
state it is leaving, so "observed in the target state" really means arrived.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sushy

from mogan.core import states
from mogan.core.errors import DriverError, UnsupportedAction
from mogan.core.lifecycle import BiosBaseline
from mogan.core.states import PowerTarget
from mogan.drivers import base, configdrive
from mogan.drivers.redfish.client import BMCAddress, SushyPool, translated
from mogan.drivers.redfish.configuration import ConfigurationPlan, RedfishConfiguration
from mogan.drivers.redfish.lifecycle import RedfishLifecycle
from mogan.drivers.redfish.rescue import RedfishRescue

LOG = logging.getLogger(__name__)

_RESETS: dict[str, sushy.ResetType] = {
    PowerTarget.ON: sushy.ResetType.ON,
    PowerTarget.OFF: sushy.ResetType.FORCE_OFF,
    PowerTarget.SOFT_OFF: sushy.ResetType.GRACEFUL_SHUTDOWN,
    PowerTarget.REBOOT: sushy.ResetType.FORCE_RESTART,
    PowerTarget.SOFT_REBOOT: sushy.ResetType.GRACEFUL_RESTART,
}
_OBSERVED = {
    sushy.PowerState.ON: states.POWER_ON,
    sushy.PowerState.POWERING_OFF: states.POWER_ON,
    sushy.PowerState.OFF: states.POWER_OFF,
    sushy.PowerState.POWERING_ON: states.POWER_OFF,
}
_CD_TYPES = {sushy.VirtualMediaType.CD, sushy.VirtualMediaType.DVD}
_SECOND_SLOT_TYPES = {sushy.VirtualMediaType.USB_STICK, sushy.VirtualMediaType.FLOPPY, *_CD_TYPES}


@dataclass(frozen=True)
class RedfishSettings:
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    #: BMC connections kept open (``SushyPool``'s size).
    connection_cache_size: int = 1000
    #: Seconds to wait for the BMC to report a power change made during deploy/undeploy.
    power_state_timeout: float = 120.0
    poll_interval: float = 1.0
    #: Where config drive ISOs are written, and the URL the BMCs fetch them from.
    configdrive_dir: str | None = None
    configdrive_url: str | None = None
    #: The image a ``full`` clean boots, and how long a clean may take.
    cleaning_iso_url: str | None = None
    clean_timeout: float = 3600.0
    #: Seconds after the boot for the BIOS to show the settings a deploy step left pending.
    configuration_timeout: float = 600.0
    #: What every clean leaves pending in the BIOS (None: untouched).
    bios_baseline: BiosBaseline | None = None


class _Interfaces(base.PowerInterface, base.DeployInterface):
    def __init__(
        self, settings: RedfishSettings, pool: SushyPool, sleep: Callable[[float], None]
    ) -> None:
        self._settings = settings
        self._pool = pool
        self._sleep = sleep
        self._configuration = RedfishConfiguration(
            pool,
            timeout=settings.configuration_timeout,
            poll_interval=settings.poll_interval,
            sleep=sleep,
        )

    def _system(self, node: base.NodeRef) -> tuple[BMCAddress, Any]:
        bmc = BMCAddress.from_info(node.driver_info)
        return bmc, self._pool.system(bmc, node)

    # -- power -------------------------------------------------------------------------------

    def get_power_state(self, node: base.NodeRef) -> str | None:
        _, system = self._system(node)
        return _OBSERVED.get(system.power_state)

    def set_power_state(self, node: base.NodeRef, action: str) -> None:
        bmc, system = self._system(node)
        reset = _RESETS.get(action)
        if reset is None:
            raise UnsupportedAction(f"power action {action!r} is not known", node=node.uuid)
        current = _OBSERVED.get(system.power_state)
        if action == PowerTarget.ON and current == states.POWER_ON:
            return
        if action in (PowerTarget.OFF, PowerTarget.SOFT_OFF) and current == states.POWER_OFF:
            return
        with translated(node, bmc, pool=self._pool):
            allowed = system.get_allowed_reset_system_values()
        if reset not in allowed:
            if (
                action == PowerTarget.REBOOT
                and {sushy.ResetType.FORCE_OFF, sushy.ResetType.ON} <= allowed
            ):
                # This BMC cannot restart: switch off, wait until it is off, switch on.
                self._reset(node, bmc, system, sushy.ResetType.FORCE_OFF)
                self._wait(node, states.POWER_OFF)
                self._reset(node, bmc, system, sushy.ResetType.ON)
                return
            offered = ", ".join(sorted(r.value for r in allowed)) or "none"
            raise UnsupportedAction(
                f"BMC of node {node.name} at {bmc.address} does not support "
                f"the reset type {reset.value} (it offers: {offered})",
                node=node.uuid,
            )
        self._reset(node, bmc, system, reset)

    def _reset(
        self, node: base.NodeRef, bmc: BMCAddress, system: Any, reset: sushy.ResetType
    ) -> None:
        with translated(node, bmc, pool=self._pool):
            system.reset_system(reset)
        LOG.info("Node %s: %s requested", node.name, reset.value)

    def _wait(self, node: base.NodeRef, target: str) -> None:
        """Poll until the BMC reports ``target``; ``DriverError`` after the timeout."""
        deadline = time.monotonic() + self._settings.power_state_timeout
        observed = None
        while time.monotonic() < deadline:
            observed = self.get_power_state(node)
            if observed == target:
                return
            self._sleep(self._settings.poll_interval)
        raise DriverError(
            f"BMC of node {node.name} did not report '{target}' within "
            f"{self._settings.power_state_timeout:.0f}s (last: {observed})",
            node=node.uuid,
        )

    # -- virtual media -----------------------------------------------------------------------

    def _slots(self, node: base.NodeRef, bmc: BMCAddress, system: Any) -> list[Any]:
        with translated(node, bmc, pool=self._pool):
            try:
                return list(system.virtual_media.get_members())
            except sushy.exceptions.MissingAttributeError:
                slots = []
                for manager in system.managers:  # older BMCs keep media on the manager
                    slots += list(manager.virtual_media.get_members())
                return slots

    def _cd_slot(self, node: base.NodeRef, slots: list[Any]) -> Any:
        for slot in slots:
            if _CD_TYPES & set(slot.media_types):
                return slot
        raise UnsupportedAction(
            f"BMC of node {node.name} offers no virtual CD/DVD drive", node=node.uuid
        )

    def _insert(self, node: base.NodeRef, bmc: BMCAddress, slot: Any, url: str) -> None:
        with translated(node, bmc, pool=self._pool):
            slot.refresh(force=True)
            if slot.inserted and slot.image == url:
                return
            if slot.inserted:
                slot.eject_media()
            slot.insert_media(url, inserted=True, write_protected=True)

    # -- deploy ------------------------------------------------------------------------------

    def deploy(self, node: base.NodeRef, request: base.DeployRequest) -> base.DeployResult:
        if request.image_disk_format != "iso":
            raise DriverError(
                f"node {node.name} deploys by virtual media, which needs an ISO "
                f"image; image {request.image_url} is "
                f"{request.image_disk_format}",
                node=node.uuid,
            )
        bmc, system = self._system(node)
        plan = ConfigurationPlan.of(request.deploy_steps)
        # The BIOS takes pending settings at a boot: configuring means booting again.
        configure = bool(request.deploy_steps) and self._configuration.needs_boot(
            node, bmc, system, plan
        )
        slots = self._slots(node, bmc, system)
        cd = self._cd_slot(node, slots)
        if _OBSERVED.get(system.power_state) == states.POWER_ON and (
            configure or not (cd.inserted and cd.image == request.image_url)
        ):
            self.set_power_state(node, PowerTarget.OFF)
            self._wait(node, states.POWER_OFF)
        if configure:
            self._configuration.write(node, bmc, system, plan)
        self._insert(node, bmc, cd, request.image_url)
        result = self._attach_config_drive(node, bmc, [s for s in slots if s is not cd], request)
        with translated(node, bmc, pool=self._pool):
            system.set_system_boot_options(
                target=sushy.BootSource.CD, enabled=sushy.BootSourceOverrideEnabled.CONTINUOUS
            )
        self.set_power_state(node, PowerTarget.ON)
        self._wait(node, states.POWER_ON)
        LOG.info("Node %s booted %s from virtual media", node.name, request.image_url)
        if request.deploy_steps:
            configuration = self._configuration.confirm(node, bmc, system, plan)
            result = dataclasses.replace(result, configuration=configuration)
        return result

    def _attach_config_drive(
        self, node: base.NodeRef, bmc: BMCAddress, others: list[Any], request: base.DeployRequest
    ) -> base.DeployResult:
        if not (self._settings.configdrive_dir and self._settings.configdrive_url):
            return base.DeployResult(
                False, "[redfish] configdrive_dir and configdrive_url are not configured"
            )
        slot = next((s for s in others if _SECOND_SLOT_TYPES & set(s.media_types)), None)
        if slot is None:
            return base.DeployResult(
                False,
                f"BMC of node {node.name} has no second virtual media slot for the config drive",
            )
        image = configdrive.config_drive(request)
        # The drive holds the tenant's user data and keys, served to the BMC over plain HTTP:
        # its name is 256 random bits, never guessable from the instance's uuid.
        name = f"configdrive-{secrets.token_urlsafe(32)}.iso"
        os.makedirs(self._settings.configdrive_dir, exist_ok=True)
        path = os.path.join(self._settings.configdrive_dir, name)
        with open(path + ".part", "wb") as handle:
            handle.write(image)
        os.replace(path + ".part", path)
        with translated(node, bmc, pool=self._pool):
            slot.refresh(force=True)
            former = slot.image if slot.inserted else None
        self._insert(node, bmc, slot, f"{self._settings.configdrive_url.rstrip('/')}/{name}")
        self._remove_config_drive(former)  # a rebuild's: the drive it replaced
        return base.DeployResult(True)

    def undeploy(self, node: base.NodeRef) -> None:
        bmc, system = self._system(node)
        if _OBSERVED.get(system.power_state) != states.POWER_OFF:
            self.set_power_state(node, PowerTarget.OFF)
            self._wait(node, states.POWER_OFF)
        for slot in self._slots(node, bmc, system):
            with translated(node, bmc, pool=self._pool):
                if slot.inserted:
                    image = slot.image
                    slot.eject_media()
                    self._remove_config_drive(image)
        with translated(node, bmc, pool=self._pool):
            system.set_system_boot_options(
                target=sushy.BootSource.HDD, enabled=sushy.BootSourceOverrideEnabled.CONTINUOUS
            )
        LOG.info("Node %s: media ejected, powered off, boot device back to disk", node.name)

    def _remove_config_drive(self, image_url: str | None) -> None:
        url, directory = self._settings.configdrive_url, self._settings.configdrive_dir
        if not (image_url and url and directory and image_url.startswith(url.rstrip("/"))):
            return
        name = image_url.rsplit("/", 1)[-1]
        if name.startswith("configdrive-"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(directory, name))


class RedfishDriver(base.Driver):
    name = "redfish"
    #: It boots what the BMC mounts as virtual media.
    disk_formats = frozenset({"iso"})

    def __init__(
        self,
        settings: RedfishSettings | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings or RedfishSettings()
        self.pool = SushyPool(
            connect_timeout=self.settings.connect_timeout,
            read_timeout=self.settings.read_timeout,
            size=self.settings.connection_cache_size,
        )
        interfaces = _Interfaces(self.settings, self.pool, sleep)
        self.power = interfaces
        self.deploy = interfaces
        lifecycle = RedfishLifecycle(
            interfaces,
            cleaning_iso_url=self.settings.cleaning_iso_url,
            clean_timeout=self.settings.clean_timeout,
            bios_baseline=self.settings.bios_baseline,
            poll_interval=self.settings.poll_interval,
            sleep=sleep,
        )
        self.inspect = lifecycle
        self.clean = lifecycle
        self.rescue = RedfishRescue(interfaces)

    def close(self) -> None:
        self.pool.close()

    def required_info(self) -> tuple[str, ...]:
        return ("redfish_address",)

    def validate(self, node: base.NodeRef) -> None:
        """The BMC answers, accepts the credentials, and has the system."""
        bmc = BMCAddress.from_info(node.driver_info)
        system = self.pool.system(bmc, node)
        with translated(node, bmc, pool=self.pool):
            system.power_state  # noqa: B018 - reading it proves the system is readable

    def validate_interfaces(self, node: base.NodeRef) -> dict[str, base.InterfaceCheck]:
        try:
            bmc = BMCAddress.from_info(node.driver_info)
            system = self.pool.system(bmc, node)
        except DriverError as exc:
            return dict.fromkeys(base.CAPABILITIES, base.InterfaceCheck(False, exc.message))
        checks: dict[str, base.InterfaceCheck] = {}
        with translated(node, bmc, pool=self.pool):
            resets = system.get_allowed_reset_system_values()
            targets = set(system.get_allowed_system_boot_source_values())
        checks["power"] = (
            base.InterfaceCheck(True)
            if {sushy.ResetType.ON, sushy.ResetType.FORCE_OFF} <= resets
            else base.InterfaceCheck(False, "the BMC offers no On/ForceOff reset")
        )
        checks["management"] = (
            base.InterfaceCheck(True)
            if sushy.BootSource.CD in targets or not targets
            else base.InterfaceCheck(False, "the BMC cannot boot from CD")
        )
        try:
            slots = self.deploy._slots(node, bmc, system)  # type: ignore[attr-defined]
            self.deploy._cd_slot(node, slots)  # type: ignore[attr-defined]
            media = base.InterfaceCheck(True)
        except DriverError as exc:
            media = base.InterfaceCheck(False, exc.message)
        checks["boot"] = checks["deploy"] = media
        return checks
