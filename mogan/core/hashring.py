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

    def owner(self, key: str) -> str | None:
        """The member responsible for ``key`` (None on an empty ring)."""
        if not self._points:
            return None
        index = bisect.bisect(self._points, _point(key)) % len(self._points)
        return self._owners[index]
