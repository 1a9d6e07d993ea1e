"""Ports and fixed IPs: wiring an instance's NICs to its networks."""

from __future__ import annotations

import ipaddress
import uuid as uuid_module
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from mogan.core.addresses import Pool, first_free
from mogan.core.errors import MoganError
from mogan.core.placement import NetworkRequest
from mogan.db.models import FixedIP, Port, Subnet, table_of


class AddressesExhausted(MoganError):
    """A subnet has no free address left."""


def _pools(allocation_pools: list[dict[str, str]]) -> list[Pool]:
    return [
        Pool(ipaddress.ip_address(p["start"]), ipaddress.ip_address(p["end"]))
        for p in allocation_pools
    ]


def allocate(
    session: Session,
    instance_uuid: str,
    networks: Sequence[NetworkRequest],
    nic_uuids: Sequence[str],
    macs: dict[str, str],
) -> dict[str, Any]:
    """Create one port per requested network on the chosen NICs (``macs`` gives their MAC
    addresses), each with an IP per subnet.

    Returns the instance's ``network_info``. Allocation on a subnet is serialized by a row lock;
    addresses are also unique per subnet by constraint, so even a missed lock could only fail
    the transaction, never share an address. Rows are written with plain (Core) inserts: the
    ORM's unit of work cost more than the rest of scheduling put together.
    """
    network_info: dict[str, Any] = {}
    for request, nic_uuid in zip(networks, nic_uuids, strict=True):
        port_uuid = str(uuid_module.uuid4())
        session.execute(
            insert(table_of(Port)).values(
                uuid=port_uuid,
                network_uuid=request.net_id,
                instance_uuid=instance_uuid,
                nic_uuid=nic_uuid,
                mac_address=macs[nic_uuid],
            )
        )
        fixed_ips = []
        # Lock the subnets (PostgreSQL; SQLite writers are serialized already) so concurrent
        # schedulers take turns at picking "the first free address" instead of all picking
        # the same one and colliding. Subnets are locked after the node, always in the same
        # order, so schedulers cannot deadlock.
        subnets = session.execute(
            select(Subnet.uuid, Subnet.cidr, Subnet.gateway_ip, Subnet.allocation_pools)
            .where(Subnet.network_uuid == request.net_id)
            .order_by(Subnet.created_at, Subnet.uuid)
            .with_for_update()
        ).all()
        for subnet in subnets:
            taken = session.scalars(
                select(FixedIP.ip_address).where(FixedIP.subnet_uuid == subnet.uuid)
            )
            address = first_free(_pools(subnet.allocation_pools), taken, subnet.gateway_ip)
            if address is None:
                raise AddressesExhausted(
                    f"No free IP address is left in subnet {subnet.uuid} "
                    f"({subnet.cidr}) of network {request.net_id}."
                )
            session.execute(
                insert(table_of(FixedIP)).values(
                    port_uuid=port_uuid, subnet_uuid=subnet.uuid, ip_address=address
                )
            )
            fixed_ips.append({"ip_address": address, "subnet_id": subnet.uuid})
        network_info[port_uuid] = {
            "network": request.net_id,
            "mac_address": macs[nic_uuid],
            "fixed_ips": fixed_ips,
        }
    return network_info


def release(session: Session, instance_uuid: str) -> None:
    """Delete the instance's ports and their addresses."""
    ports = select(Port.uuid).where(Port.instance_uuid == instance_uuid)
    session.execute(
        delete(FixedIP)
        .where(FixedIP.port_uuid.in_(ports))
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(Port)
        .where(Port.instance_uuid == instance_uuid)
        .execution_options(synchronize_session=False)
    )
