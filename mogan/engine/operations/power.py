"""Power: ask the hardware (request) → wait until it is observed in the target (observe).

``target_power_state`` stays set until the hardware is *observed* in the target state; then
``power_state`` takes the observed value and the target is cleared in one compare-and-set.
A refusal or a timeout clears the target, keeps the instance active with the last observed
power state, and records a fault on the instance and ``last_error`` on the node.
"""

from __future__ import annotations

import logging
import time

from mogan.core import states
from mogan.core.errors import DriverError
from mogan.core.operations import OperationKind, OperationStatus, PowerState, Step
from mogan.core.states import PowerTarget
from mogan.db import instances
from mogan.db.records import InstanceRow
from mogan.engine.operations.base import (
    Handler,
    OperationFailed,
    StepFunction,
    Work,
    mention,
    note_node_error,
    update_node,
)
from mogan.engine.retry import Interrupted

LOG = logging.getLogger(__name__)


class SetPowerState(Handler[PowerState]):
    kind = OperationKind.POWER

    def steps(self) -> dict[Step, StepFunction[PowerState]]:
        return {Step.REQUEST: self.step_request, Step.OBSERVE: self.step_observe}

    def event(self, work: Work[PowerState]) -> str:
        return PowerTarget(work.state.fell_back_from or work.state.action).event

    def _current(self, work: Work[PowerState]) -> InstanceRow | None:
        instance = instances.get(work.db, work.instance_uuid)
        if (
            instance is None
            or instance.status != states.ACTIVE
            or instance.target_power_state != work.state.target
            or instance.node_uuid is None
        ):
            return None
        return instance

    def step_request(self, work: Work[PowerState]) -> Step | None:
        instance = self._current(work)
        if instance is None or instance.node_uuid is None:
            work.cancel("Stopped: the instance is no longer active, or its request changed.")
            return None
        node, driver, ref = work.node(instance.node_uuid)
        action = PowerTarget(work.state.action)
        work.state.node_uuid = node.uuid
        try:
            work.driver_call(
                lambda: driver.power.set_power_state(ref, action),
                f"power {action} of node {mention(node)}",
            )
        except DriverError as exc:
            raise OperationFailed(
                f"Power action '{action}' on node {mention(node)} failed: {exc.message}"
            ) from None
        work.note("power", f"'{action}' asked of node {mention(node)}")
        timeout = (
            work.settings.soft_power_timeout if action.soft else work.settings.power_state_timeout
        )
        work.state.timeout = timeout
        work.state.deadline = time.time() + timeout
        with work.db.transaction() as session:
            return work.advance(session, Step.OBSERVE)

    def step_observe(self, work: Work[PowerState]) -> Step | None:
        node, driver, ref = work.node(work.state.node_uuid)
        target = work.state.target
        deadline = work.state.deadline or 0.0
        observed: str | None = None
        while True:
            try:
                observed = driver.power.get_power_state(ref)
            except DriverError as exc:
                LOG.warning("Reading power state of node %s failed: %s", node.name, exc.message)
            if observed == target:
                break
            if time.time() >= deadline:
                work.state.deadline_passed = True
                work.state.observed = observed
                return self._timed_out(work, node.name, observed)
            if work.stopping.wait(work.settings.power_poll_interval):
                raise Interrupted("power observe")
        work.note("power_wait", f"node {mention(node)} seen in '{observed}'")
        with work.db.transaction() as tx:
            instances.end_power_request(tx, work.instance_uuid, target, power_state=observed)
            update_node(tx, node.uuid, power_state=observed, last_error=None)
            work.finish(tx)
        LOG.info("Instance %s observed %s", work.instance_uuid, observed)
        return None

    def _timed_out(
        self, work: Work[PowerState], node_name: str, observed: str | None
    ) -> Step | None:
        """A soft action that timed out becomes the hard one if the operator wants it so."""
        action = PowerTarget(work.state.action)
        timeout = work.state.timeout or work.settings.power_state_timeout
        message = (
            f"Node {node_name} did not reach '{work.state.target}' within "
            f"{timeout:.0f}s after power action '{action}' "
            f"(last observed: {observed or 'unknown'})."
        )
        if action.soft and work.settings.soft_power_fallback == "hard":
            LOG.warning("%s Falling back to '%s'.", message, action.hard)
            work.state.action = action.hard.value
            work.state.fell_back_from = action.value
            work.state.deadline_passed = False
            with work.db.transaction() as session:
                return work.advance(session, Step.REQUEST)
        raise OperationFailed(message)

    def fail(self, work: Work[PowerState], message: str) -> None:
        values: dict[str, object] = {}
        if work.state.deadline_passed:
            values["power_state"] = work.state.observed
        with work.db.transaction() as session:
            if instances.end_power_request(
                session, work.instance_uuid, work.state.target, **values
            ):
                instances.record_fault(session, work.instance_uuid, message)
            if work.state.node_uuid:
                note_node_error(session, work.state.node_uuid, message)
            work.finish(session, OperationStatus.FAILED)
        LOG.error("Power change of instance %s failed: %s", work.instance_uuid, message)
