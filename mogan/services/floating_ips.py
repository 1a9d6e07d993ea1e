"""Floating IPs (Neutron only): a tenant's Neutron floating IP pointed at one of an
instance's ports, and taken off it again.

Everything is done with the caller's own token, as Neutron's own API would be used: the
floating IP must be the caller's, and Neutron checks that the port's subnet is routed to the
floating IP's network. The association is Neutron's; Mogan keeps a copy in the port's
``network_info`` entry (``floating_ips``) so the instance's ``addresses`` show it without a
call to Neutron on every read (as Nova's network info cache does); a change made in Neutron
directly shows once the instance's interfaces next change.
"""

from __future__ import annotations

from typing import Any

from mogan.core import states
from mogan.core.errors import Conflict, InvalidInput, NotFound
from mogan.core.networking import FloatingIpFacts, NetworkCatalog
from mogan.db import instances
from mogan.db.database import Database
from mogan.db.records import InstanceRow
from mogan.services import schemas
from mogan.services.access import visible_instance
from mogan.services.context import RequestContext
from mogan.services.policy import Policy

RULE = "mogan:instance:floatingips"


class FloatingIpService:
    def __init__(self, db: Database, policy: Policy, neutron: NetworkCatalog | None) -> None:
        self._db = db
        self._policy = policy
        self._neutron = neutron

    def associate(
        self, context: RequestContext, ident: str, request: schemas.FloatingIpAssociate
    ) -> None:
        """Point the caller's floating IP ``request.address`` at the instance's port holding
        ``request.fixed_address`` (default: its first port with an IPv4 address)."""
        instance = self._changeable(context, ident)
        neutron = self._in_neutron()
        port_id, fixed = _port_for(instance, request.fixed_address)
        try:
            floating = neutron.floating_ip(context.auth_token, request.address)
        except NotFound:
            raise InvalidInput(
                f"Invalid value for field 'address': floating IP {request.address} was not found."
            ) from None
        if floating.port_id is not None and floating.port_id not in (instance.network_info or {}):
            raise Conflict(
                f"Floating IP {floating.address} is associated with another port "
                f"({floating.port_id}); disassociate it first."
            )
        try:
            neutron.associate(context.auth_token, floating, port_id, fixed)
        except NotFound:
            raise Conflict(
                f"Neutron could not associate floating IP {floating.address} with port "
                f"{port_id}: is the port's subnet routed to network {floating.network_uuid}?"
            ) from None
        self._remember(instance.uuid, floating, port_id)

    def disassociate(self, context: RequestContext, ident: str, address: str) -> None:
        instance = self._changeable(context, ident)
        neutron = self._in_neutron()
        try:
            floating = neutron.floating_ip(context.auth_token, address)
        except NotFound:
            floating = None
        if floating is None or floating.port_id not in (instance.network_info or {}):
            raise NotFound(f"Floating IP {address} is not associated with instance {ident}.")
        neutron.associate(context.auth_token, floating, None, None)
        self._remember(instance.uuid, floating, None)

    def _changeable(self, context: RequestContext, ident: str) -> InstanceRow:
        instance = visible_instance(self._db, self._policy, context, ident, RULE)
        if instance.locked_by is not None and not self._policy.check(
            "mogan:instance:ignore_lock", context
        ):
            raise Conflict(f"Instance {ident} is locked; unlock it before changing its addresses.")
        if instance.status != states.ACTIVE:
            raise Conflict(
                f"Instance {ident} is {instance.status}; floating IPs can only be changed "
                "while it is active."
            )
        return instance

    def _in_neutron(self) -> NetworkCatalog:
        if self._neutron is None:
            raise Conflict(
                "Floating IPs need Neutron: this Mogan's networks are its own "
                "([network] backend = builtin)."
            )
        return self._neutron

    def _remember(self, uuid: str, floating: FloatingIpFacts, port_id: str | None) -> None:
        """The association, in the instance's ``network_info``."""
        with self._db.transaction() as tx:
            instance = instances.get_locked(tx, uuid)
            if instance is None:
                return
            network_info: dict[str, Any] = {}
            for key, port in (instance.network_info or {}).items():
                addresses = [a for a in port.get("floating_ips", []) if a != floating.address]
                if key == port_id:
                    addresses.append(floating.address)
                network_info[key] = {**port, "floating_ips": addresses}
            instances.move(tx, uuid, instance.status, network_info=network_info)


def _port_for(instance: InstanceRow, fixed_address: str | None) -> tuple[str, str | None]:
    """The port of the instance holding ``fixed_address`` (or its first IPv4 address)."""
    for port_id, port in (instance.network_info or {}).items():
        for ip in port.get("fixed_ips", []):
            address = ip["ip_address"]
            if address == fixed_address or (fixed_address is None and ":" not in address):
                return port_id, address
    if fixed_address is not None:
        raise InvalidInput(
            f"Invalid value for field 'fixed_address': instance {instance.uuid} has no "
            f"address {fixed_address}."
        )
    raise Conflict(f"Instance {instance.uuid} has no IPv4 address for a floating IP.")
