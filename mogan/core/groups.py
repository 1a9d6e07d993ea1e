"""Server groups and placement hints: which failure domains the next node may be in.

A failure domain is what a group spreads instances across or keeps them within: the node
itself (the default) or a node property an operator sets, such as ``rack`` or
``power_domain``. A node without that property is a domain of its own, so it never counts as
sharing one with anything.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

AFFINITY = "affinity"
ANTI_AFFINITY = "anti-affinity"
SOFT_AFFINITY = "soft-affinity"
SOFT_ANTI_AFFINITY = "soft-anti-affinity"
POLICIES = (AFFINITY, ANTI_AFFINITY, SOFT_AFFINITY, SOFT_ANTI_AFFINITY)
#: The failure domain meaning "the node itself".
NODE = "node"


def domain_of(node_uuid: str, properties: Mapping[str, Any] | None, failure_domain: str) -> str:
    """The failure domain a node is in: its uuid, or its ``failure_domain`` property."""
    if failure_domain == NODE:
        return node_uuid
    value = (properties or {}).get(failure_domain)
    return f"{failure_domain}={value}" if value not in (None, "") else node_uuid


@dataclass(frozen=True)
class Spread:
    """What a group's policy and the instance's hints ask of the next node's domain.

    ``members`` counts the domains the group's other members are in; ``different`` and
    ``same`` are the domains of the instances named by ``different_host`` and
    ``same_host``.
    """

    policy: str | None = None
    members: Counter[str] = field(default_factory=Counter)
    max_per_domain: int = 1
    different: frozenset[str] = frozenset()
    same: frozenset[str] = frozenset()

    @property
    def constrains(self) -> bool:
        return bool(self.policy or self.different or self.same)

    def allows(self, domain: str) -> bool:
        """Whether the hard rules let the next member go to ``domain``."""
        if domain in self.different:
            return False
        if self.same and self.same != {domain}:
            return False
        if self.policy == ANTI_AFFINITY and self.members[domain] >= self.max_per_domain:
            return False
        return not (self.policy == AFFINITY and self.members and domain not in self.members)

    def preference(self, domain: str) -> int:
        """A sort key among allowed domains (lower is better) for the soft policies."""
        if self.policy == SOFT_ANTI_AFFINITY:
            return self.members[domain]
        if self.policy == SOFT_AFFINITY:
            return -self.members[domain]
        return 0

    def explain(self) -> str:
        """Why no node fits, for the fault: the rules in force."""
        rules = []
        if self.policy == ANTI_AFFINITY:
            rules.append(
                f"the server group's anti-affinity policy (at most {self.max_per_domain} per "
                "failure domain)"
            )
        elif self.policy == AFFINITY:
            rules.append("the server group's affinity policy (all in one failure domain)")
        if self.different:
            rules.append("the different_host hint")
        if self.same:
            rules.append("the same_host hint")
        return " and ".join(rules)
