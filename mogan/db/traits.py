"""Node traits: read, replace, add, remove."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, insert, select

from mogan.db.database import Database, Executor, affected
from mogan.db.models import NODE_TRAITS
from mogan.db.table import reading

TRAITS = NODE_TRAITS


def of_node(source: Database | Executor, node_uuid: str) -> list[str]:
    """The node's traits, sorted (read in the caller's transaction when given one)."""
    query = select(TRAITS.c.trait).where(TRAITS.c.node_uuid == node_uuid)
    with reading(source) as executor:
        return list(executor.execute(query.order_by(TRAITS.c.trait)).scalars())


def of_nodes(db: Database, node_uuids: Sequence[str]) -> dict[str, list[str]]:
    """Each of the nodes' traits, sorted: one query."""
    found: dict[str, list[str]] = {uuid: [] for uuid in node_uuids}
    if node_uuids:
        query = (
            select(TRAITS.c.node_uuid, TRAITS.c.trait)
            .where(TRAITS.c.node_uuid.in_(sorted(set(node_uuids))))
            .order_by(TRAITS.c.node_uuid, TRAITS.c.trait)
        )
        with db.read_rows() as connection:
            for node_uuid, trait in connection.execute(query):
                found[node_uuid].append(trait)
    return found


def replace(tx: Executor, node_uuid: str, traits: Iterable[str]) -> None:
    """The node's traits become ``traits`` (Ironic's ``PUT /nodes/{node}/traits``)."""
    tx.execute(delete(TRAITS).where(TRAITS.c.node_uuid == node_uuid))
    add_new(tx, {node_uuid: traits})


def add_new(tx: Executor, traits_by_node: dict[str, Iterable[str]]) -> None:
    """The traits of nodes that have none (just added, or just cleared): one multi-row
    insert."""
    rows = [
        {"node_uuid": node_uuid, "trait": trait}
        for node_uuid, traits in traits_by_node.items()
        for trait in sorted(set(traits))
    ]
    if rows:
        tx.execute(insert(TRAITS), rows)


def add(tx: Executor, node_uuid: str, trait: str) -> None:
    exists = tx.execute(
        select(TRAITS.c.trait).where(TRAITS.c.node_uuid == node_uuid, TRAITS.c.trait == trait)
    ).first()
    if exists is None:
        tx.execute(insert(TRAITS), {"node_uuid": node_uuid, "trait": trait})


def remove(tx: Executor, node_uuid: str, trait: str) -> bool:
    statement = delete(TRAITS).where(TRAITS.c.node_uuid == node_uuid, TRAITS.c.trait == trait)
    return bool(affected(tx.execute(statement)))
