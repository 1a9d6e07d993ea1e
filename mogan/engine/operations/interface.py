"""Interfaces after create (Nova's interface attach): another NIC of the instance's node on
a network, or one taken off it. The instance stays ``active`` throughout; a failure is
recorded on the action, and the instance keeps the interfaces it had.

On Mogan's own networks an attach allocates an address as a create does; on Neutron it makes
(or takes) a port and binds it, as the create's plug step does (``NeutronPorts``), and a
detach deletes the port Mogan made or gives back, unbound, the one the tenant gave.
``network_data.json`` on the config drive is not rewritten: it describes the interfaces of
the last deploy or rebuild.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from mogan.core import states
from mogan.core.errors import DriverError, MoganError
from mogan.core.operations import InterfaceState, OperationKind, OperationStatus, Step
from mogan.core.placement import assign_nics
from mogan.db import instances, nodes, ports
from mogan.db.database import Duplicate
from mogan.db.records import InstanceRow
from mogan.engine.operations.base import Handler, OperationFailed, StepFunction, Work, mention

LOG = logging.getLogger(__name__)


class ChangeInterface(Handler[InterfaceState]):
    kind = OperationKind.INTERFACE

    def steps(self) -> dict[Step, StepFunction[InterfaceState]]:
        return {Step.ATTACH: self.step_attach, Step.DETACH: self.step_detach}

    def event(self, work: Work[InterfaceState]) -> str:
        return "instance.interface_detach" if work.state.detach else "instance.interface_attach"

    def _active(self, work: Work[InterfaceState]) -> InstanceRow | None:
        instance = instances.get(work.db, work.instance_uuid)
        if instance is None or instance.status != states.ACTIVE or instance.node_uuid is None:
            work.cancel("Stopped: the instance is no longer active.")
            return None
        return instance

    def step_attach(self, work: Work[InterfaceState]) -> Step | None:
        instance = self._active(work)
        if instance is None:
            return None
        request = work.state.network
        assert request is not None, "an attach names its network"
        node, driver, ref = work.node(instance.node_uuid)
        nics = nodes.nics_of(work.db, [node.uuid]).get(node.uuid, [])
        used = {port.nic_uuid for port in ports.of_instance(work.db, instance.uuid)}
        free = [nic for nic in nics if nic.uuid not in used]
        chosen = assign_nics([(nic.uuid, nic.port_type) for nic in free], [request])
        if not chosen:
            raise OperationFailed(
                f"Node {mention(node)} has no free NIC"
                f"{' of port type ' + request.port_type if request.port_type else ''} left."
            )
        (nic,) = [n for n in free if n.uuid == chosen[0]]
        neutron = work.settings.neutron
        try:
            if neutron is None:
                (addresses,) = ports.reserve(work.db, [request])
                with work.db.transaction() as tx:
                    added = ports.allocate(
                        tx,
                        instance.uuid,
                        [request],
                        [nic.uuid],
                        {nic.uuid: nic.mac_address},
                        [addresses],
                    )
                    self._record(work, tx, instance, added)
                return None
            (plugged,) = neutron.plug(
                instance_uuid=instance.uuid,
                project_id=work.state.project_id,
                requests=[request],
                nics=[nic],
                host_id=None if driver.vifs is not None else node.uuid,
                security_groups=work.state.security_groups,
                stopping=work.stopping,
            )
            if driver.vifs is not None:
                work.driver_call(
                    functools.partial(driver.vifs.attach, ref, plugged.port.uuid, nic.uuid),
                    f"VIF attach of port {plugged.port.uuid} to node {mention(node)}",
                )
        except (ports.AddressesExhausted, Duplicate) as exc:
            raise OperationFailed(str(exc)) from None
        except DriverError as exc:
            self._undo(work, nic.mac_address)
            raise OperationFailed(f"Attaching the interface failed: {exc.message}") from None
        with work.db.transaction() as tx:
            wired = ports.Wired(
                plugged.port.uuid,
                plugged.port.network_uuid,
                nic.uuid,
                nic.mac_address,
                plugged.preserve_on_delete,
            )
            ports.record(tx, instance.uuid, [wired])
            self._record(work, tx, instance, {wired.uuid: plugged.port.network_info()})
        return None

    def _record(
        self, work: Work[InterfaceState], tx: Any, instance: InstanceRow, added: dict[str, Any]
    ) -> None:
        network_info = {**(instance.network_info or {}), **added}
        if not instances.move(tx, instance.uuid, states.ACTIVE, network_info=network_info):
            raise OperationFailed("The instance stopped being active during the attach.")
        for uuid, port in added.items():
            addresses = ", ".join(ip["ip_address"] for ip in port["fixed_ips"]) or "no address"
            work.note(
                "attach_interface",
                f"port {uuid} ({port['mac_address']} → {addresses} on network {port['network']})",
            )
        work.finish(tx)

    def _undo(self, work: Work[InterfaceState], mac_address: str) -> None:
        """Remove the port an attach that failed made (best effort: the reconciliation and the
        instance's delete find any left)."""
        neutron = work.settings.neutron
        if neutron is None:
            return
        given = [work.state.network.port_id] if work.state.network else []
        try:
            for port in neutron.neutron.ports_of(work.instance_uuid):
                if port.mac_address.lower() == mac_address.lower():
                    neutron.release(port, [p for p in given if p], work.stopping)
        except MoganError as exc:  # the attach's own fault is the one reported
            LOG.warning("Could not undo the failed attach on %s: %s", work.instance_uuid, exc)

    def step_detach(self, work: Work[InterfaceState]) -> Step | None:
        instance = self._active(work)
        if instance is None:
            return None
        uuid = work.state.port_uuid
        wired = {port.uuid: port for port in ports.of_instance(work.db, instance.uuid)}
        port = wired.get(uuid or "")
        neutron = work.settings.neutron
        if port is not None and neutron is not None:
            node, driver, ref = work.node(instance.node_uuid)
            try:
                if driver.vifs is not None:
                    work.driver_call(
                        functools.partial(driver.vifs.detach, ref, port.uuid),
                        f"VIF detach of port {port.uuid} from node {mention(node)}",
                    )
                found = [p for p in neutron.neutron.ports_of(instance.uuid) if p.uuid == port.uuid]
                keep = [port.uuid] if port.preserve_on_delete else []
                done = [neutron.release(p, keep, work.stopping) for p in found]
            except DriverError as exc:
                raise OperationFailed(f"Detaching port {uuid} failed: {exc.message}") from None
            if done:
                work.note("detach_interface", "; ".join(done))
        with work.db.transaction() as tx:
            if port is not None:
                ports.release_one(tx, port.uuid)
            network_info = {
                key: value for key, value in (instance.network_info or {}).items() if key != uuid
            }
            if not instances.move(tx, instance.uuid, states.ACTIVE, network_info=network_info):
                raise OperationFailed("The instance stopped being active during the detach.")
            if neutron is None:
                work.note("detach_interface", f"port {uuid}")
            work.finish(tx)
        return None

    def fail(self, work: Work[InterfaceState], message: str) -> None:
        """The instance keeps what it had: the failure is the action's, not the instance's."""
        with work.db.transaction() as tx:
            work.finish(tx, OperationStatus.FAILED)
        LOG.error("Interface change on instance %s failed: %s", work.instance_uuid, message)
