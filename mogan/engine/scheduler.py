"""Choosing and claiming a node for an instance.

Candidates are filtered in SQL (free, not in maintenance, enabled driver, zone, resource
class), ranked there (the node with the fewest NICs first, to keep bigger nodes for bigger
requests; ties shuffled so concurrent schedulers spread out), and only the best
``SAMPLE_SIZE`` are loaded and checked for what SQL cannot express portably (capabilities, NIC
fit). Loading every free node for every instance made scheduling cost grow with the fleet;
only when none of the sample fits, or others claimed all of it first, is the rest of the fleet
examined. The claim is one conditional UPDATE, so any number of schedulers are safe and a lost
claim just moves on to the next candidate.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select, update
from sqlalchemy.engine import Row

from mogan.core.placement import (
    NetworkRequest,
    TypeRequirements,
    assign_nics,
    parse_capabilities,
)
from mogan.db.database import Executor
from mogan.db.models import Nic, Node, table_of
from mogan.drivers.base import AVAILABLE

#: How many of the best-ranked free nodes one scheduling attempt loads first.
SAMPLE_SIZE = 32

_NODES = table_of(Node)
_NICS = table_of(Nic)

#: A node Mogan drives itself has no provision state; one owned by Ironic must be available.
_PROVISIONABLE = or_(_NODES.c.provision_state.is_(None), _NODES.c.provision_state == AVAILABLE)


@dataclass(frozen=True)
class FreeNode:
    """What scheduling needs of a node (loaded as plain rows, not ORM objects)."""

    uuid: str
    name: str
    availability_zone: str | None
    properties: dict[str, Any]


@dataclass(frozen=True)
class Candidate:
    node: FreeNode
    #: NIC uuid for each requested network, in request order.
    nic_uuids: list[str]
    #: The MAC address of each of those NICs.
    macs: dict[str, str]


@dataclass(frozen=True)
class Claimed:
    """A node now serving the instance, and how its NICs serve the requested networks."""

    #: The claimed node's ``nodes`` row, as the claim left it.
    node: Row[Any]
    nic_uuids: list[str]
    macs: dict[str, str]


@dataclass(frozen=True)
class Request:
    requirements: TypeRequirements
    networks: Sequence[NetworkRequest]
    availability_zone: str | None
    exclude: Sequence[str]
    drivers: Sequence[str]


def claim_best(executor: Executor, request: Request, instance_uuid: str) -> Claimed | None:
    """Claim the best fitting free node for the instance; None when no node is left for it.

    Candidates come from the best-ranked sample first. Concurrent schedulers draw from the same
    top of the ranking, so when every node of a full sample was claimed by others meanwhile,
    the rest of the fleet is tried before giving up.
    """
    shape = (
        request.availability_zone is not None,
        request.requirements.resource_class_trait is not None,
        bool(request.exclude),
    )
    params = {
        "drivers": list(request.drivers),
        "zone": request.availability_zone,
        "trait": request.requirements.resource_class_trait,
        "exclude": list(request.exclude),
    }
    sample = [FreeNode(*row) for row in executor.execute(_free_nodes(*shape, sample=True), params)]
    lost: set[str] = set()
    won = _claim_first(executor, request, sample, instance_uuid, lost)
    if won is not None or len(sample) < SAMPLE_SIZE:  # a short sample was the whole fleet
        return won
    rest = [FreeNode(*row) for row in executor.execute(_free_nodes(*shape, sample=False), params)]
    return _claim_first(executor, request, rest, instance_uuid, lost)


def _claim_first(
    executor: Executor, request: Request, free: list[FreeNode], instance_uuid: str, lost: set[str]
) -> Claimed | None:
    """Claim the first of ``free`` that fits and is not in ``lost`` (nodes others claimed
    first, to which each lost race here is added)."""
    for candidate in _fitting(executor, request, [n for n in free if n.uuid not in lost]):
        node = claim(executor, candidate.node.uuid, instance_uuid)
        if node is not None:
            return Claimed(node, candidate.nic_uuids, candidate.macs)
        lost.add(candidate.node.uuid)
    return None


@functools.cache
def _free_nodes(
    by_zone: bool, by_trait: bool, excluding: bool, *, sample: bool
) -> Select[tuple[str, str, str | None, dict[str, Any]]]:
    """The ranked free nodes (the best ``SAMPLE_SIZE`` of them if ``sample``), built once per
    shape of request. Parameters: ``drivers``, ``zone``, ``trait``, ``exclude``."""
    query = select(
        _NODES.c.uuid, _NODES.c.name, _NODES.c.availability_zone, _NODES.c.properties
    ).where(
        _NODES.c.instance_uuid.is_(None),
        _NODES.c.maintenance.is_(False),
        _PROVISIONABLE,
        _NODES.c.driver.in_(bindparam("drivers", expanding=True)),
    )
    if by_zone:
        query = query.where(_NODES.c.availability_zone == bindparam("zone"))
    if by_trait:
        query = query.where(_NODES.c.resource_class_trait == bindparam("trait"))
    if excluding:
        query = query.where(_NODES.c.uuid.not_in(bindparam("exclude", expanding=True)))
    query = query.order_by(_NODES.c.nic_count, func.random())
    return query.limit(SAMPLE_SIZE) if sample else query


_NICS_OF = (
    select(_NICS.c.uuid, _NICS.c.node_uuid, _NICS.c.port_type, _NICS.c.mac_address)
    .where(_NICS.c.node_uuid.in_(bindparam("nodes", expanding=True)))
    .order_by(_NICS.c.mac_address)
)


def _fitting(executor: Executor, request: Request, free: list[FreeNode]) -> list[Candidate]:
    """Those of ``free`` (in rank order) whose capabilities and NICs fit the request."""
    nodes = [
        n
        for n in free
        if request.requirements.capabilities_match(
            parse_capabilities(n.properties.get("capabilities"))
        )
    ]
    if not nodes:
        return []
    nics: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    macs: dict[str, str] = {}
    for nic_uuid, node_uuid, port_type, mac in executor.execute(
        _NICS_OF, {"nodes": [n.uuid for n in nodes]}
    ):
        nics[node_uuid].append((nic_uuid, port_type))
        macs[nic_uuid] = mac
    fitting = []
    for node in nodes:
        assignment = assign_nics(nics[node.uuid], request.networks)
        if assignment is not None:
            fitting.append(Candidate(node, assignment, {n: macs[n] for n in assignment}))
    return fitting


_CLAIM = (
    update(_NODES)
    .where(
        _NODES.c.uuid == bindparam("claiming"),
        _NODES.c.instance_uuid.is_(None),
        _NODES.c.maintenance.is_(False),
        _PROVISIONABLE,
    )
    .values(instance_uuid=bindparam("claimant"))
    .returning(*_NODES.c)
)


def claim(executor: Executor, node_uuid: str, instance_uuid: str) -> Row[Any] | None:
    """Make the node serve the instance if it is still free and return its row as claimed;
    None when someone else won."""
    return executor.execute(_CLAIM, {"claiming": node_uuid, "claimant": instance_uuid}).first()


_RELEASE = update(_NODES).where(
    _NODES.c.uuid == bindparam("releasing"), _NODES.c.instance_uuid == bindparam("serving")
)


def release(executor: Executor, node_uuid: str, instance_uuid: str, **values: object) -> None:
    """Free the node if it still serves ``instance_uuid`` (and set ``values`` on it)."""
    executor.execute(
        _RELEASE,
        {"releasing": node_uuid, "serving": instance_uuid, "instance_uuid": None, **values},
    )


_TORN_DOWN = (
    update(_NODES)
    .where(_NODES.c.uuid == bindparam("node_uuid"), _NODES.c.provision_state.is_not(None))
    .values(provision_state=AVAILABLE)
)


def mark_torn_down(executor: Executor, node_uuid: str) -> None:
    """A successful tear-down leaves a node its owner manages (Ironic) available again,
    without waiting for the next inventory sync to say so."""
    executor.execute(_TORN_DOWN, {"node_uuid": node_uuid})
