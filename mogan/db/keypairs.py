"""The keypairs' data: each user's public keys, by name."""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from mogan.db.database import Database, Executor, affected
from mogan.db.models import KEYPAIRS
from mogan.db.records import KeyPairRow
from mogan.db.table import columns_of

_ROWS = select(*columns_of(KEYPAIRS, KeyPairRow))


def add(tx: Executor, keypair: KeyPairRow) -> None:
    """Add the key (``Duplicate`` when the user already has one by that name)."""
    tx.execute(insert(KEYPAIRS), keypair._asdict())


def get(db: Database, user_id: str, name: str) -> KeyPairRow | None:
    with db.read_rows() as connection:
        row = connection.execute(
            _ROWS.where(KEYPAIRS.c.user_id == user_id, KEYPAIRS.c.name == name)
        ).first()
    return None if row is None else KeyPairRow._make(row)


def of_user(
    db: Database, user_id: str, *, limit: int, marker: str | None = None
) -> list[KeyPairRow]:
    """The user's keys by name, at most ``limit``, after ``marker`` (a name) if given."""
    query = _ROWS.where(KEYPAIRS.c.user_id == user_id)
    if marker is not None:
        query = query.where(KEYPAIRS.c.name > marker)
    with db.read_rows() as connection:
        rows = connection.execute(query.order_by(KEYPAIRS.c.name).limit(limit))
        return [KeyPairRow._make(row) for row in rows]


def delete_one(tx: Executor, user_id: str, name: str) -> bool:
    """Remove the user's key; False when there was none by that name."""
    statement = delete(KEYPAIRS).where(KEYPAIRS.c.user_id == user_id, KEYPAIRS.c.name == name)
    return bool(affected(tx.execute(statement)))
