"""The nodes' data: nodes and their NICs, as the operator's API reads and writes them.

(The scheduler's claims and the engine's writes on nodes join this module as the engine is
moved onto the seam.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.engine import Connection

from mogan.core import lifecycle
from mogan.core.clock import utcnow
from mogan.core.errors import InvalidInput, NotFound
from mogan.core.identifiers import canonical_uuid
from mogan.core.lifecycle import ACTIVE
from mogan.core.pagination import Page, PageRequest
from mogan.db import models
from mogan.db.database import Database, Executor, affected
from mogan.db.models import NODE_INVENTORIES, PORTS
from mogan.db.records import NicRow, NodeInventoryRow, NodeRow
from mogan.db.table import Table, columns_of

NODES: Table[NodeRow] = Table(models.NODES, NodeRow)
NICS: Table[NicRow] = Table(models.NICS, NicRow)
SORT_KEYS = ("name", "created_at", "uuid")

_NODES = models.NODES
_NICS = models.NICS


def _as_bool(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise InvalidInput(f"Invalid value for filter '{name}': {value!r} is not a boolean.")


def _filter(name: str, value: str) -> ColumnElement[bool]:
    if name == "maintenance":
        return _NODES.c.maintenance.is_(_as_bool(name, value))
    if name == "associated":
        serving = _NODES.c.instance_uuid
        return serving.is_not(None) if _as_bool(name, value) else serving.is_(None)
    if name == "provision_state" and "," in value:  # any of them
        return _NODES.c.provision_state.in_([v for v in value.split(",") if v])
    if name in ("resource_class", "availability_zone", "driver", "provision_state", "name"):
        return _NODES.c[name] == value
    if name == "instance_uuid":
        return _NODES.c.instance_uuid == value
    raise InvalidInput(f"Unknown filter '{name}'.")


def page(
    db: Database, request: PageRequest, filters: dict[str, str], *, max_limit: int
) -> Page[NodeRow]:
    """One page of nodes, filtered by ``maintenance``, ``associated`` (serving an instance),
    ``resource_class``, ``availability_zone``, ``driver``, ``provision_state`` (one, or any of
    a comma-separated list), ``name`` or ``instance_uuid``."""
    return NODES.page(
        db,
        request,
        where=[_filter(name, value) for name, value in filters.items()],
        sort_keys=SORT_KEYS,
        default_sort="name",
        max_limit=max_limit,
    )


def find(db: Database, ident: str, *, locked_in: Connection | None = None) -> NodeRow:
    """The node named by UUID, or by name as operators refer to nodes; ``NotFound`` if none."""
    if canonical_uuid(ident) is not None:
        try:
            return NODES.find(db, ident, "Node", locked_in=locked_in)
        except NotFound:
            pass
    by_name = NODES.rows.where(_NODES.c.name == ident)
    if locked_in is not None and locked_in.dialect.name != "sqlite":
        by_name = by_name.with_for_update()
    if locked_in is None:
        with db.read_rows() as connection:
            row = connection.execute(by_name).first()
    else:
        row = locked_in.execute(by_name).first()
    if row is None:
        raise NotFound(f"Node {ident} could not be found.")
    return NodeRow._make(row)


def nics_of(db: Database, node_uuids: Sequence[str]) -> dict[str, list[NicRow]]:
    """Each node's NICs, by MAC address."""
    found: dict[str, list[NicRow]] = {uuid: [] for uuid in node_uuids}
    if node_uuids:
        with db.read_rows() as connection:
            for nic in NICS.select(
                connection, _NICS.c.node_uuid.in_(list(node_uuids)), order_by=(_NICS.c.mac_address,)
            ):
                found[nic.node_uuid].append(nic)
    return found


def add(tx: Executor, node: NodeRow, nics: Sequence[NicRow]) -> None:
    """Enrol the node with its NICs (``Duplicate`` when a name or MAC is taken)."""
    NODES.add(tx, node._replace(nic_count=len(nics)))
    for nic in nics:
        NICS.add(tx, nic)


def add_many(tx: Executor, enrolled: Sequence[tuple[NodeRow, Sequence[NicRow]]]) -> list[NodeRow]:
    """Enrol each node with its NICs: one multi-row insert for the nodes and one for the NICs
    (``Duplicate`` when any name or MAC is taken, and then none is added). The nodes' rows as
    written."""
    rows = [node._replace(nic_count=len(nics)) for node, nics in enrolled]
    NODES.add_many(tx, rows)
    NICS.add_many(tx, [nic for _node, nics in enrolled for nic in nics])
    return rows


def refresh_statistics(db: Database) -> None:
    """``ANALYZE`` the node tables after many nodes were added at once (planned on the sizes
    before, the next inventory sync took four times as long)."""
    db.analyze("nodes", "nics", "node_traits")


def zones(db: Database, project_id: str | None = None) -> list[str]:
    """The availability zones of the enrolled nodes, sorted: of every node (None), or of
    the nodes ``project_id`` may be given (shared ones, and those dedicated to it as owner
    or lessee), so a zone of another project's dedicated nodes is not even named to it."""
    query = select(_NODES.c.availability_zone).where(_NODES.c.availability_zone.is_not(None))
    if project_id is not None:
        query = query.where(
            or_(
                and_(_NODES.c.owner.is_(None), _NODES.c.lessee.is_(None)),
                _NODES.c.owner == project_id,
                _NODES.c.lessee == project_id,
            )
        )
    with db.read_rows() as connection:
        return list(
            connection.execute(query.distinct().order_by(_NODES.c.availability_zone)).scalars()
        )


def deployed_and_free(db: Database, drivers: Sequence[str]) -> list[NodeRow]:
    """Nodes of ``drivers`` that run a deployment (as last synced) and serve no instance."""
    with db.read_rows() as connection:
        return NODES.select(
            connection,
            _NODES.c.driver.in_(list(drivers)),
            _NODES.c.provision_state == ACTIVE,
            _NODES.c.instance_uuid.is_(None),
            order_by=(_NODES.c.name,),
        )


# -- the inventory sync ------------------------------------------------------------------------

_FREE = _NODES.c.instance_uuid.is_(None)


def uuids_of_driver(db: Database, driver: str) -> list[str]:
    with db.read_rows() as connection:
        return list(
            connection.execute(select(_NODES.c.uuid).where(_NODES.c.driver == driver)).scalars()
        )


def name_holders(tx: Executor, names: Sequence[str]) -> dict[str, str]:
    """The uuid of the node holding each of ``names`` that one holds: one query."""
    if not names:
        return {}
    query = select(_NODES.c.name, _NODES.c.uuid).where(_NODES.c.name.in_(sorted(set(names))))
    return {name: uuid for name, uuid in tx.execute(query)}


def update_if_free(tx: Executor, uuid: str, **values: Any) -> bool:
    """Set ``values`` on the node unless it serves an instance; False when it does (or is
    gone)."""
    statement = update(_NODES).where(_NODES.c.uuid == uuid, _FREE).values(**values)
    return bool(affected(tx.execute(statement)))


def delete_if_free(tx: Executor, uuid: str) -> bool:
    """Remove the node unless it serves an instance; False when it does (or is gone)."""
    return bool(affected(tx.execute(delete(_NODES).where(_NODES.c.uuid == uuid, _FREE))))


def _mirrored(nic: NicRow) -> tuple[Any, ...]:
    """What an owning service (Ironic) says of a NIC, which a sync copies."""
    return (nic.mac_address, nic.port_type, nic.local_link_connection)


def nics_match(have: Sequence[NicRow], wanted: Sequence[NicRow]) -> bool:
    """Whether ``mirror_nics`` of ``wanted`` on a node with NICs ``have`` would change nothing
    a sync copies (a cheap check on rows read in bulk, before any transaction)."""
    return {nic.uuid: _mirrored(nic) for nic in have} == {
        nic.uuid: _mirrored(nic) for nic in wanted
    }


def mirror_nics(tx: Executor, node_uuid: str, wanted: Sequence[NicRow]) -> bool:
    """Make the node's NICs ``wanted`` (by uuid): add the missing, update the changed, and
    remove the others, except a NIC an instance's port still uses. Keeps ``nic_count``.
    Whether anything changed."""
    have = {nic.uuid: nic for nic in NICS.select(tx, _NICS.c.node_uuid == node_uuid)}
    changed = False
    for nic in wanted:
        current = have.get(nic.uuid)
        if current is None:
            NICS.add(tx, nic)
            changed = True
        elif _mirrored(current) != _mirrored(nic):
            NICS.update(
                tx,
                nic.uuid,
                mac_address=nic.mac_address,
                port_type=nic.port_type,
                local_link_connection=nic.local_link_connection,
            )
            changed = True
    gone = [uuid for uuid in have if uuid not in {nic.uuid for nic in wanted}]
    if gone:
        used = set(tx.execute(select(PORTS.c.nic_uuid).where(PORTS.c.nic_uuid.in_(gone))).scalars())
        removable = [uuid for uuid in gone if uuid not in used]
        if removable:
            tx.execute(delete(_NICS).where(_NICS.c.uuid.in_(removable)))
            changed = True
    if changed:
        count = select(func.count()).where(_NICS.c.node_uuid == node_uuid).scalar_subquery()
        tx.execute(update(_NODES).where(_NODES.c.uuid == node_uuid).values(nic_count=count))
    return changed


# -- the lifecycle -----------------------------------------------------------------------------

_INVENTORIES = NODE_INVENTORIES


def move(executor: Executor, uuid: str, new: str, **values: Any) -> NodeRow | None:
    """Move the node to provision state ``new`` (and set ``values``) if its state allows it
    (``mogan.core.lifecycle.TRANSITIONS``), as a compare-and-set: the node as moved, or None
    when it was not in a state that may move there (someone moved it first)."""
    sources = lifecycle.sources_of(new)
    if not sources:
        raise lifecycle.IllegalNodeTransition(f"No node may move to {new!r}.")
    row = executor.execute(
        update(_NODES)
        .where(_NODES.c.uuid == uuid, _NODES.c.provision_state.in_(sorted(sources)))
        .values(provision_state=new, updated_at=utcnow(), **values)
        .returning(*columns_of(_NODES, NodeRow))
    ).first()
    return None if row is None else NodeRow._make(row)


def interface_checks_of(db: Database, node_uuid: str) -> dict[str, Any] | None:
    """What the node's last verification found (None before the first one ended)."""
    with db.read_rows() as connection:
        checks: dict[str, Any] | None = connection.execute(
            select(_NODES.c.interface_checks).where(_NODES.c.uuid == node_uuid)
        ).scalar()
    return checks


def record_checks(
    executor: Executor, node_uuid: str, checks: dict[str, Any], **values: Any
) -> None:
    """Keep what a verification found (and set ``values``)."""
    executor.execute(
        update(_NODES)
        .where(_NODES.c.uuid == node_uuid)
        .values(interface_checks=checks, verified_at=utcnow(), **values)
    )


def inventory_of(db: Database, node_uuid: str) -> NodeInventoryRow | None:
    with db.read_rows() as connection:
        row = connection.execute(
            select(*columns_of(_INVENTORIES, NodeInventoryRow)).where(
                _INVENTORIES.c.node_uuid == node_uuid
            )
        ).first()
    return None if row is None else NodeInventoryRow._make(row)


def save_inventory(
    tx: Executor, node_uuid: str, inventory: dict[str, Any], applied: dict[str, Any]
) -> None:
    """Keep what an inspection found (replacing the last one's) and the properties it wrote."""
    tx.execute(delete(_INVENTORIES).where(_INVENTORIES.c.node_uuid == node_uuid))
    tx.execute(
        _INVENTORIES.insert().values(
            node_uuid=node_uuid, inventory=inventory, applied=applied, inspected_at=utcnow()
        )
    )


def merge_found_nics(tx: Executor, node_uuid: str, found: Sequence[NicRow]) -> list[str]:
    """Add the NICs an inspection found that the node lacks, and record the link speed
    (and, where it was unset or ``overwrite`` gave it, the port type) of those it has; keep
    ``nic_count``. NICs the inspection did not see are kept (a cable may be out). The MAC
    addresses added; ``Duplicate`` when one belongs to another node."""
    have = {nic.mac_address: nic for nic in NICS.select(tx, _NICS.c.node_uuid == node_uuid)}
    added = []
    for nic in found:
        current = have.get(nic.mac_address)
        if current is None:
            NICS.add(tx, nic)
            added.append(nic.mac_address)
        elif (current.speed_mbps, current.port_type) != (nic.speed_mbps, nic.port_type):
            NICS.update(tx, current.uuid, speed_mbps=nic.speed_mbps, port_type=nic.port_type)
    if added:
        count = select(func.count()).where(_NICS.c.node_uuid == node_uuid).scalar_subquery()
        tx.execute(update(_NODES).where(_NODES.c.uuid == node_uuid).values(nic_count=count))
    return added
