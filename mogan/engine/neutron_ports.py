"""An instance's Neutron ports, as the engine makes, binds, unbinds and deletes them.

Every call is idempotent, so a step can be run again after a crash or a takeover: a port is
found again by the instance (``device_id``) and the NIC's MAC before one is made. A Neutron
that fails or does not answer is tried again (``[network] retries``); then the step fails
with a fault that names Neutron, and the operation's clean-up removes whatever was made.

Binding: the drivers that bind for themselves (fake, redfish) have Mogan set
``binding:host_id`` (the node) and ``binding:profile.local_link_information`` (the NIC's
switch port), for the mechanism driver to configure the switch; Ironic's network interface
does that itself once Mogan has attached the port to the node as a VIF, as Nova's driver does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from mogan.core.errors import Conflict, DriverError, NotFound, ServiceUnavailable
from mogan.core.networking import (
    BINDING_FAILED,
    OWNER,
    UNBOUND,
    NewPort,
    PortFacts,
    PortService,
    SubnetFacts,
    binding,
)
from mogan.core.placement import NetworkRequest
from mogan.db.records import NicRow
from mogan.engine.retry import call_with_retries

LOG = logging.getLogger(__name__)
T = TypeVar("T")


class NeutronUnavailable(DriverError):
    """Neutron failed or did not answer: worth trying again."""

    retryable = True


@dataclass(frozen=True)
class Plugged:
    """A port wired to one of the node's NICs."""

    port: PortFacts
    nic_uuid: str
    #: The tenant gave it: unbound and kept at tear-down.
    preserve_on_delete: bool


@dataclass(frozen=True)
class NeutronPorts:
    """The engine's use of Neutron (``[network] backend = neutron``)."""

    neutron: PortService
    retries: int = 3
    retry_interval: float = 2.0

    def call(self, action: Callable[[], T], what: str, stopping: threading.Event) -> T:
        """``action`` with Neutron's outages retried; ``DriverError`` saying what failed."""

        def once() -> T:
            try:
                return action()
            except ServiceUnavailable as exc:
                raise NeutronUnavailable(exc.message) from None
            except (Conflict, NotFound) as exc:
                raise DriverError(exc.message) from None

        try:
            return call_with_retries(
                once,
                retries=self.retries,
                interval=self.retry_interval,
                stopping=stopping,
                what=what,
            )
        except DriverError as exc:
            raise DriverError(f"{what}: {exc.message}") from None

    def plug(
        self,
        *,
        instance_uuid: str,
        project_id: str,
        requests: Sequence[NetworkRequest],
        nics: Sequence[NicRow],
        host_id: str | None,
        security_groups: Sequence[str] | None,
        stopping: threading.Event,
    ) -> list[Plugged]:
        """A port per request on the NIC serving it, made (or the tenant's taken) and, where
        ``host_id`` is given, bound to it. ``DriverError`` when Neutron refuses or stays down,
        or cannot bind (the ports made so far stay for ``unplug``)."""
        existing = self.call(
            lambda: self.neutron.ports_of(instance_uuid),
            f"reading the ports of instance {instance_uuid}",
            stopping,
        )
        by_mac = {port.mac_address.lower(): port for port in existing}
        plugged = []
        for request, nic in zip(requests, nics, strict=True):
            port = by_mac.get(nic.mac_address.lower())
            if request.port_id is not None:
                port = self._take(request.port_id, instance_uuid, nic, stopping)
            elif port is None:
                port = self._make(
                    NewPort(
                        network_uuid=request.net_id,
                        project_id=project_id,
                        instance_uuid=instance_uuid,
                        mac_address=nic.mac_address,
                        fixed_ip=request.fixed_ip,
                        security_groups=security_groups,
                    ),
                    stopping,
                )
            if host_id is not None:
                port = self.bind(port, host_id, nic, stopping)
            plugged.append(Plugged(port, nic.uuid, request.port_id is not None))
        return plugged

    def _make(self, new: NewPort, stopping: threading.Event) -> PortFacts:
        return self.call(
            lambda: self.neutron.create_port(new),
            f"making a port on network {new.network_uuid} for MAC {new.mac_address}",
            stopping,
        )

    def _take(
        self, port_id: str, instance_uuid: str, nic: NicRow, stopping: threading.Event
    ) -> PortFacts:
        """The tenant's port, given to the instance: its MAC becomes the NIC's (as Ironic
        does on a VIF attach), and it is marked as the instance's."""
        return self.call(
            lambda: self.neutron.update_port(
                port_id,
                {
                    "device_id": instance_uuid,
                    "device_owner": OWNER,
                    "mac_address": nic.mac_address,
                    "binding:vnic_type": "baremetal",
                },
            ),
            f"taking port {port_id}",
            stopping,
        )

    def bind(
        self, port: PortFacts, host_id: str, nic: NicRow, stopping: threading.Event
    ) -> PortFacts:
        bound = self.call(
            lambda: self.neutron.update_port(
                port.uuid, binding(host_id, nic.local_link_connection)
            ),
            f"binding port {port.uuid} to node {host_id}",
            stopping,
        )
        if bound.vif_type == BINDING_FAILED:
            missing = (
                " (its NIC has no local_link_connection: enrol the switch port it is cabled to)"
                if not nic.local_link_connection
                else ""
            )
            raise DriverError(
                f"Neutron could not bind port {port.uuid} to NIC {nic.mac_address} of node "
                f"{host_id}{missing}"
            )
        return bound

    def unplug(
        self, instance_uuid: str, keep: Sequence[str], stopping: threading.Event
    ) -> list[str]:
        """Delete the ports made for the instance and unbind those the tenant gave (``keep``,
        or not described as made by Mogan): what Neutron holds for the instance afterwards is
        nothing. Returns what was done, for the action's record."""
        done = []
        for port in self.call(
            lambda: self.neutron.ports_of(instance_uuid),
            f"reading the ports of instance {instance_uuid}",
            stopping,
        ):
            done.append(self.release(port, keep, stopping))
        return done

    def release(self, port: PortFacts, keep: Sequence[str], stopping: threading.Event) -> str:
        """Delete ``port``, or unbind and give it back when the tenant gave it."""
        if port.uuid in keep or not port.made_by_mogan:
            self.call(
                lambda: self.neutron.update_port(port.uuid, dict(UNBOUND)),
                f"giving port {port.uuid} back",
                stopping,
            )
            return f"port {port.uuid} unbound and kept"
        self.call(
            lambda: self.neutron.delete_port(port.uuid),
            f"deleting port {port.uuid}",
            stopping,
        )
        return f"port {port.uuid} deleted"

    def subnets(self, uuids: Sequence[str], stopping: threading.Event) -> list[SubnetFacts]:
        return self.call(lambda: self.neutron.subnets(None, uuids), "reading subnets", stopping)
