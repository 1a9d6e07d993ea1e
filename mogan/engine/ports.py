"""Ports and fixed IPs: wiring an instance's NICs to its networks."""

from __future__ import annotations

import ipaddress
import itertools
import uuid as uuid_module
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update

from mogan.core.addresses import Pool, in_turn
from mogan.core.errors import MoganError
from mogan.core.placement import NetworkRequest
from mogan.db.database import Executor
from mogan.db.models import FixedIP, Port, Subnet, table_of

_PORTS = table_of(Port)
_FIXED_IPS = table_of(FixedIP)
_SUBNETS = table_of(Subnet)

#: Addresses checked per query when looking for a free one, and how many such looks are made
#: before reading every taken address of the subnet instead (it is then nearly full).
WINDOW = 64
LOOKS = 4


class AddressesExhausted(MoganError):
    """A subnet has no free address left."""


def _pools(allocation_pools: list[dict[str, str]]) -> list[Pool]:
    return [
        Pool(ipaddress.ip_address(p["start"]), ipaddress.ip_address(p["end"]))
        for p in allocation_pools
    ]


_ADD_PORT = insert(_PORTS)
_ADD_FIXED_IP = insert(_FIXED_IPS)
# Locked (PostgreSQL; SQLite writers are serialized already) so concurrent schedulers take
# turns at picking the next free address instead of all picking the same one and colliding.
# Subnets are locked after the node, always in the same order, so schedulers cannot deadlock.
_SUBNETS_OF = (
    select(
        _SUBNETS.c.uuid,
        _SUBNETS.c.cidr,
        _SUBNETS.c.gateway_ip,
        _SUBNETS.c.allocation_pools,
        _SUBNETS.c.last_allocated_ip,
    )
    .where(_SUBNETS.c.network_uuid == bindparam("network"))
    .order_by(_SUBNETS.c.created_at, _SUBNETS.c.uuid)
    .with_for_update()
)
_TAKEN = select(_FIXED_IPS.c.ip_address).where(_FIXED_IPS.c.subnet_uuid == bindparam("subnet"))
_IS_TAKEN = _TAKEN.where(_FIXED_IPS.c.ip_address == bindparam("candidate"))
_TAKEN_AMONG = _TAKEN.where(_FIXED_IPS.c.ip_address.in_(bindparam("candidates", expanding=True)))
_ALLOCATED = (
    update(_SUBNETS)
    .where(_SUBNETS.c.uuid == bindparam("subnet"))
    .values(last_allocated_ip=bindparam("address"))
)


def allocate(
    executor: Executor,
    instance_uuid: str,
    networks: Sequence[NetworkRequest],
    nic_uuids: Sequence[str],
    macs: dict[str, str],
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Create one port per requested network on the chosen NICs (``macs`` gives their MAC
    addresses), each with an IP per subnet.

    Returns the instance's ``network_info`` and the subnets its addresses are on (uuid →
    ``cidr``, ``gateway_ip``). Allocation on a subnet is serialized by a row lock;
    addresses are also unique per subnet by constraint, so even a missed lock could only fail
    the transaction, never share an address. Rows are written with plain (Core) inserts: the
    ORM's unit of work cost more than the rest of scheduling put together.
    """
    network_info: dict[str, Any] = {}
    subnets_used: dict[str, dict[str, Any]] = {}
    for request, nic_uuid in zip(networks, nic_uuids, strict=True):
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
        fixed_ips = []
        for subnet in executor.execute(_SUBNETS_OF, {"network": request.net_id}).all():
            address = _next_free(executor, subnet)
            if address is None:
                raise AddressesExhausted(
                    f"No free IP address is left in subnet {subnet.uuid} "
                    f"({subnet.cidr}) of network {request.net_id}."
                )
            executor.execute(
                _ADD_FIXED_IP,
                {"port_uuid": port_uuid, "subnet_uuid": subnet.uuid, "ip_address": address},
            )
            executor.execute(_ALLOCATED, {"subnet": subnet.uuid, "address": address})
            fixed_ips.append({"ip_address": address, "subnet_id": subnet.uuid})
            subnets_used[subnet.uuid] = {"cidr": subnet.cidr, "gateway_ip": subnet.gateway_ip}
        network_info[port_uuid] = {
            "network": request.net_id,
            "mac_address": macs[nic_uuid],
            "fixed_ips": fixed_ips,
        }
    return network_info, subnets_used


def _next_free(executor: Executor, subnet: Any) -> str | None:
    """The subnet's next free address in turn (see ``addresses.in_turn``), or None when full.

    Addresses are taken in turn, so the one after the last allocation is nearly always free
    and one look settles it. Once the pools have come round, a look at ``WINDOW`` addresses at
    a time; a subnet where several such looks find nothing is nearly full, and one read of all
    its taken addresses settles that.
    """
    order = in_turn(_pools(subnet.allocation_pools), subnet.last_allocated_ip, subnet.gateway_ip)
    following = next(order, None)
    if following is None:
        return None
    if executor.scalar(_IS_TAKEN, {"subnet": subnet.uuid, "candidate": following}) is None:
        return following
    for _ in range(LOOKS):
        window = list(itertools.islice(order, WINDOW))
        if not window:
            return None
        taken = set(executor.scalars(_TAKEN_AMONG, {"subnet": subnet.uuid, "candidates": window}))
        for address in window:
            if address not in taken:
                return address
    taken = set(executor.scalars(_TAKEN, {"subnet": subnet.uuid}))
    return next((address for address in order if address not in taken), None)


_PORTS_OF = select(_PORTS.c.uuid).where(_PORTS.c.instance_uuid == bindparam("instance"))
_DELETE_FIXED_IPS = delete(_FIXED_IPS).where(_FIXED_IPS.c.port_uuid.in_(_PORTS_OF))
_DELETE_PORTS = delete(_PORTS).where(_PORTS.c.instance_uuid == bindparam("instance"))


def release(executor: Executor, instance_uuid: str) -> None:
    """Delete the instance's ports and their addresses."""
    executor.execute(_DELETE_FIXED_IPS, {"instance": instance_uuid})
    executor.execute(_DELETE_PORTS, {"instance": instance_uuid})
