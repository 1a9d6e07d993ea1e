"""Verify: check that a node's BMC answers and accepts its credentials, and what each of its
interfaces (power, management, boot, deploy) can do — the hardware I/O of an enrolment and of
``POST /v1/nodes/{node}/verify``, kept out of the API's request threads.

What the check finds is kept on the node (``GET …/validate`` reads it). A node being enrolled
(``verifying``) becomes ``available`` — or is inspected first, when its enrolment asked — or
goes back to ``enroll`` with the reason in ``last_error`` until an operator fixes its
``driver_info`` and asks again.
"""

from __future__ import annotations

import logging
from typing import Any

from mogan.core import lifecycle
from mogan.core.errors import DriverError
from mogan.core.operations import OperationKind, OperationStatus, Step, VerifyState
from mogan.db import nodes
from mogan.db.database import Executor
from mogan.drivers.base import CAPABILITIES, Driver, InterfaceCheck, NodeRef
from mogan.engine.operations.base import Handler, StepFunction, Work, mention
from mogan.operations import Requester
from mogan.operations.nodes import request_inspection

LOG = logging.getLogger(__name__)


class VerifyNode(Handler[VerifyState]):
    kind = OperationKind.VERIFY

    def steps(self) -> dict[Step, StepFunction[VerifyState]]:
        return {Step.VERIFY: self.step_verify}

    def step_verify(self, work: Work[VerifyState]) -> Step | None:
        node, driver, ref = work.node(work.node_uuid)
        if work.state.enrolling and node.provision_state != lifecycle.VERIFYING:
            work.cancel(f"the node is {node.provision_state!r}, no longer verifying")
            return None
        failure = None
        try:
            work.driver_call(lambda: driver.validate(ref), f"verification of {node.name}")
        except DriverError as exc:
            failure = (
                f"Node {mention(node)} failed verification by driver {node.driver!r}: {exc.message}"
            )
        checks = _interface_checks(work, driver, ref)
        with work.db.transaction() as tx:
            nodes.record_checks(tx, node.uuid, checks, last_error=failure)
            work.note("verify", _summary(checks), failed=failure is not None)
            if failure is not None:
                self._failed(work, tx, failure)
                return None
            # Its action first: an inspection it starts shares its request id.
            work.finish(tx)
            if work.state.enrolling:
                self._enrolled(work, tx)
        LOG.info("Node %s verified", node.name)
        return None

    def _enrolled(self, work: Work[VerifyState], tx: Executor) -> None:
        """The node passed its enrolment's check: inspected when asked, else available."""
        if work.state.inspect:
            requester = Requester(work.state.request_id)
            request_inspection(tx, work.db, requester, work.node_uuid, overwrite=False)
        else:
            nodes.move(tx, work.node_uuid, lifecycle.AVAILABLE)

    @staticmethod
    def _failed(work: Work[VerifyState], tx: Executor, message: str) -> None:
        if work.state.enrolling:
            nodes.move(tx, work.node_uuid, lifecycle.ENROLL, last_error=message)
        work.failure = message
        work.finish(tx, OperationStatus.FAILED)
        LOG.error("%s", message)

    def fail(self, work: Work[VerifyState], message: str) -> None:
        with work.db.transaction() as tx:
            self._failed(work, tx, message)


def _interface_checks(work: Work[Any], driver: Driver, ref: NodeRef) -> dict[str, Any]:
    """Each interface's check as Ironic's validate reports it."""
    try:
        checks = work.driver_call(
            lambda: driver.validate_interfaces(ref), f"interface checks of {ref.name}"
        )
    except DriverError as exc:
        checks = dict.fromkeys(CAPABILITIES, InterfaceCheck(False, exc.message))
    return {
        name: {"result": check.result, "reason": check.reason} for name, check in checks.items()
    }


def _summary(checks: dict[str, Any]) -> str:
    return "; ".join(
        f"{name}: {'ok' if check['result'] else check['reason']}" for name, check in checks.items()
    )
