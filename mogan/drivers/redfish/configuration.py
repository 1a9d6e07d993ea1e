"""Deploy steps over Redfish: BIOS settings and RAID volumes, as Ironic's ``redfish`` BIOS and
RAID interfaces make them.

``bios`` ``apply_configuration`` checks every setting against the BMC's attribute registry
(when it publishes one), writes those that differ as the BIOS's *pending* settings
(``PATCH …/Bios/Settings``) and, after the boot that follows, checks that the firmware took
them. ``bios`` ``factory_reset`` is the ``Bios.ResetBios`` action, taken at the same boot.
``raid`` ``apply_configuration`` deletes the volumes of the system's first storage controller
(unless ``delete_existing`` is false) and creates one volume per logical disk (``RAIDType``,
``CapacityBytes``); ``raid`` ``delete_configuration`` deletes them. A step the BMC cannot do
fails with a ``DriverError`` naming the step and, for BIOS, the setting.

Repeating the steps (an engine's takeover) changes nothing that is already as asked.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sushy
from sushy.taskmonitor import TaskMonitor

from mogan.core.errors import DriverError
from mogan.core.lifecycle import BiosBaseline
from mogan.drivers import base
from mogan.drivers.redfish.client import BMCAddress, SushyPool, translated

GIB = 1024**3

#: Ironic's ``raid_level`` words and the Redfish ``RAIDType`` each is.
RAID_TYPES = {
    "0": "RAID0",
    "1": "RAID1",
    "5": "RAID5",
    "6": "RAID6",
    "1+0": "RAID10",
    "5+0": "RAID50",
    "6+0": "RAID60",
}
_RAID_LEVELS = {kind: level for level, kind in RAID_TYPES.items()}


@dataclass
class ConfigurationPlan:
    """What a deploy's steps ask of the hardware, steps merged in the order they run."""

    factory_reset: bool = False
    #: BIOS settings wanted after the boot (a later step's value wins).
    bios: dict[str, Any] = field(default_factory=dict)
    #: Logical disks to make (None: RAID untouched), and whether the old volumes go first.
    logical_disks: list[Mapping[str, Any]] | None = None
    delete_volumes: bool = False
    applied_steps: list[str] = field(default_factory=list)
    #: The step that wants each BIOS setting, to name it in a fault.
    step_of: dict[str, str] = field(default_factory=dict)
    #: What the steps are, in a fault: a deploy's, or a clean's baseline.
    purpose: str = "deploy step"

    @classmethod
    def baseline(cls, baseline: BiosBaseline) -> ConfigurationPlan:
        """A clean's return to ``[cleaning] bios_baseline``."""
        return cls(
            factory_reset=baseline.factory_reset,
            bios=dict(baseline.settings),
            step_of=dict.fromkeys(baseline.settings, "bios.apply_configuration"),
            purpose="[cleaning] bios_baseline",
        )

    @classmethod
    def of(cls, steps: Sequence[Mapping[str, Any]]) -> ConfigurationPlan:
        plan = cls()
        for step in steps:
            name = f"{step['interface']}.{step['step']}"
            args = step.get("args") or {}
            if name == "bios.apply_configuration":
                for setting in args["settings"]:
                    plan.bios[setting["name"]] = setting["value"]
                    plan.step_of[setting["name"]] = name
            elif name == "bios.factory_reset":
                plan.factory_reset, plan.bios = True, {}
            elif name == "raid.apply_configuration":
                plan.logical_disks = list(args["raid_config"]["logical_disks"])
                plan.delete_volumes = plan.delete_volumes or args.get("delete_existing", True)
            elif name == "raid.delete_configuration":
                plan.logical_disks, plan.delete_volumes = [], True
            else:
                raise DriverError(f"deploy step {name} is not one the redfish driver knows")
            plan.applied_steps.append(name)
        return plan

    @property
    def touches_bios(self) -> bool:
        return self.factory_reset or bool(self.bios)


class RedfishConfiguration:
    """Applies a ``ConfigurationPlan`` to one node: ``write`` while it is powered off,
    ``confirm`` once it has booted."""

    def __init__(
        self,
        pool: SushyPool,
        *,
        timeout: float,
        poll_interval: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._pool = pool
        self._timeout = timeout
        self._poll_interval = poll_interval
        self._sleep = sleep

    # -- before the boot ---------------------------------------------------------------------

    def needs_boot(
        self, node: base.NodeRef, bmc: BMCAddress, system: Any, plan: ConfigurationPlan
    ) -> bool:
        """Whether the plan still asks for something the hardware does not hold."""
        if plan.factory_reset:
            return True
        if plan.bios:
            current = self._bios(node, bmc, system, "bios.apply_configuration").attributes
            if any(current.get(name) != value for name, value in plan.bios.items()):
                return True
        if plan.logical_disks is not None:
            storage = self._storage(node, bmc, system, plan.applied_steps[-1])
            return not self._volumes_match(node, bmc, storage, plan)
        return False

    def write(
        self, node: base.NodeRef, bmc: BMCAddress, system: Any, plan: ConfigurationPlan
    ) -> None:
        """Check the plan against what the BMC offers, then make the RAID volumes and leave
        the BIOS settings pending for the next boot."""
        if plan.touches_bios:
            self._write_bios(node, bmc, system, plan)
        if plan.logical_disks is not None:
            self._write_raid(node, bmc, system, plan)

    def _write_bios(
        self, node: base.NodeRef, bmc: BMCAddress, system: Any, plan: ConfigurationPlan
    ) -> None:
        first = "bios.factory_reset" if plan.factory_reset else "bios.apply_configuration"
        bios = self._bios(node, bmc, system, first)
        self._check_registry(node, bmc, bios, plan)
        with self._step(node, bmc, plan, first):
            if plan.factory_reset:
                bios.reset_bios()
            current = bios.attributes
            changes = {
                name: value
                for name, value in plan.bios.items()
                if plan.factory_reset or current.get(name) != value
            }
        if changes:
            with self._step(node, bmc, plan, "bios.apply_configuration"):
                bios.set_attributes(changes)

    def _check_registry(
        self, node: base.NodeRef, bmc: BMCAddress, bios: Any, plan: ConfigurationPlan
    ) -> None:
        with translated(node, bmc, pool=self._pool):
            registry = bios.get_attribute_registry()
        if registry is None:
            return  # the BMC checks the names itself when they are written
        entries = {entry.name: entry for entry in registry.registry_entries.attributes}
        for name, value in plan.bios.items():
            what = f"{plan.purpose} {plan.step_of[name]} on node {node.name}"
            entry = entries.get(name)
            if entry is None:
                raise DriverError(f"{what}: the BIOS has no setting {name!r}", node=node.uuid)
            if entry.read_only or entry.immutable:
                raise DriverError(
                    f"{what}: BIOS setting {name!r} is read-only on this BMC", node=node.uuid
                )
            allowed = [v.get("ValueName") for v in entry.allowable_values or []]
            if allowed and value not in allowed:
                raise DriverError(
                    f"{what}: BIOS setting {name!r} takes {', '.join(map(str, allowed))}, "
                    f"not {value!r}",
                    node=node.uuid,
                )

    def _write_raid(
        self, node: base.NodeRef, bmc: BMCAddress, system: Any, plan: ConfigurationPlan
    ) -> None:
        step = "raid.apply_configuration" if plan.logical_disks else "raid.delete_configuration"
        storage = self._storage(node, bmc, system, step)
        if self._volumes_match(node, bmc, storage, plan):
            return
        with self._step(node, bmc, plan, step):
            volumes = storage.volumes
            if plan.delete_volumes:
                for path in list(volumes.members_identities):
                    _wait_for(volumes.get_member(path).delete(), self._timeout)
            for index, disk in enumerate(plan.logical_disks or []):
                payload: dict[str, Any] = {
                    "Name": disk.get("volume_name") or f"mogan-{index}",
                    "RAIDType": RAID_TYPES[disk["raid_level"]],
                }
                if disk["size_gb"] != "MAX":
                    payload["CapacityBytes"] = int(disk["size_gb"]) * GIB
                _wait_for(volumes.create(payload), self._timeout)

    def _volumes_match(
        self, node: base.NodeRef, bmc: BMCAddress, storage: Any, plan: ConfigurationPlan
    ) -> bool:
        """Whether the controller already holds the plan's volumes (and only them, when the
        old ones were to go)."""
        found = {v["name"]: v for v in self._read_volumes(node, bmc, storage)}
        for index, disk in enumerate(plan.logical_disks or []):
            volume = found.get(disk.get("volume_name") or f"mogan-{index}")
            if volume is None or volume["raid_type"] != RAID_TYPES[disk["raid_level"]]:
                return False
            if disk["size_gb"] != "MAX" and volume["capacity_bytes"] != disk["size_gb"] * GIB:
                return False
        return not plan.delete_volumes or len(found) == len(plan.logical_disks or [])

    # -- after the boot ----------------------------------------------------------------------

    def confirm(
        self, node: base.NodeRef, bmc: BMCAddress, system: Any, plan: ConfigurationPlan
    ) -> dict[str, Any]:
        """Wait until the firmware shows every wanted BIOS setting (it takes them while the
        machine boots); the node's configuration as the BMC reports it."""
        bios_settings: dict[str, Any] | None = None
        if plan.touches_bios:
            bios = self._bios(node, bmc, system, "bios.apply_configuration")
            deadline = time.monotonic() + self._timeout
            while True:
                with translated(node, bmc, pool=self._pool):
                    bios.refresh(force=True)
                    current = dict(bios.attributes)
                wrong = {n: v for n, v in plan.bios.items() if current.get(n) != v}
                if not wrong:
                    break
                if time.monotonic() > deadline:
                    name, value = next(iter(wrong.items()))
                    raise DriverError(
                        f"deploy step {plan.step_of[name]} on node {node.name}: the BIOS "
                        f"still has {name}={current.get(name)!r}, not {value!r}, "
                        f"{self._timeout:.0f} s after the boot that should have applied it",
                        node=node.uuid,
                    )
                self._sleep(self._poll_interval)
            bios_settings = current
        configuration: dict[str, Any] = {
            "bios_settings": bios_settings or {},
            "applied_steps": list(plan.applied_steps),
            "raid_config": {},
        }
        if plan.logical_disks is not None:
            storage = self._storage(node, bmc, system, plan.applied_steps[-1])
            configuration["raid_config"] = {
                "logical_disks": [
                    {
                        "volume_name": volume["name"],
                        "raid_level": _RAID_LEVELS.get(volume["raid_type"]),
                        "size_gb": (volume["capacity_bytes"] or 0) // GIB or "MAX",
                    }
                    for volume in self._read_volumes(node, bmc, storage)
                ]
            }
        return configuration

    # -- reading the hardware ----------------------------------------------------------------

    @contextmanager
    def _step(
        self, node: base.NodeRef, bmc: BMCAddress, plan: ConfigurationPlan, step: str
    ) -> Iterator[None]:
        """The BMC's refusal, named after the step it refused."""
        try:
            with translated(node, bmc, pool=self._pool):
                yield
        except DriverError as exc:
            raise type(exc)(
                f"{plan.purpose} {step} on node {node.name}: {exc.message}", node=node.uuid
            ) from None

    def _bios(self, node: base.NodeRef, bmc: BMCAddress, system: Any, step: str) -> Any:
        with translated(node, bmc, pool=self._pool):
            try:
                return system.bios
            except sushy.exceptions.MissingAttributeError:
                pass
        raise DriverError(
            f"deploy step {step} on node {node.name}: the BMC offers no BIOS resource",
            node=node.uuid,
        )

    def _storage(self, node: base.NodeRef, bmc: BMCAddress, system: Any, step: str) -> Any:
        with translated(node, bmc, pool=self._pool):
            system.refresh(force=True)
            try:
                controllers = list(system.storage.get_members())
            except sushy.exceptions.MissingAttributeError:
                controllers = []
            for storage in controllers:
                try:
                    storage.volumes  # noqa: B018 - a storage service without volumes raises
                except sushy.exceptions.MissingAttributeError:
                    continue
                return storage
        raise DriverError(
            f"deploy step {step} on node {node.name}: the BMC has no storage controller "
            "with volumes (no RAID through Redfish)",
            node=node.uuid,
        )

    def _read_volumes(
        self, node: base.NodeRef, bmc: BMCAddress, storage: Any
    ) -> list[dict[str, Any]]:
        with translated(node, bmc, pool=self._pool):
            storage.refresh(force=True)
            volumes = storage.volumes
            found = []
            for path in volumes.members_identities:
                volume = volumes.get_member(path)
                found.append(
                    {
                        "name": volume.name,
                        "raid_type": volume.raid_type.value if volume.raid_type else None,
                        "capacity_bytes": volume.capacity_bytes,
                    }
                )
            return found


def _wait_for(outcome: Any, timeout: float) -> None:
    """A BMC may carry out a volume change as a task: wait for it to end."""
    if isinstance(outcome, TaskMonitor):
        outcome.wait(timeout)
