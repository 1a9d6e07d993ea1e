"""The networks' data: networks, their subnets, and the ports allocated on them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import exists, select

from mogan.db import models
from mogan.db.database import Database, Executor
from mogan.db.models import FIXED_IPS, INSTANCES
from mogan.db.records import FixedIpRow, NetworkRow, PortRow, SubnetRow
from mogan.db.table import Table, columns_of

NETWORKS: Table[NetworkRow] = Table(models.NETWORKS, NetworkRow)
SUBNETS: Table[SubnetRow] = Table(models.SUBNETS, SubnetRow)
PORTS: Table[PortRow] = Table(models.PORTS, PortRow)
SORT_KEYS = ("name", "created_at", "uuid")

_SUBNETS = models.SUBNETS
_PORTS = models.PORTS


def add(tx: Executor, network: NetworkRow, subnets: Sequence[SubnetRow]) -> None:
    NETWORKS.add(tx, network)
    for subnet in subnets:
        SUBNETS.add(tx, subnet)


def subnets_of(db: Database, network_uuids: Sequence[str]) -> dict[str, list[SubnetRow]]:
    """Each network's subnets, oldest first."""
    found: dict[str, list[SubnetRow]] = {uuid: [] for uuid in network_uuids}
    if network_uuids:
        with db.read_rows() as connection:
            for subnet in SUBNETS.select(
                connection,
                _SUBNETS.c.network_uuid.in_(list(network_uuids)),
                order_by=(_SUBNETS.c.created_at, _SUBNETS.c.uuid),
            ):
                found[subnet.network_uuid].append(subnet)
    return found


def subnets_by_uuid(db: Database, uuids: Sequence[str]) -> dict[str, SubnetRow]:
    with db.read_rows() as connection:
        found = SUBNETS.select(connection, _SUBNETS.c.uuid.in_(list(uuids)))
    return {subnet.uuid: subnet for subnet in found}


def has_ports(tx: Executor, network_uuid: str) -> bool:
    return bool(tx.execute(select(exists().where(_PORTS.c.network_uuid == network_uuid))).scalar())


def ports_on(
    db: Database, network_uuid: str, *, project_id: str | None
) -> list[tuple[PortRow, list[FixedIpRow]]]:
    """The ports on the network with their addresses, oldest first: those of
    ``project_id``'s instances, or every project's when None."""
    query = PORTS.rows.where(_PORTS.c.network_uuid == network_uuid)
    if project_id is not None:
        query = query.join(INSTANCES, INSTANCES.c.uuid == _PORTS.c.instance_uuid).where(
            INSTANCES.c.project_id == project_id
        )
    with db.read_rows() as connection:
        ports = [
            PortRow._make(row)
            for row in connection.execute(query.order_by(_PORTS.c.created_at, _PORTS.c.uuid))
        ]
        addresses: dict[str, list[FixedIpRow]] = {port.uuid: [] for port in ports}
        if ports:
            for row in connection.execute(
                select(*columns_of(FIXED_IPS, FixedIpRow))
                .where(FIXED_IPS.c.port_uuid.in_(list(addresses)))
                .order_by(FIXED_IPS.c.id)
            ):
                addresses[row.port_uuid].append(FixedIpRow._make(row))
    return [(port, addresses[port.uuid]) for port in ports]
