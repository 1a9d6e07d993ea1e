"""Inspection and cleaning over Redfish, read and done through sushy.

Inspection reads the System's ``ProcessorSummary`` and ``Processors`` (logical CPUs,
instruction set, model), ``MemorySummary``, the drives of its ``Storage`` (or the devices of
its ``SimpleStorage``) and its ``EthernetInterfaces`` (MAC, ``SpeedMbps``), as Ironic's
``redfish`` inspect interface does.

Cleaning, ``metadata``: every volume of every storage controller is deleted and made again
with the same name, type and size — a fresh logical disk, so partition tables and file
systems are gone (the blocks are not overwritten). A BMC without a storage service or
volumes has nothing this can erase, and the history says so. ``full`` then boots the
operator's cleaning image (``[redfish] cleaning_iso_url``) from the virtual CD, once, and
waits for the machine to power itself off, which is how the image says it is done; the CD
is ejected and the boot device set back to the disk.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import sushy
from sushy import exceptions as sushy_errors
from sushy.taskmonitor import TaskMonitor

from mogan.core import states
from mogan.core.errors import CleaningFailed, DriverError
from mogan.core.lifecycle import BiosBaseline, CleaningMode
from mogan.core.states import PowerTarget
from mogan.drivers import base
from mogan.drivers.redfish.client import BMCAddress, translated
from mogan.drivers.redfish.configuration import ConfigurationPlan

LOG = logging.getLogger(__name__)

#: Redfish's instruction sets in the words of ``properties.cpu_arch``.
_ARCHITECTURES = {
    "x86-64": "x86_64",
    "x86": "i686",
    "ARM-A64": "aarch64",
    "ARM-A32": "armhf",
    "PowerISA": "ppc64le",
    "MIPS64": "mips64",
    "IA-64": "ia64",
}
_DISK_TYPES = {"HDD": "hdd", "SSD": "ssd"}
#: ``driver_info`` key that overrides ``[redfish] cleaning_iso_url`` for one node.
CLEANING_ISO_KEY = "redfish_cleaning_iso_url"
_GIB = 1024**3


class RedfishLifecycle(base.InspectInterface, base.CleanInterface):
    def __init__(
        self,
        machines: Any,
        *,
        cleaning_iso_url: str | None,
        clean_timeout: float,
        poll_interval: float,
        bios_baseline: BiosBaseline | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        #: The driver's power and virtual media interfaces (``_Interfaces``).
        self._machines = machines
        self._bios_baseline = bios_baseline
        self._cleaning_iso_url = cleaning_iso_url
        self._clean_timeout = clean_timeout
        self._poll_interval = poll_interval
        self._sleep = sleep

    # -- inspection --------------------------------------------------------------------------

    def inspect(self, node: base.NodeRef) -> base.HardwareInventory:
        bmc, system = self._machines._system(node)
        with translated(node, bmc, pool=self._machines._pool):
            system.refresh(force=True)
            raw: dict[str, Any] = {"system": _json(system)}
            cpus, arch, model, raw["processors"] = self._processors(system)
            memory = system.memory_summary.size_gib if system.memory_summary else None
            disks, raw["storage"] = self._disks(system)
            nics, raw["ethernet_interfaces"] = self._nics(system)
        return base.HardwareInventory(
            cpus=cpus,
            cpu_arch=arch,
            cpu_model=model,
            memory_mb=None if memory is None else int(memory * 1024),
            disks=tuple(disks),
            nics=tuple(nics),
            raw=raw,
        )

    @staticmethod
    def _processors(system: Any) -> tuple[int | None, str | None, str | None, list[Any]]:
        summary_count = (system.json.get("ProcessorSummary") or {}).get("Count")
        try:
            members = list(system.processors.get_members())
        except sushy_errors.MissingAttributeError:
            return summary_count, None, None, []
        threads = [p.total_threads for p in members if p.total_threads is not None]
        arch = next(
            (
                _ARCHITECTURES.get(str(p.json.get("InstructionSet")))
                for p in members
                if p.json.get("InstructionSet") in _ARCHITECTURES
            ),
            None,
        )
        model = next((p.model for p in members if p.model), None)
        return sum(threads) if threads else summary_count, arch, model, [_json(p) for p in members]

    @staticmethod
    def _disks(system: Any) -> tuple[list[base.Disk], list[Any]]:
        disks: list[base.Disk] = []
        raw: list[Any] = []
        try:
            controllers = list(system.storage.get_members())
        except sushy_errors.MissingAttributeError:
            controllers = []
        for storage in controllers:
            drives = list(storage.drives)
            raw.append({"storage": _json(storage), "drives": [_json(d) for d in drives]})
            for drive in drives:
                if drive.capacity_bytes:
                    protocol = drive.json.get("Protocol")
                    kind = "nvme" if protocol == "NVMe" else _DISK_TYPES.get(drive.media_type)
                    disks.append(
                        base.Disk(
                            name=str(drive.name or drive.identity),
                            size_gb=drive.capacity_bytes // _GIB,
                            type=kind,
                            serial=drive.serial_number,
                        )
                    )
        if controllers:
            return disks, raw
        try:
            simple = list(system.simple_storage.get_members())
        except sushy_errors.MissingAttributeError:
            return disks, raw
        for controller in simple:
            raw.append({"simple_storage": _json(controller)})
            for device in controller.devices:
                if device.capacity_bytes:
                    disks.append(
                        base.Disk(name=str(device.name), size_gb=device.capacity_bytes // _GIB)
                    )
        return disks, raw

    @staticmethod
    def _nics(system: Any) -> tuple[list[base.NetworkInterface], list[Any]]:
        try:
            members = list(system.ethernet_interfaces.get_members())
        except sushy_errors.MissingAttributeError:
            return [], []
        nics = [
            base.NetworkInterface(
                str(nic.mac_address or nic.permanent_mac_address).lower(),
                int(nic.speed_mbps) if nic.speed_mbps else None,
            )
            for nic in members
            if nic.mac_address or nic.permanent_mac_address
        ]
        return nics, [_json(nic) for nic in members]

    # -- cleaning ----------------------------------------------------------------------------

    def clean(self, node: base.NodeRef, mode: CleaningMode, progress: base.CleanProgress) -> None:
        if mode is CleaningMode.NONE:
            return
        bmc, system = self._machines._system(node)
        try:
            self._recreate_volumes(node, bmc, system, progress)
            if self._bios_baseline is not None:
                self._write_bios_baseline(node, bmc, system, self._bios_baseline, progress)
            if mode is CleaningMode.FULL:
                self._boot_cleaning_image(node, bmc, system, progress)
        except CleaningFailed:
            raise
        except DriverError as exc:
            if exc.retryable:
                raise
            raise CleaningFailed(exc.message, node=node.uuid) from None

    def _recreate_volumes(
        self, node: base.NodeRef, bmc: BMCAddress, system: Any, progress: base.CleanProgress
    ) -> None:
        recreated = []
        with translated(node, bmc, pool=self._machines._pool):
            system.refresh(force=True)  # the volumes as they are now, not as last read
            try:
                controllers = list(system.storage.get_members())
            except sushy_errors.MissingAttributeError:
                controllers = []
            for storage in controllers:
                try:
                    volumes = storage.volumes
                except sushy_errors.MissingAttributeError:
                    continue
                # Read one by one, not by get_members(), whose cached list a later refresh
                # would re-read, volumes deleted included.
                existing = [volumes.get_member(path) for path in volumes.members_identities]
                layout = [
                    {
                        "Name": volume.name,
                        "CapacityBytes": volume.capacity_bytes,
                        "VolumeType": volume.json.get("VolumeType"),
                        # A deploy step's RAID level outlives the tenant; only the data goes.
                        **({"RAIDType": volume.raid_type.value} if volume.raid_type else {}),
                    }
                    for volume in existing
                ]
                for volume in existing:
                    self._wait_for(volume.delete())
                for payload in layout:
                    self._wait_for(volumes.create(payload))
                    recreated.append(
                        f"{payload['Name']} ({(payload['CapacityBytes'] or 0) // _GIB} GiB)"
                    )
        if recreated:
            progress("erase_volumes", f"volumes deleted and recreated: {', '.join(recreated)}")
        else:
            progress(
                "erase_volumes",
                "the BMC has no storage volumes: nothing could be erased by Redfish",
            )

    def _write_bios_baseline(
        self,
        node: base.NodeRef,
        bmc: BMCAddress,
        system: Any,
        baseline: BiosBaseline,
        progress: base.CleanProgress,
    ) -> None:
        """Leave the baseline pending: the firmware takes it at the next boot (a full clean's,
        or the next deploy's, whose own steps are written over it)."""
        self._machines._configuration.write(node, bmc, system, ConfigurationPlan.baseline(baseline))
        progress("bios_baseline", f"pending for the next boot: {baseline.describe()}")

    def _wait_for(self, outcome: Any) -> None:
        """A BMC may carry out a volume change as a task: wait for it to end."""
        if isinstance(outcome, TaskMonitor):
            outcome.wait(self._clean_timeout)

    def _boot_cleaning_image(
        self, node: base.NodeRef, bmc: BMCAddress, system: Any, progress: base.CleanProgress
    ) -> None:
        url = node.driver_info.get(CLEANING_ISO_KEY) or self._cleaning_iso_url
        if not url:
            raise CleaningFailed(
                f"a full clean of node {node.name} needs a cleaning image: set [redfish] "
                f"cleaning_iso_url (or driver_info {CLEANING_ISO_KEY})",
                node=node.uuid,
            )
        machines = self._machines
        if machines.get_power_state(node) != states.POWER_OFF:
            machines.set_power_state(node, PowerTarget.OFF)
            machines._wait(node, states.POWER_OFF)
        cd = machines._cd_slot(node, machines._slots(node, bmc, system))
        machines._insert(node, bmc, cd, url)
        with translated(node, bmc, pool=machines._pool):
            system.set_system_boot_options(
                target=sushy.BootSource.CD, enabled=sushy.BootSourceOverrideEnabled.ONCE
            )
        machines.set_power_state(node, PowerTarget.ON)
        machines._wait(node, states.POWER_ON)
        started = time.monotonic()
        progress("boot_cleaning_image", f"{url} booted from the virtual CD")
        deadline = started + self._clean_timeout
        while machines.get_power_state(node) != states.POWER_OFF:
            if time.monotonic() > deadline:
                raise CleaningFailed(
                    f"the cleaning image on node {node.name} did not power the machine off "
                    f"within {self._clean_timeout:.0f} s ([cleaning] timeout)",
                    node=node.uuid,
                )
            self._sleep(self._poll_interval)
        with translated(node, bmc, pool=machines._pool):
            cd.refresh(force=True)
            if cd.inserted:
                cd.eject_media()
            system.set_system_boot_options(
                target=sushy.BootSource.HDD, enabled=sushy.BootSourceOverrideEnabled.CONTINUOUS
            )
        progress(
            "erase_disks",
            f"the cleaning image overwrote the disks and powered the machine off after "
            f"{time.monotonic() - started:.0f} s",
        )


def _json(resource: Any) -> Any:
    """The resource as the BMC sent it (sushy keeps the parsed body)."""
    body = getattr(resource, "json", None)
    return dict(body) if isinstance(body, dict) else None
