"""A consistent hash ring: which engine looks after which node in periodic jobs.

Every engine builds the same ring from the same list of live engines (read from the database),
so each node has exactly one owner; when an engine joins or dies only about 1/N of the nodes
move. Virtual points smooth the share each engine gets.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable


def _point(key: str) -> int:
    return int.from_bytes(hashlib.md5(key.encode(), usedforsecurity=False).digest()[:8], "big")


class HashRing:
    def __init__(self, members: Iterable[str], replicas: int = 64) -> None:
        self.members = sorted(set(members))
        ring = sorted(
            (_point(f"{member}#{i}"), member) for member in self.members for i in range(replicas)
        )
        self._points = [point for point, _ in ring]
        self._owners = [member for _, member in ring]
        self._partitions: dict[str, str] | None = None

    def owner(self, key: str) -> str | None:
        """The member responsible for ``key`` (None on an empty ring)."""
        if not self._points:
            return None
        index = bisect.bisect(self._points, _point(key)) % len(self._points)
        return self._owners[index]

    def share_owner(self, uuid: str) -> str | None:
        """The member whose share of the periodic jobs holds ``uuid`` (a node's or an
        instance's): the owner of its partition (``partition_owners``), so every job divides
        the fleet as evenly as the power sync's ranges do. None on an empty ring."""
        if self._partitions is None:
            self._partitions = partition_owners(self.members)
        owner = self._partitions.get(uuid[:2].lower())
        return owner if owner is not None else self.owner(uuid)


#: The node-uuid space cut in 256 partitions by its first two hex digits. Periodic jobs whose
#: work is read from the database give engines partitions rather than single nodes, so each
#: engine reads its share alone, by ranges of the nodes' primary key.
PARTITIONS = tuple(f"{index:02x}" for index in range(256))


def partition_owners(members: Iterable[str]) -> dict[str, str]:
    """Each partition's owner among ``members``: as even as the count allows, and stable.

    Rendezvous hashing with bounded loads: every partition ranks the members by a hash of
    (member, partition) and goes to the first of its ranking not yet holding its fair share
    (the partitions taken in an order of their own hashes, so no member is favoured by the
    order). Without the bound, shares drift by chance (38% and 62% of a region's nodes were
    seen for two engines on the ring's 64 points each); with it, two engines hold 128
    partitions each. A member joining or leaving moves little more than its fair share, and
    every engine computes the same answer from the same list of live engines.
    """
    ranked_members = sorted(set(members))
    if not ranked_members:
        return {}
    cap = -(-len(PARTITIONS) // len(ranked_members))  # the fair share, rounded up
    load = dict.fromkeys(ranked_members, 0)
    owners: dict[str, str] = {}
    for partition in sorted(PARTITIONS, key=lambda p: _point(f"partition:{p}")):
        ranking = sorted(ranked_members, key=lambda m: _point(f"{m}/{partition}"), reverse=True)
        owner = next(m for m in ranking if load[m] < cap)
        load[owner] += 1
        owners[partition] = owner
    return owners


def owned_ranges(ring: HashRing, member: str) -> list[tuple[str, str | None]]:
    """The node-uuid ranges ``[low, high)`` of the partitions ``member`` owns among the ring's
    members (``partition_owners``), adjacent ones merged (``high`` None: to the end)."""
    owners = partition_owners(ring.members)
    ranges: list[tuple[str, str | None]] = []
    for index, partition in enumerate(PARTITIONS):
        if owners.get(partition) != member:
            continue
        high = PARTITIONS[index + 1] if index + 1 < len(PARTITIONS) else None
        if ranges and ranges[-1][1] == partition:
            ranges[-1] = (ranges[-1][0], high)
        else:
            ranges.append((partition, high))
    return ranges
