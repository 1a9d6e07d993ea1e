"""The ``fake`` driver: simulated machines whose state lives in the database.

Each node's simulated hardware is a ``HardwareStore`` record; latencies and faults are read
from the node's ``driver_info`` (falling back to the ``[fake]`` options) so tests and demos can
inject them through the API:

- ``fake_deploy_latency`` / ``fake_power_latency``: seconds a deploy / power change takes.
- ``fake_fail_deploy``: true -> every deploy fails as a BMC refusing virtual media would.
- ``fake_fail_power``: true -> every power change is refused.
- ``fake_unreachable``: true -> the BMC does not answer at all (retryable).

A power change is accepted at once and becomes observable after the latency, as on real
hardware; a deploy blocks for its latency.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from mogan.core import states
from mogan.core.errors import DriverError, NodeUnreachable, UnsupportedAction
from mogan.drivers import base, configdrive

if TYPE_CHECKING:
    from mogan.drivers.registry import DriverEnvironment


@dataclass
class SimulatedMachine:
    power_state: str
    pending_power_state: str | None = None
    power_change_at: dt.datetime | None = None
    deployed_instance: str | None = None
    deployed_image_url: str | None = None
    boot_device: str = "disk"
    #: The config drive the deploy gave the machine: its documents, by name, base64-encoded
    #: (``configdrive.layout`` and ``build_iso`` make the ISO around them, as the Redfish
    #: driver attaches it).
    config_drive: dict[str, str] | None = None


class HardwareStore(Protocol):
    """Durable storage for simulated machines (implemented over the database)."""

    def load(self, node_uuid: str) -> SimulatedMachine: ...

    def save(self, node_uuid: str, machine: SimulatedMachine) -> None: ...


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
        if action not in (
            base.POWER_ON,
            base.POWER_OFF,
            base.SOFT_OFF,
            base.REBOOT,
            base.SOFT_REBOOT,
        ):
            raise UnsupportedAction(f"power action {action!r} is not supported", node=node.uuid)
        latency = self._latency(node, "fake_power_latency", self._power_latency)
        with self._lock(node):
            machine = self._settle(self._store.load(node.uuid))
            target = states.POWER_TARGETS[action]
            if action in (base.REBOOT, base.SOFT_REBOOT):
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
        if latency > 0:
            machine = self._settle(self._store.load(node.uuid))
            if (
                machine.deployed_instance == request.instance_uuid
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
            )
            self._store.save(node.uuid, deployed)
        return base.DeployResult(config_drive=True, power_state=states.POWER_ON)

    def undeploy(self, node: base.NodeRef) -> None:
        self._reach(node)
        with self._lock(node):
            machine = self._store.load(node.uuid)
            machine.deployed_instance = None
            machine.deployed_image_url = None
            machine.config_drive = None
            machine.power_state = states.POWER_OFF
            machine.pending_power_state = None
            machine.power_change_at = None
            machine.boot_device = "disk"
            self._store.save(node.uuid, machine)


class FakeDriver(base.Driver):
    name = "fake"

    def __init__(
        self,
        store: HardwareStore,
        *,
        deploy_latency: float = 0.0,
        power_latency: float = 0.0,
        clock: Callable[[], dt.datetime] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        def utcnow() -> dt.datetime:
            return dt.datetime.now(dt.UTC).replace(tzinfo=None)

        interfaces = _FakeInterfaces(store, deploy_latency, power_latency, clock or utcnow, sleep)
        self.power = interfaces
        self.deploy = interfaces

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
    )
