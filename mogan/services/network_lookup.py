"""Which networks a create (or an interface attach) names, as the caller may use them.

On Mogan's own registry a network is a row, checked in the request's transaction (networks
are global there), and only ``net_id`` and ``port_type`` mean anything. On Neutron every
network, port and security group is read before any transaction with the caller's own
token, so Neutron decides what the caller may use; a port the caller names must be free (409
otherwise, as Nova answers); a ``fixed_ip`` must lie in one of the network's subnets. The
engine then makes and binds the ports as Mogan's service user.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mogan.core.errors import Conflict, InvalidInput, NotFound
from mogan.core.networking import NetworkCatalog, NetworkFacts
from mogan.core.placement import NetworkRequest
from mogan.services import schemas
from mogan.services.context import RequestContext


@dataclass(frozen=True)
class NetworkLookup:
    """``catalog`` None: the builtin registry."""

    catalog: NetworkCatalog | None = None

    @property
    def in_neutron(self) -> bool:
        return self.catalog is not None

    def resolve(
        self,
        context: RequestContext,
        requested: Sequence[schemas.NetworkRequest],
        *,
        field_name: str = "networks",
        instances: int = 1,
    ) -> list[NetworkRequest]:
        """The requested NICs, checked (``InvalidInput`` naming the field, ``Conflict`` for a
        port in use, ``ServiceUnavailable`` when Neutron is down)."""
        if self.catalog is None:
            for index, request in enumerate(requested):
                for name in ("port_id", "fixed_ip"):
                    if getattr(request, name) is not None:
                        raise InvalidInput(
                            f"Invalid value for field '{field_name}.{index}.{name}': ports "
                            "and fixed addresses need [network] backend = neutron."
                        )
                if request.net_id is None:
                    raise InvalidInput(f"Invalid value for field '{field_name}.{index}.net_id'.")
            return [NetworkRequest(r.net_id, r.port_type) for r in requested if r.net_id]
        given = [r.port_id for r in requested if r.port_id is not None]
        if len(given) != len(set(given)):
            raise InvalidInput(f"Invalid value for field '{field_name}': a port is named twice.")
        if given and instances > 1:
            raise InvalidInput(
                f"Invalid value for field '{field_name}': a port can serve one instance only; "
                "several instances cannot be created on the same port_id."
            )
        return [
            self._one(context, request, f"{field_name}.{index}")
            for index, request in enumerate(requested)
        ]

    def _one(
        self, context: RequestContext, request: schemas.NetworkRequest, where: str
    ) -> NetworkRequest:
        assert self.catalog is not None
        token = context.auth_token
        if request.port_id is not None:
            try:
                port = self.catalog.port(token, request.port_id)
            except NotFound:
                raise InvalidInput(
                    f"Invalid value for field '{where}.port_id': port {request.port_id} was "
                    "not found."
                ) from None
            if request.net_id is not None and request.net_id != port.network_uuid:
                raise InvalidInput(
                    f"Invalid value for field '{where}.net_id': port {port.uuid} is on "
                    f"network {port.network_uuid}, not {request.net_id}."
                )
            if port.in_use:
                raise Conflict(
                    f"Port {port.uuid} is in use (device {port.device_id or port.device_owner}"
                    f"{', bound to ' + port.host_id if port.host_id else ''}): a port given to "
                    "an instance must be free."
                )
            return NetworkRequest(port.network_uuid, request.port_type, port_id=port.uuid)
        assert request.net_id is not None
        network = self.network(context, request.net_id, f"{where}.net_id")
        if request.fixed_ip is not None:
            subnets = self.catalog.subnets(token, network.subnet_uuids)
            if not any(subnet.holds(request.fixed_ip) for subnet in subnets):
                raise InvalidInput(
                    f"Invalid value for field '{where}.fixed_ip': {request.fixed_ip} is in "
                    f"no subnet of network {network.uuid}."
                )
        return NetworkRequest(network.uuid, request.port_type, fixed_ip=request.fixed_ip)

    def network(self, context: RequestContext, uuid: str, where: str) -> NetworkFacts:
        """A Neutron network the caller may use (their own, or shared)."""
        assert self.catalog is not None
        try:
            network = self.catalog.network(context.auth_token, uuid)
        except NotFound:
            network = None
        if network is None or (network.external and not network.shared):
            # An external network carries floating IPs, not instances (as Nova refuses).
            raise InvalidInput(f"Invalid value for field '{where}': network {uuid} was not found.")
        return network

    def security_groups(
        self, context: RequestContext, requested: Sequence[schemas.SecurityGroupName] | None
    ) -> list[str] | None:
        """The ids of the caller's security groups ``requested`` (None: Neutron's default)."""
        if requested is None:
            return None
        if self.catalog is None:
            raise InvalidInput(
                "Invalid value for field 'security_groups': security groups need "
                "[network] backend = neutron."
            )
        ids = []
        for index, group in enumerate(requested):
            try:
                ids.append(self.catalog.security_group(context.auth_token, group.name))
            except NotFound:
                raise InvalidInput(
                    f"Invalid value for field 'security_groups.{index}.name': security group "
                    f"{group.name!r} was not found."
                ) from None
        return sorted(set(ids))
