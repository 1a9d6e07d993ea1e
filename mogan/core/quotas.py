"""Quotas: what a project may hold, and the arithmetic of a request against it.

Usage is never stored: it is counted from the data (instances, key pairs, server groups and
their members) in the transaction that adds to it, under a per-project lock, so it cannot
drift and concurrent requests cannot over-commit (``mogan.db.quotas``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mogan.core.errors import QuotaExceeded

UNLIMITED = -1

INSTANCES = "instances"
KEYPAIRS = "keypairs"
SERVER_GROUPS = "server_groups"
SERVER_GROUP_MEMBERS = "server_group_members"
#: The counted resources with a name of their own; node classes are ``resources``.
RESOURCES = (INSTANCES, KEYPAIRS, SERVER_GROUPS, SERVER_GROUP_MEMBERS)
#: How a per-class limit is stored: ``class:CUSTOM_GOLD``.
CLASS_PREFIX = "class:"


@dataclass(frozen=True)
class Limits:
    """A project's limits: each named resource, and nodes per resource class (``nodes``
    for a class without a limit of its own)."""

    instances: int = UNLIMITED
    keypairs: int = UNLIMITED
    server_groups: int = UNLIMITED
    server_group_members: int = UNLIMITED
    nodes: int = UNLIMITED
    classes: Mapping[str, int] = field(default_factory=dict)

    def of_class(self, resource_class: str) -> int:
        return self.classes.get(resource_class, self.nodes)

    def of(self, resource: str) -> int:
        if resource.startswith(CLASS_PREFIX):
            return self.of_class(resource[len(CLASS_PREFIX) :])
        limit: int = getattr(self, resource)
        return limit


def allowed(limit: int, in_use: int, wanted: int) -> int:
    """How many of ``wanted`` fit under ``limit`` with ``in_use`` held already."""
    if limit == UNLIMITED:
        return wanted
    return max(0, min(wanted, limit - in_use))


def check(resource: str, limit: int, in_use: int, requested: int = 1) -> None:
    """``QuotaExceeded`` naming the resource, the limit and the usage, unless ``requested``
    more fit."""
    if allowed(limit, in_use, requested) < requested:
        name = (
            resource[len(CLASS_PREFIX) :] + " nodes"
            if resource.startswith(CLASS_PREFIX)
            else resource
        )
        raise QuotaExceeded(
            f"Quota exceeded for {name}: requested {requested}, limit {limit}, in use {in_use}."
        )
