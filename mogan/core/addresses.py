"""IP address arithmetic for the built-in IP allocation. Pure; no I/O."""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Pool:
    start: IPAddress
    end: IPAddress

    def __iter__(self) -> Iterator[IPAddress]:
        current = int(self.start)
        last = int(self.end)
        while current <= last:
            yield ipaddress.ip_address(current)
            current += 1


def default_pool(cidr: str, gateway_ip: str | None) -> Pool:
    """The whole subnet less the network, broadcast (IPv4) and gateway addresses' edges.

    Like Neutron: the pool runs from the first usable host to the last, and when the gateway
    sits at one edge of that range the pool starts (or ends) beside it.
    """
    network = ipaddress.ip_network(cidr, strict=True)
    first = int(network.network_address) + 1
    last = int(network.broadcast_address) - (1 if network.version == 4 else 0)
    if network.num_addresses <= 2:
        first, last = int(network.network_address), int(network.broadcast_address)
    if gateway_ip is not None:
        gateway = int(ipaddress.ip_address(gateway_ip))
        if gateway == first:
            first += 1
        elif gateway == last:
            last -= 1
    return Pool(ipaddress.ip_address(first), ipaddress.ip_address(last))


def default_gateway(cidr: str) -> str | None:
    """The first host address of ``cidr`` (Neutron's default gateway), or None if it is not
    a valid network (validation reports that)."""
    try:
        network = ipaddress.ip_network(cidr, strict=True)
    except ValueError:
        return None
    if network.num_addresses <= 2:
        return None
    return str(network.network_address + 1)


def validate_subnet(
    cidr: str, gateway_ip: str | None, pools: Sequence[tuple[str, str]]
) -> list[Pool]:
    """Check a subnet definition; return its pools. Raises ``ValueError`` saying what is wrong."""
    try:
        network = ipaddress.ip_network(cidr, strict=True)
    except ValueError as exc:
        raise ValueError(f"cidr {cidr!r} is not a valid network address: {exc}") from None
    if gateway_ip is not None:
        try:
            gateway = ipaddress.ip_address(gateway_ip)
        except ValueError:
            raise ValueError(f"gateway_ip {gateway_ip!r} is not an IP address") from None
        if gateway not in network:
            raise ValueError(f"gateway_ip {gateway_ip} is outside {cidr}")
    if not pools:
        return [default_pool(cidr, gateway_ip)]
    result: list[Pool] = []
    for start_text, end_text in pools:
        try:
            start, end = ipaddress.ip_address(start_text), ipaddress.ip_address(end_text)
        except ValueError:
            raise ValueError(
                f"allocation pool {start_text}-{end_text} holds an invalid address"
            ) from None
        if start not in network or end not in network:
            raise ValueError(f"allocation pool {start_text}-{end_text} is outside {cidr}")
        if int(start) > int(end):
            raise ValueError(f"allocation pool {start_text}-{end_text} ends before it starts")
        result.append(Pool(start, end))
    ordered = sorted(result, key=lambda p: int(p.start))
    for before, after in itertools.pairwise(ordered):
        if int(after.start) <= int(before.end):
            raise ValueError(
                f"allocation pools {before.start}-{before.end} and "
                f"{after.start}-{after.end} overlap"
            )
    return result


def pool_size(pools: Iterable[Pool], gateway_ip: str | None) -> int:
    """How many addresses ``pools`` hold, the gateway aside."""
    skip = int(ipaddress.ip_address(gateway_ip)) if gateway_ip is not None else None
    return sum(
        int(p.end) - int(p.start) + 1 - (skip is not None and int(p.start) <= skip <= int(p.end))
        for p in pools
    )


def nth_address(pools: Iterable[Pool], gateway_ip: str | None, position: int) -> str | None:
    """The address at ``position`` in ``pools`` (lowest pool first, the gateway left out),
    counting round and round: position ``pool_size()`` is the first address again. None when
    the pools hold no address.

    A subnet hands out the addresses at its successive positions, as a sequence hands out
    numbers: an allocation looks at one address instead of every taken one, and a released
    address (still in other machines' ARP caches) waits until the pools have come round.
    """
    ordered = sorted(pools, key=lambda p: int(p.start))
    total = pool_size(ordered, gateway_ip)
    if total == 0:
        return None
    skip = int(ipaddress.ip_address(gateway_ip)) if gateway_ip is not None else None
    index = position % total
    for pool in ordered:
        start, end = int(pool.start), int(pool.end)
        size = end - start + 1 - (skip is not None and start <= skip <= end)
        if index < size:
            value = start + index
            if skip is not None and start <= skip <= value:
                value += 1
            return str(type(pool.start)(value))  # IPv4Address or IPv6Address, as the pool's
        index -= size
    raise AssertionError("unreachable: index < total")
