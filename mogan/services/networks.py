"""Networks, subnets and their ports (built in; a Neutron backend can follow)."""

from __future__ import annotations

import builtins
import ipaddress
import uuid as uuid_module
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, select

from mogan.core.addresses import default_gateway, validate_subnet
from mogan.core.errors import Conflict, InvalidInput
from mogan.core.pagination import PageRequest
from mogan.db.database import Database
from mogan.db.models import FixedIP, Instance, Network, Port, Subnet
from mogan.db.pagination import paginate
from mogan.services import schemas
from mogan.services.context import RequestContext
from mogan.services.lookup import get_or_404
from mogan.services.patching import apply_patch
from mogan.services.policy import Policy

SORT_KEYS = ("name", "created_at", "uuid")


@dataclass
class NetworkRecord:
    network: Network
    subnets: list[Subnet] = field(default_factory=list)


@dataclass
class PortRecord:
    port: Port
    fixed_ips: list[FixedIP] = field(default_factory=list)


class NetworkService:
    def __init__(self, db: Database, policy: Policy, max_limit: int) -> None:
        self._db = db
        self._policy = policy
        self._max_limit = max_limit

    def list(
        self, context: RequestContext, page: PageRequest
    ) -> tuple[builtins.list[NetworkRecord], str | None]:
        self._policy.authorize("mogan:network:get", context)
        with self._db.read() as session:
            result = paginate(
                session,
                select(Network),
                Network,
                page,
                sort_keys=SORT_KEYS,
                default_sort="name",
                max_limit=self._max_limit,
            )
            subnets = self._subnets(session, [n.uuid for n in result.items])
        return (
            [NetworkRecord(n, subnets.get(n.uuid, [])) for n in result.items],
            result.next_marker,
        )

    def get(self, context: RequestContext, ident: str) -> NetworkRecord:
        self._policy.authorize("mogan:network:get", context)
        with self._db.read() as session:
            network = get_or_404(session, Network, ident, "Network")
            return NetworkRecord(network, self._subnets(session, [network.uuid])[network.uuid])

    def create(self, context: RequestContext, request: schemas.NetworkCreate) -> NetworkRecord:
        self._policy.authorize("mogan:network:write", context)
        network = Network(uuid=str(uuid_module.uuid4()), name=request.name)
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
            subnets.append(
                Subnet(
                    uuid=str(uuid_module.uuid4()),
                    network_uuid=network.uuid,
                    cidr=str(ipaddress.ip_network(subnet.cidr)),
                    ip_version=ipaddress.ip_network(subnet.cidr).version,
                    gateway_ip=gateway,
                    allocation_pools=[{"start": str(p.start), "end": str(p.end)} for p in pools],
                )
            )
        with self._db.write() as session:
            session.add(network)
            session.flush()
            session.add_all(subnets)
        return NetworkRecord(network, subnets)

    def update(self, context: RequestContext, ident: str, patch: Any) -> NetworkRecord:
        self._policy.authorize("mogan:network:write", context)
        with self._db.write() as session:
            network = get_or_404(session, Network, ident, "Network")
            patched = schemas.parse(
                schemas.NetworkUpdate,
                apply_patch({"name": network.name}, patch, ("/name",)),
                what="patched network",
            )
            network.name = patched.name
            return NetworkRecord(network, self._subnets(session, [network.uuid])[network.uuid])

    def delete(self, context: RequestContext, ident: str) -> None:
        self._policy.authorize("mogan:network:write", context)
        with self._db.write() as session:
            network = get_or_404(session, Network, ident, "Network")
            if session.scalar(select(exists().where(Port.network_uuid == network.uuid))):
                raise Conflict(f"Network {ident} has ports in use by instances.")
            session.delete(network)

    def list_ports(self, context: RequestContext, ident: str) -> builtins.list[PortRecord]:
        self._policy.authorize("mogan:network:get", context)
        with self._db.read() as session:
            network = get_or_404(session, Network, ident, "Network")
            query = select(Port).where(Port.network_uuid == network.uuid)
            if not self._policy.check("mogan:network:get_all_ports", context):
                # A tenant sees only its own instances' ports: another's MACs and addresses
                # are theirs.
                query = query.join(Instance, Instance.uuid == Port.instance_uuid).where(
                    Instance.project_id == context.project_id
                )
            ports = list(session.scalars(query.order_by(Port.created_at, Port.uuid)))
            ips: dict[str, builtins.list[FixedIP]] = {p.uuid: [] for p in ports}
            if ports:
                for ip in session.scalars(
                    select(FixedIP).where(FixedIP.port_uuid.in_(list(ips))).order_by(FixedIP.id)
                ):
                    ips[ip.port_uuid].append(ip)
        return [PortRecord(p, ips[p.uuid]) for p in ports]

    @staticmethod
    def _subnets(
        session: Any, network_uuids: builtins.list[str]
    ) -> dict[str, builtins.list[Subnet]]:
        result: dict[str, builtins.list[Subnet]] = {u: [] for u in network_uuids}
        if network_uuids:
            for subnet in session.scalars(
                select(Subnet)
                .where(Subnet.network_uuid.in_(network_uuids))
                .order_by(Subnet.created_at, Subnet.uuid)
            ):
                result[subnet.network_uuid].append(subnet)
        return result
