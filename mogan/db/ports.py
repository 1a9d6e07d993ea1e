"""Ports and fixed IPs: wiring an instance's NICs to its networks.

Addresses are handed out as a sequence hands out numbers (``reserve``): each subnet counts
its allocations, and a reservation takes the address at the next position of its pools in a
statement that commits on its own. Schedulers therefore never queue behind one another's
transactions for an address, as they did while a subnet's row stayed locked until the
scheduling transaction committed. A reserved address that goes unused (no node was found,
the transaction failed) is skipped, as a sequence skips numbers; it comes back when the pools
have come round. Addresses are also unique per subnet by constraint, so nothing can ever
share one.
"""

from __future__ import annotations

import ipaddress
import uuid as uuid_module
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update

from mogan.core.addresses import Pool, nth_address, pool_size
from mogan.core.errors import MoganError
from mogan.core.placement import NetworkRequest
from mogan.db.database import Database, Executor
from mogan.db.models import FIXED_IPS, PORTS, SUBNETS

#: Taken addresses one reservation steps over before it reads every taken address of the
#: subnet instead (the pools have come round to addresses still in use, or it is nearly full).
LOOKS = 4


class AddressesExhausted(MoganError):
    """A subnet has no free address left."""


@dataclass(frozen=True)
class Address:
    """An address reserved on a subnet."""

    subnet_uuid: str
    ip_address: str
    cidr: str
    gateway_ip: str | None


def _pools(allocation_pools: list[dict[str, str]]) -> list[Pool]:
    return [
        Pool(ipaddress.ip_address(p["start"]), ipaddress.ip_address(p["end"]))
        for p in allocation_pools
    ]


_SUBNET_COLUMNS = (
    SUBNETS.c.uuid,
    SUBNETS.c.cidr,
    SUBNETS.c.gateway_ip,
    SUBNETS.c.allocation_pools,
    SUBNETS.c.allocations,
    SUBNETS.c.created_at,
)
#: One more allocation on every subnet of a network; returns the subnets with their counts.
_COUNT_ON_NETWORK = (
    update(SUBNETS)
    .where(SUBNETS.c.network_uuid == bindparam("network"))
    .values(allocations=SUBNETS.c.allocations + 1)
    .returning(*_SUBNET_COLUMNS)
)
_COUNT_ON_SUBNET = (
    update(SUBNETS)
    .where(SUBNETS.c.uuid == bindparam("subnet"))
    .values(allocations=SUBNETS.c.allocations + 1)
    .returning(*_SUBNET_COLUMNS)
)
_SET_COUNT = (
    update(SUBNETS)
    .where(SUBNETS.c.uuid == bindparam("subnet"))
    .values(allocations=bindparam("count"))
)
_TAKEN = select(FIXED_IPS.c.ip_address).where(FIXED_IPS.c.subnet_uuid == bindparam("subnet"))
_IS_TAKEN = _TAKEN.where(FIXED_IPS.c.ip_address == bindparam("candidate"))


def reserve(db: Database, networks: Sequence[NetworkRequest]) -> list[list[Address]]:
    """An address on every subnet of each requested network, in request order.

    Each reservation is a statement of its own, committed at once: call it outside any open
    transaction. Raises ``AddressesExhausted`` when a subnet has no free address.
    """
    reserved = []
    for request in networks:
        counted = db.write_one(_COUNT_ON_NETWORK, {"network": request.net_id})
        reserved.append(
            [_free_address(db, subnet, request.net_id) for subnet in sorted(counted, key=_key)]
        )
    return reserved


def _key(subnet: Any) -> tuple[Any, str]:
    return (subnet.created_at, subnet.uuid)  # the order in which the network lists them


def _free_address(db: Database, subnet: Any, network_uuid: str) -> Address:
    """The address at the subnet's count, or at the next counts while those are taken."""
    pools = _pools(subnet.allocation_pools)
    for _ in range(LOOKS):
        candidate = nth_address(pools, subnet.gateway_ip, subnet.allocations - 1)
        if candidate is None:
            break
        with db.read_rows() as connection:
            taken = connection.scalar(_IS_TAKEN, {"subnet": subnet.uuid, "candidate": candidate})
        if taken is None:
            return Address(subnet.uuid, candidate, subnet.cidr, subnet.gateway_ip)
        (subnet,) = db.write_one(_COUNT_ON_SUBNET, {"subnet": subnet.uuid})
    # Many taken in a row: look at them all once, and move the count past the first free one.
    with db.read_rows() as connection:
        taken_all = set(connection.scalars(_TAKEN, {"subnet": subnet.uuid}))
    size = pool_size(pools, subnet.gateway_ip)
    for position in range(subnet.allocations, subnet.allocations + size):
        candidate = nth_address(pools, subnet.gateway_ip, position)
        if candidate is not None and candidate not in taken_all:
            db.write_one(_SET_COUNT, {"subnet": subnet.uuid, "count": position + 1})
            return Address(subnet.uuid, candidate, subnet.cidr, subnet.gateway_ip)
    raise AddressesExhausted(
        f"No free IP address is left in subnet {subnet.uuid} ({subnet.cidr}) of network "
        f"{network_uuid}."
    )


_ADD_PORT = insert(PORTS)
_ADD_FIXED_IP = insert(FIXED_IPS)


def allocate(
    executor: Executor,
    instance_uuid: str,
    networks: Sequence[NetworkRequest],
    nic_uuids: Sequence[str],
    macs: dict[str, str],
    addresses: Sequence[Sequence[Address]],
) -> dict[str, Any]:
    """Create one port per requested network on the chosen NICs (``macs`` gives their MAC
    addresses), with the addresses ``reserve`` gave each request; returns the instance's
    ``network_info``.

    Rows are written with plain (Core) inserts: the ORM's unit of work cost more than the rest
    of scheduling put together.
    """
    network_info: dict[str, Any] = {}
    for request, nic_uuid, reserved in zip(networks, nic_uuids, addresses, strict=True):
        port_uuid = str(uuid_module.uuid4())
        executor.execute(
            _ADD_PORT,
            {
                "uuid": port_uuid,
                "network_uuid": request.net_id,
                "instance_uuid": instance_uuid,
                "nic_uuid": nic_uuid,
                "mac_address": macs[nic_uuid],
            },
        )
        for address in reserved:
            executor.execute(
                _ADD_FIXED_IP,
                {
                    "port_uuid": port_uuid,
                    "subnet_uuid": address.subnet_uuid,
                    "ip_address": address.ip_address,
                },
            )
        network_info[port_uuid] = {
            "network": request.net_id,
            "mac_address": macs[nic_uuid],
            "fixed_ips": [
                {"ip_address": a.ip_address, "subnet_id": a.subnet_uuid} for a in reserved
            ],
        }
    return network_info


_PORTS_OF = select(PORTS.c.uuid).where(PORTS.c.instance_uuid == bindparam("instance"))
_DELETE_FIXED_IPS = delete(FIXED_IPS).where(FIXED_IPS.c.port_uuid.in_(_PORTS_OF))
_DELETE_PORTS = delete(PORTS).where(PORTS.c.instance_uuid == bindparam("instance"))


def release(executor: Executor, instance_uuid: str) -> None:
    """Delete the instance's ports and their addresses."""
    executor.execute(_DELETE_FIXED_IPS, {"instance": instance_uuid})
    executor.execute(_DELETE_PORTS, {"instance": instance_uuid})


@dataclass(frozen=True)
class Wired:
    """A Neutron port on one of an instance's NICs, as Mogan records it."""

    uuid: str
    network_uuid: str
    nic_uuid: str
    mac_address: str
    preserve_on_delete: bool = False


def record(executor: Executor, instance_uuid: str, wired: Sequence[Wired]) -> None:
    """Record Neutron ports on the instance's NICs (their addresses are Neutron's)."""
    for port in wired:
        executor.execute(
            _ADD_PORT,
            {
                "uuid": port.uuid,
                "network_uuid": port.network_uuid,
                "instance_uuid": instance_uuid,
                "nic_uuid": port.nic_uuid,
                "mac_address": port.mac_address,
                "preserve_on_delete": port.preserve_on_delete,
            },
        )


_OF_INSTANCE = select(PORTS).where(PORTS.c.instance_uuid == bindparam("instance"))


def of_instance(db: Database, instance_uuid: str) -> list[Wired]:
    """The ports on the instance's NICs."""
    with db.read_rows() as connection:
        rows = connection.execute(_OF_INSTANCE, {"instance": instance_uuid}).all()
    return [
        Wired(r.uuid, r.network_uuid, r.nic_uuid, r.mac_address, r.preserve_on_delete) for r in rows
    ]


_DELETE_FIXED_IPS_OF = delete(FIXED_IPS).where(FIXED_IPS.c.port_uuid == bindparam("port"))
_DELETE_PORT = delete(PORTS).where(PORTS.c.uuid == bindparam("port"))


def release_one(executor: Executor, port_uuid: str) -> None:
    """Delete one port and its addresses."""
    executor.execute(_DELETE_FIXED_IPS_OF, {"port": port_uuid})
    executor.execute(_DELETE_PORT, {"port": port_uuid})
