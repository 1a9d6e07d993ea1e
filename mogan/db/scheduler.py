"""Choosing and claiming a node for an instance.

Candidates are filtered in SQL (free, not in maintenance, enabled driver, zone, resource
class), ranked there (the node with the fewest NICs first, to keep bigger nodes for bigger
requests; ties shuffled so concurrent schedulers spread out), and only the best
``SAMPLE_SIZE`` are loaded and checked for what SQL cannot express portably (capabilities, NIC
fit). Loading every free node for every instance made scheduling cost grow with the fleet;
only when none of the sample fits, or others claimed all of it first, is the rest of the fleet
examined. The claim is one conditional UPDATE, so any number of schedulers are safe and a lost
claim just moves on to the next candidate.

A server group's rules are kept under named locks (``mogan.db.locks``). Anti-affinity takes
one lock per (group, failure domain) a member is about to go to, so members racing into
different racks do not wait for each other; affinity, where the first member decides for all,
takes one lock for the whole group.
"""

from __future__ import annotations

import functools
import uuid as uuid_module
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BindParameter,
    Select,
    and_,
    bindparam,
    case,
    exists,
    func,
    null,
    or_,
    select,
    union_all,
    update,
)

from mogan.core import lifecycle
from mogan.core.groups import (
    AFFINITY,
    ANTI_AFFINITY,
    NODE,
    Spread,
    domain_of,
)
from mogan.core.lifecycle import ACTIVE, AVAILABLE
from mogan.core.operations import CreateState
from mogan.core.placement import (
    GroupPolicy,
    NetworkRequest,
    TypeRequirements,
    assign_nics,
    parse_capabilities,
)
from mogan.db import locks
from mogan.db.database import Executor, affected
from mogan.db.models import NICS, NODE_TRAITS, NODES, SERVER_GROUP_MEMBERS
from mogan.db.records import NodeRow
from mogan.db.table import columns_of

#: How many free nodes each side of a random point one scheduling attempt loads first.
SAMPLE_SIZE = 32

_MEMBERS = SERVER_GROUP_MEMBERS
_TRAITS = NODE_TRAITS

#: Only an available node is handed out: never one enrolled, inspecting, cleaning or failed.
_PROVISIONABLE = NODES.c.provision_state == AVAILABLE


@dataclass(frozen=True)
class FreeNode:
    """What scheduling needs of a node (loaded as plain rows, not ORM objects)."""

    uuid: str
    name: str
    #: ``properties["capabilities"]``, parsed; empty when the request asks for none.
    capabilities: dict[str, str]
    #: The failure domain it is in (``mogan.core.groups``).
    domain: str
    #: The value of its failure domain property; None when it is a domain of its own.
    domain_value: str | None
    #: ``(nic uuid, port type)`` of each NIC, by MAC address.
    nics: list[tuple[str, str | None]]
    macs: dict[str, str]


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

    #: The claimed node, as the claim left it.
    node: NodeRow
    nic_uuids: list[str]
    macs: dict[str, str]


@dataclass(frozen=True)
class Request:
    requirements: TypeRequirements
    networks: Sequence[NetworkRequest]
    availability_zone: str | None
    exclude: Sequence[str]
    drivers: Sequence[str]
    #: The instance's project: nodes dedicated to another project are not candidates.
    project_id: str | None = None
    group: GroupPolicy | None = None
    #: Instances whose failure domains the node must avoid, or share (scheduler hints).
    different_host: Sequence[str] = ()
    same_host: Sequence[str] = ()
    #: ``node``, or the node property that names a node's failure domain.
    failure_domain: str = NODE
    #: What the image needs of the node: MiB of memory (``properties.memory_mb``) and GiB of
    #: disk (``properties.local_gb``); 0: nothing.
    min_ram: int = 0
    min_disk: int = 0


class DomainsBusy(Exception):
    """No node was claimed, and some that fit were only passed over because other schedulers
    were placing members of the same group in their failure domains at that moment: roll back
    and try again once those have committed (a short wait), rather than call it no room."""


def claim_best(
    executor: Executor, request: Request, instance_uuid: str, *, wait: bool = False
) -> Claimed | None:
    """Claim the best fitting free node for the instance; None when no node is left for it.

    Candidates come from a sample first: up to ``SAMPLE_SIZE`` free nodes each side of a
    random point of the uuid order, ranked (fewest NICs first, then at random), so a claim
    reads as many rows in a fleet of 20,000 as in one of 100, and concurrent schedulers start
    from different places. When no node of the sample fits (or others claimed them all
    meanwhile), the whole fleet, ranked, is tried before giving up; a sample shorter than
    ``SAMPLE_SIZE`` was the whole fleet.

    With a server group, two members never race into one failure domain its policy forbids:
    see ``_Seats`` (anti-affinity: a lock per domain, taken for the rest of the caller's
    transaction before a node of that domain is claimed) and ``spread_for`` (affinity: the
    group's lock). Without ``wait``, a domain another scheduler holds is passed over, and
    ``DomainsBusy`` is raised when nothing else fitted; with it, the lock is waited for (only
    for callers that wait on nothing else meanwhile: ``claim_for_batch``).
    """
    spreading = request.failure_domain != NODE and bool(
        request.group or request.different_host or request.same_host
    )
    shape = (
        request.availability_zone is not None,
        request.requirements.resource_class_trait is not None,
        bool(request.exclude),
        bool(request.requirements.capabilities),
        request.requirements.dedicated,
        request.failure_domain if spreading else None,
        bool(request.min_ram or request.min_disk),
        bool(request.requirements.required_traits),
        bool(request.requirements.forbidden_traits),
    )
    params = {
        "start": str(uuid_module.uuid4()),
        "drivers": list(request.drivers),
        "zone": request.availability_zone,
        "trait": request.requirements.resource_class_trait,
        "exclude": list(request.exclude),
        "project": request.project_id or "",
        "min_ram": request.min_ram,
        "min_disk": request.min_disk,
        "required_traits": list(request.requirements.required_traits),
        "required_count": len(request.requirements.required_traits),
        "forbidden_traits": list(request.requirements.forbidden_traits),
    }
    domain = request.failure_domain
    sample = _nodes_of(executor.execute(_free_nodes(*shape, sample=True), params), domain)
    spread = spread_for(executor, request, instance_uuid)
    seats = _Seats.for_request(executor, request, instance_uuid, spread, wait=wait)
    lost: set[str] = set()
    won = _claim_first(request, spread, seats, sample, executor, instance_uuid, lost)
    busy = seats.busy if seats is not None else set()
    # A short sample was the whole fleet; after a busy domain, a new sample once its holder
    # commits is cheaper than reading the whole fleet.
    if won is None and len(sample) >= SAMPLE_SIZE and not busy:
        rest = _nodes_of(executor.execute(_free_nodes(*shape, sample=False), params), domain)
        won = _claim_first(request, spread, seats, rest, executor, instance_uuid, lost)
    if won is None and busy:
        raise DomainsBusy(sorted(busy))
    return won


def claim_for_batch(executor: Executor, request: Request, instance_uuid: str) -> Claimed | None:
    """``claim_best`` for one instance of a batch that claims several nodes in one
    transaction. Two such transactions would each hold the nodes they claimed while waiting
    for the other's (a deadlock), so batches take their turn under one lock, held to the end
    of the transaction; claims of single instances (one node per transaction) never wait on
    anything while holding a node, and go on beside them. A batch waits for a failure
    domain's lock rather than passing the domain over: single claims never wait for a
    domain's lock, and claim only in the domains they hold, so none can be waiting on the
    batch."""
    locks.hold(executor, "scheduler", "batch")
    return claim_best(executor, request, instance_uuid, wait=True)


def spread_for(executor: Executor, request: Request, instance_uuid: str) -> Spread:
    """The domain rules for the instance's node: how many of its group's other members each
    failure domain holds, and the domains of its hints' instances.

    When each node is a domain of its own and the policy is anything but ``affinity``, the
    members do not matter: a node serves one instance, so every free node is a domain no
    member is in, and (anti-)affinity there is met by construction, without a lock or a read.
    For the other policies the members are read under the group's lock, held from here to
    the end of the caller's transaction (under ``affinity`` the first member placed decides
    the domain for all; the soft policies rank domains by their members), except
    ``anti-affinity``: each of its claims counts its own domain's members under that
    domain's lock, and the others are read only once a domain turns out full (``_Seats``).
    """
    group = request.group
    domain = request.failure_domain
    members: Counter[str] = Counter()
    needs_members = group is not None and (domain != NODE or group.policy == AFFINITY)
    if group is not None and needs_members and group.policy not in _PER_DOMAIN:
        locks.hold(executor, "server_group", group.uuid)
        members = _member_domains(executor, group.uuid, instance_uuid, domain)
    return Spread(
        policy=group.policy if group else None,
        members=members,
        max_per_domain=group.max_per_domain if group else 1,
        different=_domains_serving(executor, request.different_host, domain),
        same=_domains_serving(executor, request.same_host, domain),
    )


#: The policies kept by a lock per (group, failure domain) rather than one per group. Not
#: ``soft-anti-affinity``: it prefers the domain with the fewest members, which only a read
#: of them all under the group's lock tells racing members apart.
_PER_DOMAIN = frozenset({ANTI_AFFINITY})


class _Seats:
    """An ``anti-affinity`` group's next member claiming a node, one failure domain's lock at
    a time.

    Before a node of a shared domain (a rack…) is claimed, the lock on (group, domain) is
    taken for the rest of the transaction. The claim itself then counts the members already
    in that domain and takes the node only while they are fewer than ``max_per_domain``
    (``_claim_seated``, one statement): whoever held the lock before committed its member's
    node first, so the limit holds however many race, while members headed for different
    domains never wait for each other. The group's members are not read up front: only when
    a claim finds its domain full are they counted for every domain, so the remaining
    candidates in full domains are passed over without a lock. A node that is a domain of
    its own is free, so no member is in it and it needs no lock.

    Without ``wait`` a domain whose lock another transaction holds is passed over and noted
    in ``busy``.
    """

    def __init__(
        self,
        executor: Executor,
        group_uuid: str,
        instance_uuid: str,
        failure_domain: str,
        spread: Spread,
        *,
        wait: bool,
    ) -> None:
        self._executor = executor
        self._group = group_uuid
        self._instance = instance_uuid
        self._failure_domain = failure_domain
        self._spread = spread
        self._wait = wait
        self._held: set[str] = set()
        #: Whether every domain's members have been counted (``spread.members``): only once
        #: a claim finds its domain full.
        self._counted = False
        #: Domains passed over because another scheduler held their lock.
        self.busy: set[str] = set()

    @classmethod
    def for_request(
        cls,
        executor: Executor,
        request: Request,
        instance_uuid: str,
        spread: Spread,
        *,
        wait: bool,
    ) -> _Seats | None:
        """The seats of the request's group, or None when its policy needs none."""
        group = request.group
        if group is None or group.policy not in _PER_DOMAIN or request.failure_domain == NODE:
            return None
        return cls(executor, group.uuid, instance_uuid, request.failure_domain, spread, wait=wait)

    def admit(self, node: FreeNode) -> bool:
        """Whether the member may try for ``node`` now (its domain's lock held from here on)."""
        domain = node.domain
        if node.domain_value is None:
            return True  # a domain of its own: the node is free, so no member is in it
        if not self._spread.allows(domain):
            return False  # full, as counted (under its lock, when held)
        if domain in self._held:
            return True
        key = f"{self._group}:{domain}"
        if self._wait:
            locks.hold(self._executor, "server_group_domain", key)
        elif not locks.try_hold(self._executor, "server_group_domain", key):
            self.busy.add(domain)
            return False
        self._held.add(domain)
        return True

    def claim(self, node: FreeNode) -> NodeRow | None:
        """``claim`` of an admitted node, only while its domain has room; None when either is
        not so (the domain's members are then counted, so the next candidate knows which)."""
        if node.domain_value is None:
            return claim(self._executor, node.uuid, self._instance)
        params = {
            "claiming": node.uuid,
            "claimant": self._instance,
            "group": self._group,
            "domain_value": node.domain_value,
            "max_per_domain": self._spread.max_per_domain,
        }
        row = self._executor.execute(_claim_seated(self._failure_domain), params).first()
        if row is not None:
            return NodeRow._make(row)
        members = _members_in(
            self._executor, self._group, self._instance, self._failure_domain, node.domain_value
        )
        self._spread.members[node.domain] = members
        if not self._counted and not self._spread.allows(node.domain):
            self._counted = True
            counted = _member_domains(
                self._executor, self._group, self._instance, self._failure_domain
            )
            for domain, count in counted.items():
                if domain not in self._held:  # a held domain's count is exact already
                    self._spread.members[domain] = count
        return None


def _in_domain(failure_domain: str, nodes: Any) -> Any:
    """How many of the group's (``group``) members other than ``claimant`` are on ``nodes``
    whose ``failure_domain`` property is ``domain_value`` (bound parameters)."""
    return (
        select(func.count())
        .select_from(nodes.join(_MEMBERS, _MEMBERS.c.instance_uuid == nodes.c.instance_uuid))
        .where(
            _MEMBERS.c.group_uuid == bindparam("group"),
            _MEMBERS.c.instance_uuid != bindparam("claimant"),
            nodes.c.properties[failure_domain].as_string() == bindparam("domain_value"),
        )
    )


@functools.cache
def _claim_seated(failure_domain: str) -> Any:
    """``_CLAIM``, only while the claimed node's failure domain holds fewer than
    ``max_per_domain`` of the group's other members (bound parameters as ``_in_domain``)."""
    seated = _in_domain(failure_domain, NODES.alias("seated")).scalar_subquery()
    return _CLAIM.where(seated < bindparam("max_per_domain"))


def _members_in(
    executor: Executor, group_uuid: str, instance_uuid: str, failure_domain: str, value: str
) -> int:
    """How many of the group's other members are on nodes whose ``failure_domain`` property
    is ``value``."""
    params = {"group": group_uuid, "claimant": instance_uuid, "domain_value": value}
    return int(executor.execute(_in_domain(failure_domain, NODES), params).scalar_one())


def _member_domains(
    executor: Executor, group_uuid: str, instance_uuid: str, failure_domain: str
) -> Counter[str]:
    """How many of the group's other members each failure domain holds, counted in SQL:
    one row per domain, not per member."""
    value: Any = (
        null() if failure_domain == NODE else NODES.c.properties[failure_domain].as_string()
    )
    own = case((or_(value.is_(None), value == ""), NODES.c.uuid), else_=null())
    rows = executor.execute(
        select(value.label("value"), own.label("own"), func.count())
        .select_from(NODES.join(_MEMBERS, _MEMBERS.c.instance_uuid == NODES.c.instance_uuid))
        .where(_MEMBERS.c.group_uuid == group_uuid, _MEMBERS.c.instance_uuid != instance_uuid)
        .group_by("value", "own")
    )
    return Counter(
        {
            (node if node is not None else f"{failure_domain}={shared}"): int(count)
            for shared, node, count in rows
        }
    )


def _domains_serving(executor: Executor, instances: Sequence[str], domain: str) -> frozenset[str]:
    if not instances:
        return frozenset()
    rows = executor.execute(
        select(NODES.c.uuid, NODES.c.properties).where(NODES.c.instance_uuid.in_(list(instances)))
    )
    return frozenset(domain_of(uuid, properties, domain) for uuid, properties in rows)


def _nodes_of(rows: Iterable[Any], failure_domain: str) -> list[FreeNode]:
    """The free nodes in rank order, from the rows of ``_free_nodes`` (one per NIC)."""
    nodes: dict[str, FreeNode] = {}
    for uuid, name, properties, domain_value, nic_uuid, port_type, mac in rows:
        node = nodes.get(uuid)
        if node is None:
            capabilities = parse_capabilities((properties or {}).get("capabilities"))
            domain = domain_of(uuid, {failure_domain: domain_value}, failure_domain)
            shared = domain_value if domain != uuid else None
            node = nodes[uuid] = FreeNode(uuid, name, capabilities, domain, shared, [], {})
        if nic_uuid is not None:
            node.nics.append((nic_uuid, port_type))
            node.macs[nic_uuid] = mac
    return list(nodes.values())


def _claim_first(
    request: Request,
    spread: Spread,
    seats: _Seats | None,
    free: list[FreeNode],
    executor: Executor,
    instance_uuid: str,
    lost: set[str],
) -> Claimed | None:
    """Claim the first of ``free`` that fits, is not in ``lost`` (nodes others claimed
    first, to which each lost race here is added) and whose domain ``seats`` admits."""
    for candidate in _fitting(request, spread, [n for n in free if n.uuid not in lost]):
        if seats is None:
            node = claim(executor, candidate.node.uuid, instance_uuid)
        elif seats.admit(candidate.node):
            node = seats.claim(candidate.node)
        else:
            continue
        if node is not None:
            return Claimed(node, candidate.nic_uuids, candidate.macs)
        lost.add(candidate.node.uuid)
    return None


@functools.cache
def _free_nodes(
    by_zone: bool,
    by_trait: bool,
    excluding: bool,
    by_capabilities: bool,
    dedicated: bool,
    domain_property: str | None,
    sized: bool,
    requiring: bool = False,
    forbidding: bool = False,
    *,
    sample: bool,
) -> Select[Any]:
    """The ranked free nodes the project may use (the best ``SAMPLE_SIZE`` of them if
    ``sample``), a row per NIC (node uuid, name, properties, the ``domain_property``'s
    value, NIC uuid, port type, MAC; NIC columns null for a node without any), best node
    first. One query for nodes and NICs, built once per shape of request; ``properties``
    only when capabilities are asked for, and of the failure domain property only its value
    (decoding every candidate's JSON cost more than the query).
    A node dedicated to a project (``owner`` or ``lessee``) is that project's only; with
    ``dedicated``, only such nodes are. Parameters: ``drivers``, ``zone``, ``trait``,
    ``exclude``, ``project``, and with ``sized`` ``min_ram`` and ``min_disk`` (an image's
    minimums, against the node's ``memory_mb`` and ``local_gb`` properties)."""
    project: BindParameter[str] = bindparam("project")
    dedicated_to_it = or_(NODES.c.owner == project, NODES.c.lessee == project)
    shared = and_(NODES.c.owner.is_(None), NODES.c.lessee.is_(None))
    ranked = select(
        NODES.c.uuid,
        NODES.c.name,
        (NODES.c.properties if by_capabilities else null()).label("properties"),
        (
            NODES.c.properties[domain_property].as_string()
            if domain_property is not None
            else null()
        ).label("domain_value"),
        NODES.c.nic_count,
        func.random().label("shuffle"),
    ).where(
        NODES.c.instance_uuid.is_(None),
        NODES.c.maintenance.is_(False),
        _PROVISIONABLE,
        NODES.c.driver.in_(bindparam("drivers", expanding=True)),
        dedicated_to_it if dedicated else or_(shared, dedicated_to_it),
    )
    if by_zone:
        ranked = ranked.where(NODES.c.availability_zone == bindparam("zone"))
    if by_trait:
        ranked = ranked.where(NODES.c.resource_class_trait == bindparam("trait"))
    if excluding:
        ranked = ranked.where(NODES.c.uuid.not_in(bindparam("exclude", expanding=True)))
    if sized:
        ranked = ranked.where(*large_enough())
    if requiring:  # every required trait held: as many matching rows as traits asked
        held = (
            select(func.count())
            .where(
                _TRAITS.c.node_uuid == NODES.c.uuid,
                _TRAITS.c.trait.in_(bindparam("required_traits", expanding=True)),
            )
            .scalar_subquery()
        )
        ranked = ranked.where(held == bindparam("required_count"))
    if forbidding:
        ranked = ranked.where(
            ~exists().where(
                _TRAITS.c.node_uuid == NODES.c.uuid,
                _TRAITS.c.trait.in_(bindparam("forbidden_traits", expanding=True)),
            )
        )
    if sample:
        # SAMPLE_SIZE free nodes on each side of a random point of the uuid order (read from
        # the free nodes' index, ``ix_nodes_free``): as many rows at 20,000 nodes as at 20.
        start: BindParameter[str] = bindparam("start")
        after = ranked.where(NODES.c.uuid >= start).order_by(NODES.c.uuid).limit(SAMPLE_SIZE)
        before = ranked.where(NODES.c.uuid < start).order_by(NODES.c.uuid).limit(SAMPLE_SIZE)
        nodes = union_all(after.subquery().select(), before.subquery().select()).subquery()
    else:
        nodes = ranked.subquery()
    return (
        select(
            nodes.c.uuid,
            nodes.c.name,
            nodes.c.properties,
            nodes.c.domain_value,
            NICS.c.uuid,
            NICS.c.port_type,
            NICS.c.mac_address,
        )
        .select_from(nodes.outerjoin(NICS, NICS.c.node_uuid == nodes.c.uuid))
        .order_by(nodes.c.nic_count, nodes.c.shuffle, nodes.c.uuid, NICS.c.mac_address)
    )


def _fitting(request: Request, spread: Spread, free: list[FreeNode]) -> list[Candidate]:
    """Those of ``free`` whose capabilities, NICs and failure domain fit the request, in
    rank order (the soft group policies' preference first)."""
    fitting = []
    for node in free:
        if not request.requirements.capabilities_match(node.capabilities):
            continue
        if spread.constrains and not spread.allows(node.domain):
            continue
        assignment = assign_nics(node.nics, request.networks)
        if assignment is not None:
            fitting.append(Candidate(node, assignment, {n: node.macs[n] for n in assignment}))
    if spread.policy is not None:
        fitting.sort(key=lambda c: spread.preference(c.node.domain))  # stable: rank kept
    return fitting


_CLAIM = (
    update(NODES)
    .where(
        NODES.c.uuid == bindparam("claiming"),
        NODES.c.instance_uuid.is_(None),
        NODES.c.maintenance.is_(False),
        _PROVISIONABLE,
    )
    .values(instance_uuid=bindparam("claimant"), provision_state=ACTIVE)
    .returning(*columns_of(NODES, NodeRow))
)


def claim(executor: Executor, node_uuid: str, instance_uuid: str) -> NodeRow | None:
    """Make the node serve the instance if it is still free and return it as claimed; None
    when someone else won."""
    row = executor.execute(_CLAIM, {"claiming": node_uuid, "claimant": instance_uuid}).first()
    return None if row is None else NodeRow._make(row)


_CLAIM_DEPLOYED = (
    update(NODES)
    .where(
        NODES.c.uuid == bindparam("claiming"),
        NODES.c.instance_uuid.is_(None),
        NODES.c.provision_state == ACTIVE,
    )
    .values(instance_uuid=bindparam("claimant"))
    .returning(*columns_of(NODES, NodeRow))
)


def claim_deployed(executor: Executor, node_uuid: str, instance_uuid: str) -> NodeRow | None:
    """Make a node that runs a deployment (and serves nobody) serve the instance, for an
    adoption; return it as claimed, or None when it is not so any more."""
    params = {"claiming": node_uuid, "claimant": instance_uuid}
    row = executor.execute(_CLAIM_DEPLOYED, params).first()
    return None if row is None else NodeRow._make(row)


_RELEASE = update(NODES).where(
    NODES.c.uuid == bindparam("releasing"),
    NODES.c.instance_uuid == bindparam("serving"),
    NODES.c.provision_state.in_(bindparam("sources", expanding=True)),
)


def release(executor: Executor, node_uuid: str, instance_uuid: str, **values: object) -> None:
    """Free the node if it still serves ``instance_uuid`` (and set ``values`` on it). A
    ``provision_state`` among ``values`` is a move of the node's lifecycle: one its table
    (``mogan.core.lifecycle.TRANSITIONS``) does not allow from the node's state raises
    ``IllegalNodeTransition`` and changes nothing."""
    new = values.get("provision_state")
    sources = lifecycle.STATES if new is None else sorted(lifecycle.sources_of(str(new)))
    released = executor.execute(
        _RELEASE,
        {
            "releasing": node_uuid,
            "serving": instance_uuid,
            "sources": list(sources),
            "instance_uuid": None,
            **values,
        },
    )
    if new is not None and not affected(released):
        state = executor.execute(
            select(NODES.c.provision_state).where(
                NODES.c.uuid == node_uuid, NODES.c.instance_uuid == instance_uuid
            )
        ).scalar()
        if state is not None:  # still serving it: the move itself is not allowed
            raise lifecycle.IllegalNodeTransition(
                f"Node {node_uuid} may not move from {state!r} to {new!r}."
            )


def large_enough() -> tuple[Any, ...]:
    """Nodes with ``min_ram`` MiB of memory and ``min_disk`` GiB of disk (bound parameters)
    as their properties say; a node that does not say has none."""
    memory = func.coalesce(NODES.c.properties["memory_mb"].as_integer(), 0)
    disk = func.coalesce(NODES.c.properties["local_gb"].as_integer(), 0)
    return (memory >= bindparam("min_ram"), disk >= bindparam("min_disk"))


def any_large_enough(
    executor: Executor, drivers: Sequence[str], trait: str | None, min_ram: int, min_disk: int
) -> bool:
    """Whether any node of ``drivers`` (of resource class ``trait``, when given), free or
    not, has the memory and disk an image needs: if none has, no wait will make one fit."""
    query = select(NODES.c.uuid).where(NODES.c.driver.in_(list(drivers)), *large_enough())
    if trait is not None:
        query = query.where(NODES.c.resource_class_trait == trait)
    found = executor.execute(query.limit(1), {"min_ram": min_ram, "min_disk": min_disk})
    return found.first() is not None


def request_for(state: CreateState, drivers: Sequence[str], failure_domain: str) -> Request:
    """What the scheduler is asked for an instance being created."""
    group = state.group
    image = state.image
    return Request(
        requirements=TypeRequirements.from_extra_specs(state.extra_specs),
        networks=list(state.networks),
        availability_zone=state.availability_zone,
        exclude=state.tried_nodes,
        drivers=drivers,
        project_id=state.project_id or None,
        group=group,
        different_host=state.different_host,
        same_host=state.same_host,
        failure_domain=failure_domain,
        min_ram=image.min_ram if image else 0,
        min_disk=image.min_disk if image else 0,
    )
