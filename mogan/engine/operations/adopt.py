"""Adopt: make an already deployed node (Ironic ``active``, serving no instance) an instance,
without redeploying it — what Mogan called a manageable server.

claim (the node, by compare-and-set, only while it is active and free) → adopt (Ironic records
the instance, refusing if it serves another; the power state is read) → active. A failure puts
the instance in ``error`` with a fault and lets go of the node, which keeps its deployment.
"""

from __future__ import annotations

import logging

from mogan.core import states
from mogan.core.errors import DriverError
from mogan.core.operations import AdoptState, OperationKind, OperationStatus, Step
from mogan.db import instances, nodes, scheduler
from mogan.engine.operations.base import (
    Handler,
    OperationFailed,
    StepFunction,
    Work,
    become_active,
    mention,
)

LOG = logging.getLogger(__name__)


class AdoptInstance(Handler[AdoptState]):
    kind = OperationKind.ADOPT

    def steps(self) -> dict[Step, StepFunction[AdoptState]]:
        return {Step.CLAIM: self.step_claim, Step.ADOPT: self.step_adopt}

    def step_claim(self, work: Work[AdoptState]) -> Step | None:
        node_uuid = work.state.node_uuid
        with work.db.transaction() as session:
            node = scheduler.claim_deployed(session, node_uuid, work.instance_uuid)
            if node is None:  # claimed by this adoption's earlier run, or lost
                node = nodes.NODES.get_locked(session, node_uuid)
            if node is None or node.instance_uuid != work.instance_uuid:
                raise OperationFailed(
                    f"Node {node_uuid} can no longer be adopted: it is gone, serves another "
                    "instance or is no longer active."
                )
            if not instances.move(
                session,
                work.instance_uuid,
                states.BUILDING,
                node_uuid=node_uuid,
                availability_zone=node.availability_zone,
            ):
                work.cancel("Stopped: the instance was deleted before it was adopted.", session)
                scheduler.release(session, node_uuid, work.instance_uuid)
                return None
            return work.advance(session, Step.ADOPT)

    def step_adopt(self, work: Work[AdoptState]) -> Step | None:
        node, driver, ref = work.node(work.state.node_uuid)
        if driver.inventory is None:
            raise OperationFailed(f"Driver {node.driver!r} cannot adopt nodes.")
        inventory = driver.inventory
        try:
            work.driver_call(
                lambda: inventory.adopt(ref, work.instance_uuid),
                f"adoption of node {node.name}",
            )
        except DriverError as exc:
            raise OperationFailed(
                f"Adoption of node {mention(node)} failed: {exc.message}"
            ) from None
        if become_active(work, node, driver, ref):
            LOG.info("Node %s adopted as instance %s", node.name, work.instance_uuid)
        return None

    def fail(self, work: Work[AdoptState], message: str) -> None:
        with work.db.transaction() as session:
            if instances.move(
                session, work.instance_uuid, states.BUILDING, status=states.ERROR, node_uuid=None
            ):
                instances.record_fault(session, work.instance_uuid, message)
            scheduler.release(session, work.state.node_uuid, work.instance_uuid)
            work.finish(session, OperationStatus.FAILED)
        LOG.error("Adoption as instance %s failed: %s", work.instance_uuid, message)
