"""What Mogan knows of Neutron's networks and ports (``[network] backend = neutron``).

What a tenant may use is Neutron's to decide: the use cases read networks, ports, security
groups and floating IPs with the caller's own token (``NetworkCatalog``). The ports of an
instance are made, bound, unbound and deleted by the engine as Mogan's service user
(``PortService``): a tenant's token may not set a MAC address on a shared provider network, nor
``binding:profile``.

Mogan marks the ports it wires: ``device_owner`` is ``OWNER`` and ``device_id`` the
instance's uuid, as Nova marks its own (``compute:<zone>``); a port Mogan made itself also
says so in its description (``MADE``), so that what to delete and what to give back is known
from Neutron alone, even once Mogan's record of the instance is gone. (Not a tag: Neutron
ignores tags given at creation, and lets only a port's project or an admin tag it later.)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

#: The registries ``[network] backend`` may name.
BUILTIN = "builtin"
NEUTRON = "neutron"

#: ``device_owner`` of the ports wired to a Mogan instance.
OWNER = "compute:mogan"
#: How the description of a port Mogan made begins (deleted at tear-down; a tenant's own
#: are given back).
MADE = "Made by Mogan for instance"
#: ``binding:vnic_type`` of a port on a physical NIC.
VNIC_BAREMETAL = "baremetal"
#: ``binding:vif_type`` of a port no mechanism driver could bind.
BINDING_FAILED = "binding_failed"


@dataclass(frozen=True)
class SubnetFacts:
    uuid: str
    network_uuid: str
    cidr: str
    ip_version: int
    gateway_ip: str | None
    allocation_pools: list[dict[str, str]] = field(default_factory=list)

    def holds(self, address: str) -> bool:
        try:
            return ipaddress.ip_address(address) in ipaddress.ip_network(self.cidr)
        except ValueError:
            return False


@dataclass(frozen=True)
class NetworkFacts:
    uuid: str
    name: str
    subnet_uuids: tuple[str, ...] = ()
    shared: bool = False
    external: bool = False
    project_id: str | None = None
    status: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


@dataclass(frozen=True)
class PortFacts:
    uuid: str
    network_uuid: str
    mac_address: str
    #: ``(ip_address, subnet_id)`` pairs.
    fixed_ips: tuple[tuple[str, str], ...] = ()
    project_id: str | None = None
    device_id: str = ""
    device_owner: str = ""
    host_id: str = ""
    vif_type: str = "unbound"
    status: str = "DOWN"
    description: str = ""

    @property
    def in_use(self) -> bool:
        """Wired to some device (an instance, a router, a DHCP server…) or bound to a host."""
        return bool(self.device_id or self.device_owner or self.host_id)

    @property
    def made_by_mogan(self) -> bool:
        return self.description.startswith(MADE)

    def network_info(self) -> dict[str, Any]:
        """The port as an instance's ``network_info`` shows it."""
        return {
            "network": self.network_uuid,
            "mac_address": self.mac_address,
            "fixed_ips": [{"ip_address": ip, "subnet_id": subnet} for ip, subnet in self.fixed_ips],
        }


@dataclass(frozen=True)
class FloatingIpFacts:
    uuid: str
    address: str
    network_uuid: str
    project_id: str | None = None
    port_id: str | None = None
    fixed_address: str | None = None


@dataclass(frozen=True)
class NewPort:
    """A port Mogan makes for an instance, in the tenant's project."""

    network_uuid: str
    project_id: str
    instance_uuid: str
    mac_address: str
    fixed_ip: str | None = None
    security_groups: Sequence[str] | None = None


class NetworkCatalog(Protocol):
    """Neutron as the use cases read it: with the caller's token (``NotFound`` for what the
    caller may not see, ``ServiceUnavailable`` when Neutron is down)."""

    def networks(
        self, token: str | None, limit: int, marker: str | None
    ) -> tuple[list[NetworkFacts], str | None]: ...

    def network(self, token: str | None, uuid: str) -> NetworkFacts: ...

    def subnets(self, token: str | None, uuids: Sequence[str]) -> list[SubnetFacts]: ...

    def port(self, token: str | None, uuid: str) -> PortFacts: ...

    def security_group(self, token: str | None, name_or_id: str) -> str: ...

    def floating_ip(self, token: str | None, address: str) -> FloatingIpFacts: ...

    def associate(
        self, token: str | None, floating: FloatingIpFacts, port_id: str | None, fixed: str | None
    ) -> FloatingIpFacts: ...

    def floating_ips_of(
        self, token: str | None, port_ids: Sequence[str]
    ) -> list[FloatingIpFacts]: ...


class PortService(Protocol):
    """Neutron as the engine wires ports: as Mogan's service user."""

    def create_port(self, port: NewPort) -> PortFacts: ...

    def update_port(self, uuid: str, changes: dict[str, Any]) -> PortFacts: ...

    def delete_port(self, uuid: str) -> None: ...

    def ports_of(self, instance_uuid: str | None) -> list[PortFacts]: ...

    def subnets(self, token: str | None, uuids: Sequence[str]) -> list[SubnetFacts]: ...


def binding(host_id: str, local_link: dict[str, str] | None) -> dict[str, Any]:
    """The changes that bind a port to a node's NIC: ``binding:profile`` carries the NIC's
    switch port as ``local_link_information`` (Ironic calls it ``local_link_connection``;
    Neutron refuses that name)."""
    profile: dict[str, Any] = {}
    if local_link:
        profile["local_link_information"] = [dict(local_link)]
    return {
        "binding:host_id": host_id,
        "binding:profile": profile,
        "binding:vnic_type": VNIC_BAREMETAL,
    }


#: What unbinding a port sets: the port stays, free for its owner to use again.
UNBOUND: dict[str, Any] = {
    "binding:host_id": "",
    "binding:profile": {},
    "device_id": "",
    "device_owner": "",
}
