"""Networks, subnets and their ports (built in; a Neutron backend can follow)."""

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


@dataclass(frozen=True)
class PortRecord:
    port: PortRow
    fixed_ips: list[FixedIpRow] = field(default_factory=list)


class NetworkService:
    def __init__(self, db: Database, policy: Policy, max_limit: int) -> None:
        self._db = db
        self._policy = policy
        self._max_limit = max_limit

    def list(
        self, context: RequestContext, page: PageRequest
    ) -> tuple[builtins.list[NetworkRecord], str | None]:
        self._policy.authorize("mogan:network:get", context)
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
        return self._record(networks.NETWORKS.find(self._db, ident, "Network"))

    def create(self, context: RequestContext, request: schemas.NetworkCreate) -> NetworkRecord:
        self._policy.authorize("mogan:network:write", context)
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
        with self._db.transaction() as tx:
            network = networks.NETWORKS.find(self._db, ident, "Network", locked_in=tx)
            if networks.has_ports(tx, network.uuid):
                raise Conflict(f"Network {ident} has ports in use by instances.")
            networks.NETWORKS.delete(tx, network.uuid)

    def list_ports(self, context: RequestContext, ident: str) -> builtins.list[PortRecord]:
        self._policy.authorize("mogan:network:get", context)
        network = networks.NETWORKS.find(self._db, ident, "Network")
        # A tenant sees only its own instances' ports: another's MACs and addresses are theirs.
        every_project = self._policy.check("mogan:network:get_all_ports", context)
        found = networks.ports_on(
            self._db, network.uuid, project_id=None if every_project else context.project_id
        )
        return [PortRecord(port, addresses) for port, addresses in found]

    def _record(self, network: NetworkRow) -> NetworkRecord:
        return NetworkRecord(network, networks.subnets_of(self._db, [network.uuid])[network.uuid])
