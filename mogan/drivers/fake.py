"""The ``fake`` driver: simulated machines whose state lives in the database.

Each node's simulated hardware is a ``HardwareStore`` record; latencies and faults are read
from the node's ``driver_info`` (falling back to the ``[fake]`` options) so tests and demos can
inject them through the API:

- ``fake_deploy_latency`` / ``fake_power_latency``: seconds a deploy / power change takes.
- ``fake_fail_deploy``: true -> every deploy fails as a BMC refusing virtual media would.
- ``fake_fail_power``: true -> every power change is refused.
- ``fake_unreachable``: true -> the BMC does not answer at all (retryable).
- ``fake_inventory``: what an inspection finds (``cpus``, ``cpu_arch``, ``cpu_model``,
  ``memory_mb``, ``disks`` of ``{name, size_gb, type, serial}``, ``nics`` of
  ``{mac_address, speed_mbps}``); a plausible two-socket server when absent.
- ``fake_inspect_latency`` / ``fake_clean_latency``: seconds an inspection / a clean takes.
- ``fake_fail_inspect`` / ``fake_fail_clean``: true -> it fails as a BMC would.
- ``fake_bios_registry``: the BIOS settings the machine has, by name, each with the values
  it takes (a list) or null for any; a plausible server's when absent. A deploy step setting
  anything else fails naming it. ``fake_raid``: false -> the machine has no RAID controller.
- ``fake_fail_rescue``: true -> a rescue fails as a BMC refusing the rescue image would
  (nothing is left inserted; the machine still boots its disk).

The simulated disks remember which instance last wrote them (``disk_written_by``): a
tear-down leaves that, as a real one leaves the disks; a clean erases it.

A power change is accepted at once and becomes observable after the latency, as on real
hardware; a deploy blocks for its latency.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mogan.core import states
from mogan.core.errors import CleaningFailed, DriverError, NodeUnreachable, UnsupportedAction
from mogan.core.lifecycle import BiosBaseline
from mogan.core.simulation import HardwareStore, SimulatedMachine
from mogan.core.states import PowerTarget
from mogan.drivers import base, configdrive

if TYPE_CHECKING:
    from mogan.drivers.registry import DriverEnvironment


#: A plausible server's BIOS: setting -> the values it takes (None: any).
DEFAULT_BIOS_REGISTRY: dict[str, list[Any] | None] = {
    "LogicalProc": ["Enabled", "Disabled"],
    "ProcTurboMode": ["Enabled", "Disabled"],
    "SriovGlobalEnable": ["Enabled", "Disabled"],
    "BootMode": ["Uefi", "Bios"],
    "NumaNodesPerSocket": [1, 2, 4],
    "SysProfile": None,
}


def _flag(info: Any, key: str) -> bool:
    value = info.get(key, False)
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class _FakeInterfaces(base.PowerInterface, base.DeployInterface):
    def __init__(
        self,
        store: HardwareStore,
        deploy_latency: float,
        power_latency: float,
        clock: Callable[[], dt.datetime],
        sleep: Callable[[float], None],
    ) -> None:
        self._store = store
        self._deploy_latency = deploy_latency
        self._power_latency = power_latency
        self._clock = clock
        self._sleep = sleep
        # One machine can only do one thing at a time, as a real BMC serializes requests.
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def _lock(self, node: base.NodeRef) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(node.uuid, threading.Lock())

    def _reach(self, node: base.NodeRef) -> None:
        if _flag(node.driver_info, "fake_unreachable"):
            raise NodeUnreachable(
                f"BMC of node {node.name} did not answer: connection timed out", node=node.uuid
            )

    def _latency(self, node: base.NodeRef, key: str, default: float) -> float:
        try:
            return float(node.driver_info.get(key, default))
        except (TypeError, ValueError):
            return default

    def _settle(self, machine: SimulatedMachine) -> SimulatedMachine:
        """Apply a pending power change whose time has come."""
        if (
            machine.pending_power_state
            and machine.power_change_at is not None
            and self._clock() >= machine.power_change_at
        ):
            machine.power_state = machine.pending_power_state
            machine.pending_power_state = None
            machine.power_change_at = None
        return machine

    # -- power -------------------------------------------------------------------------------

    def get_power_state(self, node: base.NodeRef) -> str | None:
        self._reach(node)
        machine = self._store.load(node.uuid)
        if machine.pending_power_state is None:
            return machine.power_state
        with self._lock(node):
            machine = self._store.load(node.uuid)
            if machine.pending_power_state is not None:
                settled = self._settle(machine)
                if settled.pending_power_state is None:
                    self._store.save(node.uuid, settled)  # the machine has arrived
            return machine.power_state

    def set_power_state(self, node: base.NodeRef, action: str) -> None:
        self._reach(node)
        if _flag(node.driver_info, "fake_fail_power"):
            raise DriverError(
                f"BMC of node {node.name} refused power action {action!r}: "
                "Base.1.0.GeneralError (injected fault)",
                node=node.uuid,
            )
        if action not in set(PowerTarget):
            raise UnsupportedAction(f"power action {action!r} is not supported", node=node.uuid)
        latency = self._latency(node, "fake_power_latency", self._power_latency)
        with self._lock(node):
            machine = self._settle(self._store.load(node.uuid))
            target = PowerTarget(action).observed
            if action in (PowerTarget.REBOOT, PowerTarget.SOFT_REBOOT):
                # The machine drops power now and is back on after the latency.
                machine.power_state = states.POWER_OFF if latency > 0 else states.POWER_ON
            if latency > 0:
                machine.pending_power_state = target
                machine.power_change_at = self._clock() + dt.timedelta(seconds=latency)
            else:
                machine.power_state = target
                machine.pending_power_state = None
                machine.power_change_at = None
            self._store.save(node.uuid, machine)

    # -- deploy ------------------------------------------------------------------------------

    def deploy(self, node: base.NodeRef, request: base.DeployRequest) -> base.DeployResult:
        self._reach(node)
        latency = self._latency(node, "fake_deploy_latency", self._deploy_latency)
        machine = self._settle(self._store.load(node.uuid)) if latency > 0 else None
        # The request's record is the last thing written before the wait, so whoever sees it
        # knows the machine is busy deploying (the lease tests cut the database then).
        self._store.record_call(node.uuid, "deploy", request.instance_uuid)
        if (
            machine is not None
            and machine.deployed_instance == request.instance_uuid
            and machine.power_state == states.POWER_ON
        ):
            # A repeated step after a takeover: the image is there, no second wait.
            return base.DeployResult(config_drive=True, power_state=states.POWER_ON)
        if _flag(node.driver_info, "fake_fail_deploy"):
            raise DriverError(
                f"Deploy of image {request.image_url} to node {node.name} "
                "failed: virtual media insertion refused by the BMC "
                "(injected fault)",
                node=node.uuid,
            )
        bios, raid, applied = self._apply_steps(node, request.deploy_steps)
        self._sleep(latency)
        with self._lock(node):
            # A deploy leaves nothing of the machine's former state (so, without a latency to
            # spare a repeated step, there is no need to read it first).
            deployed = SimulatedMachine(
                power_state=states.POWER_ON,
                deployed_instance=request.instance_uuid,
                deployed_image_url=request.image_url,
                boot_device="disk",
                config_drive={
                    name: base64.b64encode(content).decode()
                    for name, content in configdrive.documents(request).items()
                },
                disk_written_by=request.instance_uuid,
                bios_settings=bios,
                raid_config=raid,
            )
            self._store.save(node.uuid, deployed)
        configuration = (
            {"bios_settings": bios or {}, "raid_config": raid or {}, "applied_steps": applied}
            if applied
            else None
        )
        return base.DeployResult(
            config_drive=True, power_state=states.POWER_ON, configuration=configuration
        )

    def _apply_steps(
        self, node: base.NodeRef, steps: tuple[Any, ...]
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, list[str]]:
        """The BIOS and RAID the deploy steps leave (from what the machine holds now), and
        the steps applied; ``DriverError`` naming the step and setting it cannot do."""
        machine = self._store.load(node.uuid)
        bios = dict(machine.bios_settings or {})
        raid = machine.raid_config
        applied = []
        registry = node.driver_info.get("fake_bios_registry") or DEFAULT_BIOS_REGISTRY
        for step in steps:
            name = f"{step['interface']}.{step['step']}"
            what = f"deploy step {name} on node {node.name}"
            if name == "bios.apply_configuration":
                for setting in step["args"]["settings"]:
                    if setting["name"] not in registry:
                        raise DriverError(
                            f"{what}: the BIOS has no setting {setting['name']!r}", node=node.uuid
                        )
                    allowed = registry[setting["name"]]
                    if allowed is not None and setting["value"] not in allowed:
                        raise DriverError(
                            f"{what}: BIOS setting {setting['name']!r} takes "
                            f"{', '.join(map(str, allowed))}, not {setting['value']!r}",
                            node=node.uuid,
                        )
                    bios[setting["name"]] = setting["value"]
            elif name == "bios.factory_reset":
                bios = {}
            elif not _flag({"raid": node.driver_info.get("fake_raid", True)}, "raid"):
                raise DriverError(f"{what}: the machine has no RAID controller", node=node.uuid)
            elif name == "raid.apply_configuration":
                raid = dict(step["args"]["raid_config"])
            else:  # raid.delete_configuration
                raid = {}
            applied.append(name)
        return bios or None, raid, applied

    def undeploy(self, node: base.NodeRef) -> None:
        self._reach(node)
        self._store.record_call(node.uuid, "undeploy", node.instance_uuid)
        with self._lock(node):
            machine = self._store.load(node.uuid)
            machine.deployed_instance = None
            machine.deployed_image_url = None
            machine.config_drive = None
            machine.power_state = states.POWER_OFF
            machine.pending_power_state = None
            machine.power_change_at = None
            machine.boot_device = "disk"
            machine.rescue_image_url = None
            machine.rescue_password_sha256 = None
            self._store.save(node.uuid, machine)


class _FakeLifecycle(base.InspectInterface, base.CleanInterface):
    """Inspection and cleaning of simulated machines."""

    def __init__(
        self,
        machines: _FakeInterfaces,
        inspect_latency: float,
        clean_latency: float,
        sleep: Callable[[float], None],
    ) -> None:
        self._machines = machines
        self._inspect_latency = inspect_latency
        self._clean_latency = clean_latency
        self._sleep = sleep
        #: What a clean leaves in the BIOS (``[cleaning] bios_baseline``; None: untouched).
        self.bios_baseline: BiosBaseline | None = None

    def inspect(self, node: base.NodeRef) -> base.HardwareInventory:
        self._machines._reach(node)
        self._machines._store.record_call(node.uuid, "inspect")
        self._sleep(self._machines._latency(node, "fake_inspect_latency", self._inspect_latency))
        if _flag(node.driver_info, "fake_fail_inspect"):
            raise DriverError(
                f"Inspection of node {node.name} failed: the BMC answered "
                "Base.1.0.InternalError reading /redfish/v1/Systems/1/Processors "
                "(injected fault)",
                node=node.uuid,
            )
        given = node.driver_info.get("fake_inventory")
        report = dict(given) if isinstance(given, dict) else default_inventory(node)
        try:
            return base.HardwareInventory(
                cpus=_int_or_none(report.get("cpus")),
                cpu_arch=report.get("cpu_arch"),
                cpu_model=report.get("cpu_model"),
                memory_mb=_int_or_none(report.get("memory_mb")),
                disks=tuple(
                    base.Disk(
                        name=str(disk["name"]),
                        size_gb=int(disk["size_gb"]),
                        type=disk.get("type"),
                        serial=disk.get("serial"),
                    )
                    for disk in report.get("disks", ())
                ),
                nics=tuple(
                    base.NetworkInterface(
                        str(nic["mac_address"]).lower(), _int_or_none(nic.get("speed_mbps"))
                    )
                    for nic in report.get("nics", ())
                ),
                raw=report,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DriverError(
                f"Inspection of node {node.name} failed: driver_info fake_inventory is not "
                f"an inventory ({exc!r})",
                node=node.uuid,
            ) from None

    def clean(
        self, node: base.NodeRef, mode: base.CleaningMode, progress: base.CleanProgress
    ) -> None:
        self._machines._reach(node)
        self._machines._store.record_call(node.uuid, "clean")
        self._sleep(self._machines._latency(node, "fake_clean_latency", self._clean_latency))
        if _flag(node.driver_info, "fake_fail_clean"):
            raise CleaningFailed(
                f"the BMC of node {node.name} refused to delete volume "
                "/redfish/v1/Systems/1/Storage/1/Volumes/1: Base.1.0.GeneralError "
                "(injected fault)",
                node=node.uuid,
            )
        baseline = self.bios_baseline
        with self._machines._lock(node):
            machine = self._machines._store.load(node.uuid)
            erased = machine.disk_written_by
            machine.disk_written_by = None
            machine.cleanings += 1
            machine.last_clean_mode = mode.value
            machine.power_state = states.POWER_OFF
            if baseline is not None:
                bios = {} if baseline.factory_reset else dict(machine.bios_settings or {})
                machine.bios_settings = {**bios, **baseline.settings} or None
            self._machines._store.save(node.uuid, machine)
        wiped = f"data of instance {erased}" if erased else "no tenant data"
        progress("erase_volumes", f"volumes deleted and recreated ({wiped})")
        if baseline is not None:
            progress("bios_baseline", f"BIOS back to {baseline.describe()}")
        if mode is base.CleaningMode.FULL:
            progress("erase_disks", "every disk overwritten by the simulated cleaning image")


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def default_inventory(node: base.NodeRef) -> dict[str, Any]:
    """A plausible two-socket server, with the node's enrolled NICs (or two made up from its
    uuid) at 25 Gbit/s."""
    digits = node.uuid.replace("-", "")
    macs = node.macs or tuple(
        f"52:54:{digits[0:2]}:{digits[2:4]}:{digits[4:6]}:{index:02x}" for index in (1, 2)
    )
    return {
        "cpus": 64,
        "cpu_arch": "x86_64",
        "cpu_model": "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
        "memory_mb": 262144,
        "disks": [
            {"name": "sda", "size_gb": 447, "type": "ssd", "serial": f"S4{digits[:10].upper()}"},
            {"name": "nvme0n1", "size_gb": 1788, "type": "nvme", "serial": f"N1{digits[-10:]}"},
        ],
        "nics": [{"mac_address": mac, "speed_mbps": 25000} for mac in macs],
    }


class _FakeRescue(base.RescueInterface):
    """A rescue as virtual media does it: the rescue image booted once from the CD, the
    disk untouched; and back. Takes the deploy latency."""

    def __init__(self, machines: _FakeInterfaces) -> None:
        self._machines = machines

    def rescue(self, node: base.NodeRef, request: base.RescueRequest) -> None:
        machines = self._machines
        machines._reach(node)
        machines._store.record_call(node.uuid, "rescue", request.instance_uuid)
        if _flag(node.driver_info, "fake_fail_rescue"):
            raise DriverError(
                f"Rescue of node {node.name} failed: the BMC refused the rescue image "
                f"{request.image_url or '(the default)'} as virtual media (injected fault); "
                "nothing was inserted and the node still boots its disk",
                node=node.uuid,
            )
        machines._sleep(machines._latency(node, "fake_deploy_latency", machines._deploy_latency))
        with machines._lock(node):
            machine = machines._settle(machines._store.load(node.uuid))
            machine.rescue_image_url = request.image_url or "fake://rescue"
            machine.rescue_password_sha256 = hashlib.sha256(
                request.rescue_password.encode()
            ).hexdigest()
            machine.boot_device = "cd"
            machine.power_state = states.POWER_ON
            machine.pending_power_state = None
            machine.power_change_at = None
            machines._store.save(node.uuid, machine)

    def unrescue(
        self, node: base.NodeRef, instance_uuid: str, boot: base.DeployRequest | None = None
    ) -> None:
        machines = self._machines
        machines._reach(node)
        machines._store.record_call(node.uuid, "unrescue", instance_uuid)
        with machines._lock(node):
            machine = machines._settle(machines._store.load(node.uuid))
            machine.rescue_image_url = None
            machine.rescue_password_sha256 = None
            machine.boot_device = "disk"
            machine.power_state = states.POWER_ON
            machine.pending_power_state = None
            machine.power_change_at = None
            machines._store.save(node.uuid, machine)


class _FakeConsole(base.ConsoleInterface):
    """The simulated machine's serial line (``mogan.drivers.fake_console``)."""

    def start(self, node: base.NodeRef) -> base.ConsoleEndpoint:
        return base.ConsoleEndpoint(f"fake://{node.uuid}")


class FakeDriver(base.Driver):
    name = "fake"
    #: Its simulated deployer "reads" a Glance image by its id, as Ironic's does.
    reads_glance = True

    def __init__(
        self,
        store: HardwareStore,
        *,
        deploy_latency: float = 0.0,
        power_latency: float = 0.0,
        clock: Callable[[], dt.datetime] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        inspect_latency: float = 0.0,
        clean_latency: float = 0.0,
        bios_baseline: BiosBaseline | None = None,
    ) -> None:
        def utcnow() -> dt.datetime:
            return dt.datetime.now(dt.UTC).replace(tzinfo=None)

        interfaces = _FakeInterfaces(store, deploy_latency, power_latency, clock or utcnow, sleep)
        self.power = interfaces
        self.deploy = interfaces
        lifecycle = _FakeLifecycle(interfaces, inspect_latency, clean_latency, sleep)
        lifecycle.bios_baseline = bios_baseline
        self.inspect = lifecycle
        self.clean = lifecycle
        self.rescue = _FakeRescue(interfaces)
        self.console = _FakeConsole()

    def validate(self, node: base.NodeRef) -> None:
        if _flag(node.driver_info, "fake_unreachable"):
            raise NodeUnreachable(
                f"BMC of node {node.name} did not answer: connection timed out", node=node.uuid
            )


def create(environment: DriverEnvironment) -> FakeDriver:
    """The ``mogan.drivers`` entry point: machines kept in the database, ``[fake]`` latencies."""
    return FakeDriver(
        environment.fake_hardware(),
        deploy_latency=environment.conf.fake.deploy_latency,
        power_latency=environment.conf.fake.power_latency,
        inspect_latency=environment.conf.fake.inspect_latency,
        clean_latency=environment.conf.fake.clean_latency,
        bios_baseline=BiosBaseline.parse(environment.conf.cleaning.bios_baseline),
    )
