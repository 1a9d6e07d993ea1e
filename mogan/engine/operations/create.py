"""Create: schedule (claim a node and wire its ports) → deploy → finish (observe power).

When the driver reports the power state a deploy left the machine in, the deploy step makes
the instance active itself and there is no finish step.

A failed deploy is undone (tear-down, ports freed, node released) and the instance is
rescheduled on another node, up to ``max_attempts`` nodes; then it goes to ``error`` with a
fault. If the instance starts being deleted meanwhile, the operation stops and leaves the
clean-up to the delete operation queued behind it.
"""

from __future__ import annotations

import functools
import logging
import random
from typing import Any

from mogan.core import lifecycle, states
from mogan.core.errors import DriverError
from mogan.core.groups import Spread
from mogan.core.operations import CreateState, OperationKind, OperationStatus, Step
from mogan.core.placement import NetworkRequest
from mogan.core.states import MaintenanceKind
from mogan.db import instances, nodes, ports, scheduler
from mogan.db.database import Duplicate, Executor
from mogan.db.records import NodeRow
from mogan.engine.operations.base import (
    Handler,
    OperationFailed,
    StepFunction,
    Work,
    activate,
    become_active,
    deploy_request,
    image_to_deploy,
    mention,
    note_node_error,
    record_configuration,
    subnets_of,
    template_steps,
)
from mogan.engine.operations.clean import release_torn_down
from mogan.engine.retry import Interrupted

LOG = logging.getLogger(__name__)

#: Concurrent schedulers may pick the same free address; the loser retries this many times.
_ALLOCATION_RETRIES = 5


#: How many times a claim waits for other members of its group to be placed, the first wait
#: and the longest (seconds, each drawn at random around it so racers do not wake together).
_BUSY_RETRIES = 600
_BUSY_WAIT = 0.002
_BUSY_WAIT_MAX = 0.1

#: ``Work.memo`` key: the subnets of the addresses the schedule step just allocated.
_SUBNETS_MEMO = "subnets"


class _NoLongerBuilding(Exception):
    pass


class CreateInstance(Handler[CreateState]):
    kind = OperationKind.CREATE

    def steps(self) -> dict[Step, StepFunction[CreateState]]:
        return {
            Step.SCHEDULE: self.step_schedule,
            Step.PLUG: self.step_plug,
            Step.DEPLOY: self.step_deploy,
            Step.FINISH: self.step_finish,
        }

    def _building(self, work: Work[CreateState]) -> instances.ToDeploy | None:
        """The instance (and its image) if it is still building."""
        return instances.building_with_image(work.db, work.instance_uuid)

    def _cancel(self, work: Work[CreateState]) -> None:
        work.cancel("Stopped: the instance was deleted before it was built.")
        LOG.info("Create of instance %s stopped: it is no longer building", work.instance_uuid)

    # -- steps ---------------------------------------------------------------------------------

    def step_schedule(self, work: Work[CreateState]) -> Step | None:
        # No "is it still building?" read first: the claim's compare-and-set on the instance
        # answers that in the same transaction (see ``_NoLongerBuilding``).
        networks = work.state.networks
        request = scheduler.request_for(
            work.state, work.drivers.names, work.settings.failure_domain
        )
        for attempt in range(_ALLOCATION_RETRIES):
            try:
                addresses = (
                    ports.reserve(work.db, networks)
                    if work.settings.neutron is None
                    else [[] for _ in networks]  # Neutron's to give, once the ports are made
                )
            except ports.AddressesExhausted as exc:
                raise OperationFailed(exc.message) from None
            try:
                return self._claim_when_free(work, request, networks, addresses)
            except _NoLongerBuilding:
                self._cancel(work)
                return None
            except Duplicate:  # the pools came round to an address in use meanwhile
                LOG.info(
                    "Address allocation for %s collided (attempt %d); retrying",
                    work.instance_uuid,
                    attempt + 1,
                )
        raise OperationFailed(
            "Could not allocate network addresses: too many concurrent allocations collided."
        )

    def _claim_when_free(
        self,
        work: Work[CreateState],
        request: scheduler.Request,
        networks: list[NetworkRequest],
        addresses: list[list[ports.Address]],
    ) -> Step | None:
        """``_claim_and_wire``, again after a short random wait each time the only nodes that
        fitted were in failure domains where other members of the group were being placed
        (their transactions last milliseconds); the addresses reserved are kept meanwhile."""
        for attempt in range(_BUSY_RETRIES):
            try:
                return self._claim_and_wire(work, request, networks, addresses)
            except scheduler.DomainsBusy as busy:
                delay = random.uniform(0.5, 1.5) * min(_BUSY_WAIT * (attempt + 1), _BUSY_WAIT_MAX)
                LOG.debug("Instance %s waits %.3fs for domains %s", work.instance_uuid, delay, busy)
                if work.stopping.wait(delay):
                    raise Interrupted("scheduling") from None
        raise OperationFailed(
            "No node could be claimed: other members of the server group kept being placed in "
            "the failure domains that had room. Try again."
        )

    def _claim_and_wire(
        self,
        work: Work[CreateState],
        request: scheduler.Request,
        networks: list[NetworkRequest],
        addresses: list[list[ports.Address]],
    ) -> Step | None:
        with work.db.transaction() as connection:
            claimed = self._preclaimed(work, connection) or scheduler.claim_best(
                connection, request, work.instance_uuid
            )
            if claimed is not None:
                in_neutron = work.settings.neutron is not None
                network_info = (
                    {}
                    if in_neutron
                    else ports.allocate(
                        connection,
                        work.instance_uuid,
                        networks,
                        claimed.nic_uuids,
                        claimed.macs,
                        addresses,
                    )
                )
                if not instances.move(
                    connection,
                    work.instance_uuid,
                    states.BUILDING,
                    node_uuid=claimed.node.uuid,
                    network_info=network_info,
                    availability_zone=claimed.node.availability_zone,
                ):
                    raise _NoLongerBuilding  # rolls the claim back

                work.state.node_uuid = claimed.node.uuid
                work.note("schedule", f"node {mention(claimed.node)}")
                if in_neutron:  # the plug step makes the ports on the NICs claimed
                    work.state.claimed_nics = list(claimed.nic_uuids)
                    work.state.claimed_macs = dict(claimed.macs)
                    step = work.advance(connection, Step.PLUG)
                else:
                    work.note("network", _wiring(network_info))
                    step = work.advance(connection, Step.DEPLOY)
        if claimed is not None:  # committed: what the deploy step needs is known now
            work.know_node(claimed.node)
            work.memo[_SUBNETS_MEMO] = {
                address.subnet_uuid: {"cidr": address.cidr, "gateway_ip": address.gateway_ip}
                for reserved in addresses
                for address in reserved
            }
            LOG.info(
                "Instance %s scheduled on node %s (%s)",
                work.instance_uuid,
                claimed.node.name,
                claimed.node.uuid,
            )
            return step
        if self._building(work) is None:
            raise _NoLongerBuilding
        raise OperationFailed(self._no_node_message(work))

    @staticmethod
    def _preclaimed(work: Work[CreateState], connection: Executor) -> scheduler.Claimed | None:
        """The node its multi-create request claimed for the instance, not yet wired (and
        not yet given up after a failed deploy)."""
        state = work.state
        if not state.claimed_nics or state.node_uuid is None:
            return None
        node = nodes.NODES.get_locked(connection, state.node_uuid)
        if node is None or node.instance_uuid != work.instance_uuid:
            return None
        return scheduler.Claimed(node, list(state.claimed_nics), dict(state.claimed_macs))

    @staticmethod
    def _no_node_message(work: Work[CreateState]) -> str:
        tried = work.state.tried_nodes
        zone = work.state.availability_zone
        where = f" in availability zone {zone!r}" if zone else ""
        rules = ""
        if work.state.group or work.state.different_host or work.state.same_host:
            spread = spread_of(work.state)
            rules = f", the requested networks and {spread.explain()}"
        message = (
            f"No valid node was found{where}: no free node outside maintenance "
            f"matches the instance type{rules or ' and the requested networks'}"
        )
        if tried:
            errors = work.state.errors
            message += (
                f" ({len(tried)} node(s) already failed; last error: {errors[-1]})"
                if errors
                else f" ({len(tried)} node(s) already failed)"
            )
        return message + "."

    def step_plug(self, work: Work[CreateState]) -> Step | None:
        """Neutron: make (or take) a port per requested network on its NIC, bind it — or
        attach it to the node as a VIF where the node's deployer binds (Ironic) — and record
        Neutron's addresses as the instance's."""
        neutron = work.settings.neutron
        assert neutron is not None, "the plug step runs on Neutron only"
        if self._building(work) is None:
            self._cancel(work)
            return None
        node, driver, ref = work.node(work.state.node_uuid)
        nics = {nic.uuid: nic for nic in nodes.nics_of(work.db, [node.uuid]).get(node.uuid, [])}
        try:
            plugged = neutron.plug(
                instance_uuid=work.instance_uuid,
                project_id=work.state.project_id,
                requests=work.state.networks,
                nics=[nics[uuid] for uuid in work.state.claimed_nics],
                host_id=None if driver.vifs is not None else node.uuid,
                security_groups=work.state.security_groups,
                stopping=work.stopping,
            )
            if driver.vifs is not None:
                vifs = driver.vifs
                for wired in plugged:
                    work.driver_call(
                        functools.partial(vifs.attach, ref, wired.port.uuid, wired.nic_uuid),
                        f"VIF attach of port {wired.port.uuid} to node {mention(node)}",
                    )
        except DriverError as exc:
            work.note("network", exc.message, failed=True)
            raise OperationFailed(f"Wiring the instance's ports failed: {exc.message}") from None
        network_info = {p.port.uuid: p.port.network_info() for p in plugged}
        with work.db.transaction() as connection:
            ports.record(
                connection,
                work.instance_uuid,
                [
                    ports.Wired(
                        p.port.uuid,
                        p.port.network_uuid,
                        p.nic_uuid,
                        p.port.mac_address,
                        p.preserve_on_delete,
                    )
                    for p in plugged
                ],
            )
            if not instances.move(
                connection, work.instance_uuid, states.BUILDING, network_info=network_info
            ):
                raise _NoLongerBuilding
            work.note("network", _wiring(network_info))
            return work.advance(connection, Step.DEPLOY)

    def step_deploy(self, work: Work[CreateState]) -> Step | None:
        building = self._building(work)
        if building is None:
            self._cancel(work)
            return None
        instance = building.instance
        node, driver, ref = work.node(work.state.node_uuid)
        image, image_url = image_to_deploy(
            work, driver, instance, building.image, work.state.image, "deploy"
        )
        subnets = work.memo.get(_SUBNETS_MEMO)
        if subnets is None:  # a run that starts here: a takeover
            subnets = subnets_of(work, instance.network_info or {})
        request = deploy_request(
            instance,
            image,
            image_url,
            work.state.extra_specs,
            subnets,
            deploy_steps=template_steps(work, work.state.extra_specs),
        )
        try:
            result = work.driver_call(
                lambda: driver.deploy.deploy(ref, request),
                f"deploy of instance {instance.uuid} on node {mention(node)}",
            )
        except DriverError as exc:
            return self._reschedule(work, node, exc.message)
        work.note("deploy", f"image {image.name} on node {mention(node)}")
        if not result.config_drive:
            LOG.warning("Instance %s has no config drive: %s", instance.uuid, result.note)
        with work.db.transaction() as connection:
            record_configuration(connection, node.uuid, result)
            if node.last_error is not None:
                note_node_error(connection, node.uuid, None)
            if result.power_state is None:  # observe it in a step of its own
                instances.move(
                    connection,
                    work.instance_uuid,
                    states.BUILDING,
                    config_drive=result.config_drive,
                )
                return work.advance(connection, Step.FINISH)
            # The driver saw the machine come up: active now, in the deploy's own transaction.
            if activate(
                connection, work, node.uuid, result.power_state, config_drive=result.config_drive
            ):
                LOG.info("Instance %s is active on node %s", work.instance_uuid, node.name)
            return None

    def _reschedule(self, work: Work[CreateState], node: NodeRow, error: str) -> Step | None:
        """Undo a failed deploy on ``node``; go back to scheduling or give up."""
        LOG.warning(
            "Deploy of instance %s on node %s failed: %s", work.instance_uuid, node.name, error
        )
        _, driver, ref = work.node(node.uuid)
        work.note("deploy", f"node {mention(node)}: {error}", failed=True)
        dirty = None
        try:
            work.driver_call(lambda: driver.deploy.undeploy(ref), f"clean-up of node {node.name}")
            work.note("teardown", f"node {mention(node)} cleaned up after the failed deploy")
        except DriverError as exc:
            dirty = exc.message
            work.note("teardown", f"node {mention(node)}: {dirty}", failed=True)
        self._unplug(work)
        work.state.tried_nodes.append(node.uuid)
        work.state.errors.append(f"node {mention(node)}: {error}")
        work.state.node_uuid, work.state.claimed_nics, work.state.claimed_macs = None, [], {}
        attempts = len(work.state.tried_nodes)
        work.memo.pop(_SUBNETS_MEMO, None)
        with work.db.transaction() as connection:
            ports.release(connection, work.instance_uuid)
            extra: dict[str, object] = {"last_error": error}
            if dirty is not None:
                # The node may still hold the failed deploy: keep it away from tenants.
                extra.update(
                    maintenance=True,
                    maintenance_kind=MaintenanceKind.FAILED_CLEANUP.value,
                    leftover_instance_uuid=work.instance_uuid,
                    maintenance_reason=(
                        f"Clean-up after a failed deploy of instance {work.instance_uuid} "
                        f"failed: {dirty}"
                    ),
                )
            if dirty is None:
                # The failed deploy may have written the tenant's data: cleaned like any
                # node a tenant leaves.
                release_torn_down(connection, work, node.uuid, **extra)
            else:
                scheduler.release(
                    connection,
                    node.uuid,
                    work.instance_uuid,
                    provision_state=lifecycle.CLEAN_FAILED,
                    **extra,
                )
            instances.move(
                connection, work.instance_uuid, states.BUILDING, node_uuid=None, network_info={}
            )
            if attempts < work.settings.max_attempts:
                return work.advance(connection, Step.SCHEDULE)
            work.advance(connection, Step.SCHEDULE)  # keep the record of what was tried
        raise OperationFailed(
            f"Deploy failed on {attempts} node(s); last error: node {mention(node)}: {error}"
        )

    @staticmethod
    def _unplug(work: Work[CreateState]) -> None:
        """Neutron: delete the ports made for the instance, give back those the tenant gave
        (``OperationFailed`` when Neutron stays down: the ports are left for the instance's
        delete, or the reconciliation, to remove)."""
        neutron = work.settings.neutron
        if neutron is None:
            return
        given = [n.port_id for n in work.state.networks if n.port_id is not None]
        try:
            done = neutron.unplug(work.instance_uuid, given, work.stopping)
        except DriverError as exc:
            work.note("network", exc.message, failed=True)
            raise OperationFailed(
                f"Removing the instance's ports failed: {exc.message}; they are removed when "
                "the instance is deleted"
            ) from None
        if done:
            work.note("network", "; ".join(done))

    def step_finish(self, work: Work[CreateState]) -> Step | None:
        node, driver, ref = work.node(work.state.node_uuid)
        if become_active(work, node, driver, ref):
            LOG.info("Instance %s is active on node %s", work.instance_uuid, node.name)
        return None

    def fail(self, work: Work[CreateState], message: str) -> None:
        if work.step in (Step.SCHEDULE, Step.PLUG):
            try:
                self._unplug(work)
            except OperationFailed as exc:
                message = f"{message}. {exc.message}"
        with work.db.transaction() as connection:
            values: dict[str, Any] = {}
            wiring = (Step.SCHEDULE, Step.PLUG)
            claimed = work.state.node_uuid if work.step in wiring else None
            if claimed is not None:  # claimed, never deployed: let it go
                ports.release(connection, work.instance_uuid)
                scheduler.release(
                    connection, claimed, work.instance_uuid, provision_state=lifecycle.AVAILABLE
                )
                values["node_uuid"] = None
            if instances.move(
                connection, work.instance_uuid, states.BUILDING, status=states.ERROR, **values
            ):
                instances.record_fault(connection, work.instance_uuid, message)
            work.finish(connection, OperationStatus.FAILED)
        LOG.error("Create of instance %s failed: %s", work.instance_uuid, message)


def spread_of(state: CreateState) -> Spread:
    """The rules in force for the instance (for explaining a failure; no domains read)."""
    group = state.group
    return Spread(
        policy=group.policy if group else None,
        max_per_domain=group.max_per_domain if group else 1,
        different=frozenset(state.different_host),
        same=frozenset(state.same_host),
    )


def _wiring(network_info: dict[str, Any]) -> str:
    """The ports just wired, for a person: ``MAC → addresses on network`` each."""
    wired = []
    for port in network_info.values():
        addresses = ", ".join(ip["ip_address"] for ip in port.get("fixed_ips", [])) or "no address"
        wired.append(f"{port.get('mac_address')} → {addresses} on network {port.get('network')}")
    return "; ".join(wired) or "no ports"
