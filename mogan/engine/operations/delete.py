"""Delete: tear the node down through its driver → free ports, release the node into
``cleaning`` (its clean queued in the same transaction), forget the instance.

A tear-down that keeps failing puts the instance in ``error`` with a fault and leaves the node
serving it (so it is never handed to another tenant dirty); deleting again retries.
"""

from __future__ import annotations

import functools
import logging

from mogan.core import lifecycle, states
from mogan.core.errors import CleaningFailed, DriverError
from mogan.core.operations import DeleteState, OperationKind, OperationStatus, Step
from mogan.core.states import MaintenanceKind
from mogan.db import instances, ports, scheduler
from mogan.drivers.base import Driver
from mogan.engine.operations.base import (
    Handler,
    OperationFailed,
    StepFunction,
    Work,
    mention,
    note_node_error,
)
from mogan.engine.operations.clean import release_torn_down

LOG = logging.getLogger(__name__)


class DeleteInstance(Handler[DeleteState]):
    kind = OperationKind.DELETE

    def steps(self) -> dict[Step, StepFunction[DeleteState]]:
        return {Step.TEARDOWN: self.step_teardown, Step.RELEASE: self.step_release}

    def step_teardown(self, work: Work[DeleteState]) -> Step | None:
        instance = instances.get(work.db, work.instance_uuid)
        if instance is None:
            with work.db.transaction() as tx:
                work.finish(tx)
            return None
        if instance.node_uuid is not None:
            node, driver, ref = work.node(instance.node_uuid)
            try:
                work.driver_call(
                    lambda: driver.deploy.undeploy(ref), f"tear-down of node {mention(node)}"
                )
            except CleaningFailed as exc:
                # The instance's deployment is gone, so the tenant's delete goes on; the node
                # is kept from the next tenant until an operator has looked at it.
                LOG.error("Node %s needs an operator: %s", node.name, exc.message)
                work.state.cleaning_failed = exc.message
                work.note(
                    "teardown",
                    f"node {mention(node)}: {exc.message}; the node is kept from other tenants "
                    "until an operator has looked at it",
                    failed=True,
                )
            except DriverError as exc:
                raise OperationFailed(
                    f"Tear-down of node {mention(node)} failed: {exc.message}"
                ) from None
            else:
                work.note("teardown", f"node {mention(node)}")
            work.state.node_uuid = node.uuid
        self._unplug(work, driver if instance.node_uuid is not None else None)
        with work.db.transaction() as tx:
            return work.advance(tx, Step.RELEASE)

    @staticmethod
    def _unplug(work: Work[DeleteState], driver: Driver | None) -> None:
        """Neutron: detach the instance's ports from the node where it attached them as VIFs,
        delete those Mogan made and give back, unbound, those the tenant gave."""
        neutron = work.settings.neutron
        if neutron is None:
            return
        wired = ports.of_instance(work.db, work.instance_uuid)
        try:
            if driver is not None and driver.vifs is not None and work.state.node_uuid:
                node, _, ref = work.node(work.state.node_uuid)
                vifs = driver.vifs
                for port in wired:
                    work.driver_call(
                        functools.partial(vifs.detach, ref, port.uuid),
                        f"VIF detach of port {port.uuid} from node {mention(node)}",
                    )
            keep = [port.uuid for port in wired if port.preserve_on_delete]
            done = neutron.unplug(work.instance_uuid, keep, work.stopping)
        except DriverError as exc:
            raise OperationFailed(f"Removing the instance's ports failed: {exc.message}") from None
        if done:
            work.note("network", "; ".join(done))

    def step_release(self, work: Work[DeleteState]) -> Step | None:
        with work.db.transaction() as session:
            node_uuid = work.state.node_uuid
            cleaning_failed = work.state.cleaning_failed
            if node_uuid is not None and cleaning_failed:
                scheduler.release(
                    session,
                    node_uuid,
                    work.instance_uuid,
                    provision_state=lifecycle.CLEAN_FAILED,
                    maintenance=True,
                    maintenance_kind=MaintenanceKind.CLEAN_FAILED.value,
                    maintenance_reason=cleaning_failed,
                    last_error=cleaning_failed,
                )
            elif node_uuid is not None:
                release_torn_down(
                    session, work, node_uuid, power_state=states.POWER_OFF, last_error=None
                )
            ports.release(session, work.instance_uuid)
            instances.delete_row(session, work.instance_uuid)
            work.finish(session)
        LOG.info("Instance %s deleted", work.instance_uuid)
        return None

    def fail(self, work: Work[DeleteState], message: str) -> None:
        with work.db.transaction() as session:
            if instances.move(session, work.instance_uuid, states.DELETING, status=states.ERROR):
                instances.record_fault(session, work.instance_uuid, message)
            node_uuid = work.state.node_uuid
            if node_uuid is None:
                instance = instances.get(work.db, work.instance_uuid)
                node_uuid = instance.node_uuid if instance else None
            if node_uuid is not None:
                note_node_error(session, node_uuid, message)
            work.finish(session, OperationStatus.FAILED)
        LOG.error("Delete of instance %s failed: %s", work.instance_uuid, message)
