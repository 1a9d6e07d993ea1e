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

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from mogan.core.placement import (
    NetworkRequest,
    TypeRequirements,
    assign_nics,
    parse_capabilities,
)
from mogan.db.database import affected
from mogan.db.models import Nic, Node
from mogan.drivers.base import AVAILABLE

#: How many of the best-ranked free nodes one scheduling attempt loads first.
SAMPLE_SIZE = 32

#: A node Mogan drives itself has no provision state; one owned by Ironic must be available.
_PROVISIONABLE = or_(Node.provision_state.is_(None), Node.provision_state == AVAILABLE)


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
class Request:
    requirements: TypeRequirements
    networks: Sequence[NetworkRequest]
    availability_zone: str | None
    exclude: Sequence[str]
    drivers: Sequence[str]


def claim_best(session: Session, request: Request, instance_uuid: str) -> Candidate | None:
    """Claim the best fitting free node for the instance; None when no node is left for it.

    Candidates come from the best-ranked sample first. Concurrent schedulers draw from the same
    top of the ranking, so when every node of a full sample was claimed by others meanwhile,
    the rest of the fleet is tried before giving up.
    """
    query = _free_nodes(request)
    sample = [FreeNode(*row) for row in session.execute(query.limit(SAMPLE_SIZE))]
    lost: set[str] = set()
    won = _claim_first(session, request, sample, instance_uuid, lost)
    if won is not None or len(sample) < SAMPLE_SIZE:  # a short sample was the whole fleet
        return won
    rest = [FreeNode(*row) for row in session.execute(query)]
    return _claim_first(session, request, rest, instance_uuid, lost)


def _claim_first(
    session: Session, request: Request, free: list[FreeNode], instance_uuid: str, lost: set[str]
) -> Candidate | None:
    """Claim the first of ``free`` that fits and is not in ``lost`` (nodes others claimed
    first, to which each lost race here is added)."""
    for candidate in _fitting(session, request, [n for n in free if n.uuid not in lost]):
        if claim(session, candidate.node.uuid, instance_uuid):
            return candidate
        lost.add(candidate.node.uuid)
    return None


def _free_nodes(request: Request) -> Select[tuple[str, str, str | None, dict[str, Any]]]:
    nic_count = select(func.count(Nic.uuid)).where(Nic.node_uuid == Node.uuid).scalar_subquery()
    query = select(Node.uuid, Node.name, Node.availability_zone, Node.properties).where(
        Node.instance_uuid.is_(None),
        Node.maintenance.is_(False),
        _PROVISIONABLE,
        Node.driver.in_(list(request.drivers)),
    )
    if request.availability_zone is not None:
        query = query.where(Node.availability_zone == request.availability_zone)
    if request.requirements.resource_class_trait is not None:
        query = query.where(Node.resource_class_trait == request.requirements.resource_class_trait)
    if request.exclude:
        query = query.where(Node.uuid.not_in(list(request.exclude)))
    return query.order_by(nic_count, func.random())


def _fitting(session: Session, request: Request, free: list[FreeNode]) -> list[Candidate]:
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
    for nic_uuid, node_uuid, port_type, mac in session.execute(
        select(Nic.uuid, Nic.node_uuid, Nic.port_type, Nic.mac_address)
        .where(Nic.node_uuid.in_([n.uuid for n in nodes]))
        .order_by(Nic.mac_address)
    ):
        nics[node_uuid].append((nic_uuid, port_type))
        macs[nic_uuid] = mac
    fitting = []
    for node in nodes:
        assignment = assign_nics(nics[node.uuid], request.networks)
        if assignment is not None:
            fitting.append(Candidate(node, assignment, {n: macs[n] for n in assignment}))
    return fitting


def claim(session: Session, node_uuid: str, instance_uuid: str) -> bool:
    """Make the node serve the instance if it is still free; False when someone else won."""
    return bool(
        affected(
            session.execute(
                update(Node)
                .where(
                    Node.uuid == node_uuid,
                    Node.instance_uuid.is_(None),
                    Node.maintenance.is_(False),
                    _PROVISIONABLE,
                )
                .values(instance_uuid=instance_uuid)
                .execution_options(synchronize_session=False)
            )
        )
    )


def release(session: Session, node_uuid: str, instance_uuid: str, **values: object) -> None:
    """Free the node if it still serves ``instance_uuid``."""
    session.execute(
        update(Node)
        .where(Node.uuid == node_uuid, Node.instance_uuid == instance_uuid)
        .values(instance_uuid=None, **values)
        .execution_options(synchronize_session=False)
    )


def mark_torn_down(session: Session, node_uuid: str) -> None:
    """A successful tear-down leaves a node its owner manages (Ironic) available again,
    without waiting for the next inventory sync to say so."""
    session.execute(
        update(Node)
        .where(Node.uuid == node_uuid, Node.provision_state.is_not(None))
        .values(provision_state=AVAILABLE)
        .execution_options(synchronize_session=False)
    )
