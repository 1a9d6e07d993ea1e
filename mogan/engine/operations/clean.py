"""Clean: wipe what the last tenant left on a node, then make it ``available``.

The node is ``cleaning`` from the moment its instance's tear-down freed it (or an operator
asked) until this operation ends, so it is never scheduled half-cleaned; an engine that dies
mid-clean loses its lease and another cleans again from the start. A clean that fails puts the
node in maintenance as ``clean failed`` with the hardware's reason: it is never handed out
until an operator acts (lifting the maintenance cleans it again).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from mogan.core import lifecycle
from mogan.core.errors import DriverError
from mogan.core.lifecycle import CleaningMode
from mogan.core.operations import CleanState, OperationKind, OperationStatus, Step
from mogan.core.states import MaintenanceKind
from mogan.db import nodes
from mogan.db.database import Executor
from mogan.engine.operations.base import Handler, OperationFailed, StepFunction, Work, mention
from mogan.operations.nodes import cleaning_mode, release_after_teardown

LOG = logging.getLogger(__name__)

#: Maintenance kinds a successful clean lifts: they were about the node's dirt.
_LIFTED_BY_CLEAN = (MaintenanceKind.CLEAN_FAILED.value, MaintenanceKind.FAILED_CLEANUP.value)


class CleanNode(Handler[CleanState]):
    kind = OperationKind.CLEAN

    def steps(self) -> dict[Step, StepFunction[CleanState]]:
        return {Step.CLEAN: self.step_clean}

    def step_clean(self, work: Work[CleanState]) -> Step | None:
        node_uuid = work.node_uuid
        node, driver, ref = work.node(node_uuid)
        if node.provision_state != lifecycle.CLEANING:
            work.cancel(f"the node is {node.provision_state!r}, no longer cleaning")
            return None
        if driver.clean is None:
            raise OperationFailed(f"Driver {node.driver!r} cannot clean node {mention(node)}.")
        cleaner = driver.clean
        mode = CleaningMode(work.state.mode)
        # The driver learns whose tear-down the clean follows (none: an operator's clean).
        ref = dataclasses.replace(ref, instance_uuid=work.state.after_instance)
        try:
            if work.state.after_failure and not cleaner.cleans_itself:
                work.driver_call(
                    lambda: driver.deploy.undeploy(ref), f"tear-down of node {mention(node)}"
                )
                work.note("teardown", f"node {mention(node)}: what a failed deploy left removed")
            if mode is not CleaningMode.NONE or cleaner.cleans_itself:
                work.driver_call(
                    lambda: cleaner.clean(ref, mode, work.note), f"cleaning of node {mention(node)}"
                )
        except DriverError as exc:
            raise OperationFailed(
                f"Cleaning of node {mention(node)} failed: {exc.message}"
            ) from None
        with work.db.transaction() as tx:
            # A failed deploy's error stays on the node for its operator; a failed clean's
            # is answered by this one.
            values: dict[str, object] = {}
            if node.maintenance_kind in _LIFTED_BY_CLEAN or work.state.after_failure:
                values.update(
                    last_error=None,
                    maintenance=False,
                    maintenance_kind=None,
                    maintenance_reason=None,
                    leftover_instance_uuid=None,
                )
            if nodes.move(tx, node_uuid, lifecycle.AVAILABLE, **values) is None:
                work.cancel("the node's state changed while it was cleaned", tx)
                return None
            work.summary = f"{mode.value} clean" if not cleaner.cleans_itself else None
            work.finish(tx)
        LOG.info("Node %s cleaned (%s); available", node.name, mode.value)
        return None

    def fail(self, work: Work[CleanState], message: str) -> None:
        fail_node(work, lifecycle.CLEAN_FAILED, MaintenanceKind.CLEAN_FAILED, message)


def fail_node(work: Work[Any], state: str, kind: MaintenanceKind, message: str) -> None:
    """End a node's operation as failed: the node moves to ``state`` (``clean failed``,
    ``inspect failed``), in maintenance for ``message``, until an operator acts."""
    with work.db.transaction() as tx:
        nodes.move(
            tx,
            work.node_uuid,
            state,
            maintenance=True,
            maintenance_kind=kind.value,
            maintenance_reason=message,
            last_error=message,
        )
        work.finish(tx, OperationStatus.FAILED)
    LOG.error("Node %s: %s; in maintenance until an operator acts", work.node_uuid, message)


def release_torn_down(executor: Executor, work: Work[Any], node_uuid: str, **values: Any) -> None:
    """Free the node whose deployment of this operation's instance was just torn down: into
    ``cleaning`` with its clean queued (or ``available`` when its mode is ``none``), in the
    caller's transaction."""
    node, driver, _ = work.node(node_uuid)
    release_after_teardown(
        executor,
        work.db,
        node,
        work.instance_uuid,
        mode=cleaning_mode(node.driver_info, work.settings.cleaning_mode),
        cleans_itself=driver.clean is not None and driver.clean.cleans_itself,
        request_id=work.state.request_id or f"req-{work.operation_id}",
        **values,
    )
