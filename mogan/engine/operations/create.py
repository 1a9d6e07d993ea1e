"""Create: schedule (claim a node and wire its ports) → deploy → finish (observe power).

When the driver reports the power state a deploy left the machine in, the deploy step makes
the instance active itself and there is no finish step.

A failed deploy is undone (tear-down, ports freed, node released) and the instance is
rescheduled on another node, up to ``max_attempts`` nodes; then it goes to ``error`` with a
fault. If the instance starts being deleted meanwhile, the operation stops and leaves the
clean-up to the delete operation queued behind it.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mogan.core import states
from mogan.core.errors import DriverError
from mogan.core.placement import NetworkRequest, TypeRequirements
from mogan.db.models import Image, Instance, Node, Subnet
from mogan.drivers.base import DeployRequest
from mogan.engine import leases, ports, scheduler
from mogan.engine.inventory import CLEANUP_PENDING
from mogan.engine.operations.base import (
    Handler,
    OperationFailed,
    Work,
    activate,
    become_active,
    move_instance,
    note_node_error,
    record_fault,
)

LOG = logging.getLogger(__name__)

#: Concurrent schedulers may pick the same free address; the loser retries this many times.
_ALLOCATION_RETRIES = 5


class _NoLongerBuilding(Exception):
    pass


class CreateInstance(Handler):
    kind = "create"
    first_step = "schedule"

    def _building(self, work: Work) -> Instance | None:
        with work.db.read() as session:
            instance = session.get(Instance, work.instance_uuid)
        if instance is None or instance.status != states.BUILDING:
            return None
        return instance

    def _cancel(self, work: Work) -> None:
        with work.db.write() as session:
            work.finish(session, leases.CANCELLED)
        LOG.info("Create of instance %s stopped: it is no longer building", work.instance_uuid)

    # -- steps ---------------------------------------------------------------------------------

    def step_schedule(self, work: Work) -> str | None:
        # No "is it still building?" read first: the claim's compare-and-set on the instance
        # answers that in the same transaction (see ``_NoLongerBuilding``).
        networks = [NetworkRequest(n["net_id"], n.get("port_type")) for n in work.state["networks"]]
        request = scheduler.Request(
            requirements=TypeRequirements.from_extra_specs(work.state.get("extra_specs", {})),
            networks=networks,
            availability_zone=work.state.get("availability_zone"),
            exclude=work.state.get("tried_nodes", []),
            drivers=work.drivers.names,
        )
        for attempt in range(_ALLOCATION_RETRIES):
            try:
                return self._claim_and_wire(work, request, networks)
            except _NoLongerBuilding:
                self._cancel(work)
                return None
            except IntegrityError:
                LOG.info(
                    "Address allocation for %s collided (attempt %d); retrying",
                    work.instance_uuid,
                    attempt + 1,
                )
        raise OperationFailed(
            "Could not allocate network addresses: too many concurrent allocations collided."
        )

    def _claim_and_wire(
        self, work: Work, request: scheduler.Request, networks: list[NetworkRequest]
    ) -> str | None:
        with work.db.write() as session:
            candidate = scheduler.claim_best(session, request, work.instance_uuid)
            if candidate is not None:
                try:
                    network_info = ports.allocate(
                        session,
                        work.instance_uuid,
                        networks,
                        candidate.nic_uuids,
                        candidate.macs,
                    )
                except ports.AddressesExhausted as exc:
                    raise OperationFailed(exc.message) from None
                if not move_instance(
                    session,
                    work.instance_uuid,
                    states.BUILDING,
                    node_uuid=candidate.node.uuid,
                    network_info=network_info,
                    availability_zone=candidate.node.availability_zone,
                ):
                    raise _NoLongerBuilding  # rolls the claim back

                work.state["node_uuid"] = candidate.node.uuid
                LOG.info(
                    "Instance %s scheduled on node %s (%s)",
                    work.instance_uuid,
                    candidate.node.name,
                    candidate.node.uuid,
                )
                return work.advance(session, "deploy")
        if self._building(work) is None:
            raise _NoLongerBuilding
        raise OperationFailed(self._no_node_message(work))

    @staticmethod
    def _no_node_message(work: Work) -> str:
        tried = work.state.get("tried_nodes", [])
        zone = work.state.get("availability_zone")
        where = f" in availability zone {zone!r}" if zone else ""
        message = (
            f"No valid node was found{where}: no free node outside maintenance "
            "matches the instance type and the requested networks"
        )
        if tried:
            errors = work.state.get("errors", [])
            message += (
                f" ({len(tried)} node(s) already failed; last error: {errors[-1]})"
                if errors
                else f" ({len(tried)} node(s) already failed)"
            )
        return message + "."

    def step_deploy(self, work: Work) -> str | None:
        instance = self._building(work)
        if instance is None:
            self._cancel(work)
            return None
        node, driver, ref = work.node(work.state["node_uuid"])
        with work.db.read() as session:
            image = session.get(Image, instance.image_uuid)
            subnet_ids = {
                ip["subnet_id"]
                for port in (instance.network_info or {}).values()
                for ip in port.get("fixed_ips", [])
            }
            subnets = {
                s.uuid: {"cidr": s.cidr, "gateway_ip": s.gateway_ip}
                for s in session.scalars(select(Subnet).where(Subnet.uuid.in_(subnet_ids)))
            }
        if image is None:
            raise OperationFailed(f"Image {instance.image_uuid} was deleted before the deploy.")
        request = DeployRequest(
            instance_uuid=instance.uuid,
            instance_name=instance.name,
            image_url=image.url,
            image_checksum=image.checksum,
            image_disk_format=image.disk_format,
            network_info=instance.network_info,
            subnets=subnets,
            availability_zone=instance.availability_zone,
            extra=instance.extra or {},
            extra_specs=work.state.get("extra_specs", {}),
        )
        try:
            result = work.driver_call(
                lambda: driver.deploy.deploy(ref, request),
                f"deploy of instance {instance.uuid} on node {node.name}",
            )
        except DriverError as exc:
            return self._reschedule(work, node, exc.message)
        if not result.config_drive:
            LOG.warning("Instance %s has no config drive: %s", instance.uuid, result.note)
        with work.db.write() as session:
            if node.last_error is not None:
                note_node_error(session, node.uuid, None)
            if result.power_state is None:  # observe it in a step of its own
                move_instance(
                    session, work.instance_uuid, states.BUILDING, config_drive=result.config_drive
                )
                return work.advance(session, "finish")
            # The driver saw the machine come up: active now, in the deploy's own transaction.
            if activate(
                session, work, node.uuid, result.power_state, config_drive=result.config_drive
            ):
                LOG.info("Instance %s is active on node %s", work.instance_uuid, node.name)
            return None

    def _reschedule(self, work: Work, node: Node, error: str) -> str | None:
        """Undo a failed deploy on ``node``; go back to scheduling or give up."""
        LOG.warning(
            "Deploy of instance %s on node %s failed: %s", work.instance_uuid, node.name, error
        )
        _, driver, ref = work.node(node.uuid)
        dirty = None
        try:
            work.driver_call(lambda: driver.deploy.undeploy(ref), f"clean-up of node {node.name}")
        except DriverError as exc:
            dirty = exc.message
        work.state.setdefault("tried_nodes", []).append(node.uuid)
        work.state.setdefault("errors", []).append(f"node {node.name}: {error}")
        attempts = len(work.state["tried_nodes"])
        with work.db.write() as session:
            ports.release(session, work.instance_uuid)
            extra: dict[str, object] = {"last_error": error}
            if dirty is not None:
                # The node may still hold the failed deploy: keep it away from tenants.
                extra.update(
                    maintenance=True,
                    maintenance_reason=(f"{CLEANUP_PENDING} {work.instance_uuid} failed: {dirty}"),
                )
            scheduler.release(session, node.uuid, work.instance_uuid, **extra)
            if dirty is None:
                scheduler.mark_torn_down(session, node.uuid)
            move_instance(
                session, work.instance_uuid, states.BUILDING, node_uuid=None, network_info={}
            )
            if attempts < work.settings.max_attempts:
                return work.advance(session, "schedule")
            work.advance(session, "schedule")  # keep the record of what was tried
        raise OperationFailed(
            f"Deploy failed on {attempts} node(s); last error: node {node.name}: {error}"
        )

    def step_finish(self, work: Work) -> str | None:
        node, driver, ref = work.node(work.state["node_uuid"])
        if become_active(work, node, driver, ref):
            LOG.info("Instance %s is active on node %s", work.instance_uuid, node.name)
        return None

    def fail(self, work: Work, message: str) -> None:
        with work.db.write() as session:
            if move_instance(session, work.instance_uuid, states.BUILDING, status=states.ERROR):
                record_fault(session, work.instance_uuid, message)
            work.finish(session, leases.FAILED)
        LOG.error("Create of instance %s failed: %s", work.instance_uuid, message)
