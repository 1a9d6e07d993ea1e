"""Networks: Mogan's own registry (networks, subnets and the ports allocated on them, written
by operators), or Neutron's (``[network] backend = neutron``), which tenants manage in Neutron
and Mogan reads with each caller's own token: their own networks and the shared ones."""

from __future__ import annotations

import builtins
import datetime as dt
import ipaddress
import uuid as uuid_module
from dataclasses import dataclass, field
from typing import Any

from mogan.core.addresses import default_gateway, validate_subnet
from mogan.core.clock import utcnow
from mogan.core.errors import Conflict, InvalidInput
from mogan.core.networking import BUILTIN, NEUTRON, NetworkCatalog, NetworkFacts
from mogan.core.pagination import PageRequest
from mogan.db import networks
from mogan.db.database import Database
from mogan.db.records import FixedIpRow, NetworkRow, PortRow, SubnetRow
from mogan.services import schemas
from mogan.services.context import RequestContext
from mogan.services.patching import apply_patch
from mogan.services.policy import Policy


@dataclass(frozen=True)
class NetworkRecord:
    network: NetworkRow
    subnets: list[SubnetRow] = field(default_factory=list)
    #: ``builtin`` or ``neutron``; Neutron says whether a network is shared.
    source: str = BUILTIN
    shared: bool | None = None


@dataclass(frozen=True)
class PortRecord:
    port: PortRow
    fixed_ips: list[FixedIpRow] = field(default_factory=list)


class NetworkService:
    def __init__(
        self,
        db: Database,
        policy: Policy,
        max_limit: int,
        neutron: NetworkCatalog | None = None,
    ) -> None:
        self._db = db
        self._policy = policy
        self._max_limit = max_limit
        self._neutron = neutron

    def list(
        self, context: RequestContext, page: PageRequest
    ) -> tuple[builtins.list[NetworkRecord], str | None]:
        """A page of the networks the caller may use (on Neutron: what Neutron lets the
        caller see, its own and shared networks, paged by Neutron)."""
        self._policy.authorize("mogan:network:get", context)
        if self._neutron is not None:
            limit = min(page.limit or self._max_limit, self._max_limit)
            facts, marker = self._neutron.networks(context.auth_token, limit, page.marker)
            return self._from_neutron(context, facts), marker
        found = networks.NETWORKS.page(
            self._db,
            page,
            sort_keys=networks.SORT_KEYS,
            default_sort="name",
            max_limit=self._max_limit,
        )
        subnets = networks.subnets_of(self._db, [n.uuid for n in found.items])
        return [NetworkRecord(n, subnets[n.uuid]) for n in found.items], found.next_marker

    def get(self, context: RequestContext, ident: str) -> NetworkRecord:
        self._policy.authorize("mogan:network:get", context)
        if self._neutron is not None:
            network = self._neutron.network(context.auth_token, ident)
            return self._from_neutron(context, [network])[0]
        return self._record(networks.NETWORKS.find(self._db, ident, "Network"))

    def create(self, context: RequestContext, request: schemas.NetworkCreate) -> NetworkRecord:
        self._policy.authorize("mogan:network:write", context)
        self._writable()
        now = utcnow()
        network = NetworkRow(
            uuid=str(uuid_module.uuid4()), created_at=now, updated_at=None, name=request.name
        )
        subnets = []
        for index, subnet in enumerate(request.subnets):
            gateway = subnet.gateway_ip
            if "gateway_ip" not in subnet.model_fields_set:
                gateway = default_gateway(subnet.cidr)  # as Neutron: omitted → first host
            try:
                pools = validate_subnet(
                    subnet.cidr, gateway, [(p.start, p.end) for p in subnet.allocation_pools]
                )
            except ValueError as exc:
                raise InvalidInput(f"Invalid value for field 'subnets.{index}': {exc}.") from None
            cidr = ipaddress.ip_network(subnet.cidr)
            subnets.append(
                SubnetRow(
                    uuid=str(uuid_module.uuid4()),
                    network_uuid=network.uuid,
                    cidr=str(cidr),
                    ip_version=cidr.version,
                    gateway_ip=gateway,
                    allocation_pools=[{"start": str(p.start), "end": str(p.end)} for p in pools],
                    allocations=0,
                    # Subnets are listed by creation: a microsecond apart keeps their order.
                    created_at=now + dt.timedelta(microseconds=index),
                )
            )
        with self._db.transaction() as tx:
            networks.add(tx, network, subnets)
        return NetworkRecord(network, subnets)

    def update(self, context: RequestContext, ident: str, patch: Any) -> NetworkRecord:
        self._policy.authorize("mogan:network:write", context)
        self._writable()
        with self._db.transaction() as tx:
            network = networks.NETWORKS.find(self._db, ident, "Network", locked_in=tx)
            patched = schemas.parse(
                schemas.NetworkUpdate,
                apply_patch({"name": network.name}, patch, schemas.NETWORK_FIELDS),
                what="patched network",
            )
            changes: dict[str, Any] = {"name": patched.name, "updated_at": utcnow()}
            networks.NETWORKS.update(tx, network.uuid, **changes)
        return self._record(network._replace(**changes))

    def delete(self, context: RequestContext, ident: str) -> None:
        self._policy.authorize("mogan:network:write", context)
        self._writable()
        with self._db.transaction() as tx:
            network = networks.NETWORKS.find(self._db, ident, "Network", locked_in=tx)
            if networks.has_ports(tx, network.uuid):
                raise Conflict(f"Network {ident} has ports in use by instances.")
            networks.NETWORKS.delete(tx, network.uuid)

    def list_ports(self, context: RequestContext, ident: str) -> builtins.list[PortRecord]:
        self._policy.authorize("mogan:network:get", context)
        if self._neutron is not None:
            raise Conflict(
                "Addresses are Neutron's here ([network] backend = neutron): list the ports "
                "of a network in Neutron."
            )
        network = networks.NETWORKS.find(self._db, ident, "Network")
        # A tenant sees only its own instances' ports: another's MACs and addresses are theirs.
        every_project = self._policy.check("mogan:network:get_all_ports", context)
        found = networks.ports_on(
            self._db, network.uuid, project_id=None if every_project else context.project_id
        )
        return [PortRecord(port, addresses) for port, addresses in found]

    def _writable(self) -> None:
        if self._neutron is not None:
            raise Conflict(
                "Networks are Neutron's here ([network] backend = neutron): make, change and "
                "delete them in Neutron."
            )

    def _from_neutron(
        self, context: RequestContext, found: builtins.list[NetworkFacts]
    ) -> builtins.list[NetworkRecord]:
        assert self._neutron is not None
        uuids = [uuid for network in found for uuid in network.subnet_uuids]
        subnets = self._neutron.subnets(context.auth_token, uuids) if uuids else []
        return [
            NetworkRecord(
                NetworkRow(
                    uuid=network.uuid,
                    created_at=_when(network.created_at) or utcnow(),
                    updated_at=_when(network.updated_at),
                    name=network.name,
                ),
                [
                    SubnetRow(
                        uuid=subnet.uuid,
                        network_uuid=subnet.network_uuid,
                        cidr=subnet.cidr,
                        ip_version=subnet.ip_version,
                        gateway_ip=subnet.gateway_ip,
                        allocation_pools=subnet.allocation_pools,
                        allocations=0,
                        created_at=utcnow(),
                    )
                    for subnet in subnets
                    if subnet.network_uuid == network.uuid
                ],
                source=NEUTRON,
                shared=network.shared,
            )
            for network in found
        ]

    def _record(self, network: NetworkRow) -> NetworkRecord:
        return NetworkRecord(network, networks.subnets_of(self._db, [network.uuid])[network.uuid])


def _when(stamp: str | None) -> dt.datetime | None:
    """A Neutron timestamp (``2026-12-05T03:15:38Z``) as Mogan's naive UTC."""
    if not stamp:
        return None
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).replace(tzinfo=None)
