"""The plain statements every aggregate's main table needs, handing out records.

An aggregate module (``mogan.db.images``, ``networks``…) keeps one ``Table`` for its rows and
adds the queries only it has. Reads run on their own connection (``Database.read_rows``);
writes take the caller's transaction (``Database.transaction()``), so a use case decides
what commits together.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import Column, ColumnElement, Select, bindparam, delete, insert, select, update
from sqlalchemy import Table as SqlTable
from sqlalchemy.engine import Connection

from mogan.core.errors import NotFound
from mogan.core.identifiers import canonical_uuid
from mogan.core.pagination import Page, PageRequest
from mogan.db.database import Database, Executor, affected
from mogan.db.pagination import paginate
from mogan.db.records import Record

R = TypeVar("R", bound=Record)


def columns_of(table: SqlTable, record: type[Record]) -> list[Column[Any]]:
    """``table``'s columns in ``record``'s field order: a row selected so is a record by
    ``record._make(row)``."""
    return [table.c[name] for name in record._fields]


@contextlib.contextmanager
def reading(source: Database | Executor) -> Iterator[Executor]:
    """Where a read runs: a connection of its own for a ``Database``, or the caller's
    transaction (to read what it wrote, or under its locks)."""
    if isinstance(source, Database):
        with source.read_rows() as connection:
            yield connection
    else:
        yield source


class Table(Generic[R]):
    """One table keyed by ``uuid``, read as ``record``s."""

    def __init__(self, table: SqlTable, record: type[R]) -> None:
        self.table = table
        self.record = record
        #: What a record writes: its fields (columns it does not name, such as what a
        #: node's verification keeps, are written by their own functions).
        self.columns = tuple(record._fields)
        self.rows: Select[Any] = select(*columns_of(self.table, record))
        self._one = self.rows.where(self.table.c.uuid == bindparam("uuid"))
        self._one_locked = self._one.with_for_update()
        self._insert = insert(self.table)
        self._update = update(self.table).where(self.table.c.uuid == bindparam("updating_uuid"))
        self._delete = delete(self.table).where(self.table.c.uuid == bindparam("uuid"))

    def find(
        self, db: Database, ident: str, label: str, *, locked_in: Connection | None = None
    ) -> R:
        """The row a caller named by UUID, or ``NotFound`` saying "<label> <ident> could not
        be found"; read in ``locked_in`` (and locked) when given."""
        key = canonical_uuid(ident)
        found = None
        if key is not None:
            found = self.get(db, key) if locked_in is None else self.get_locked(locked_in, key)
        if found is None:
            raise NotFound(f"{label} {ident} could not be found.")
        return found

    def get(self, db: Database, uuid: str) -> R | None:
        with db.read_rows() as connection:
            row = connection.execute(self._one, {"uuid": uuid}).first()
        return None if row is None else self.record._make(row)

    def get_many(self, db: Database, uuids: Sequence[str]) -> dict[str, R]:
        """Those of ``uuids`` that exist, by uuid: one query (a batch of a periodic task)."""
        if not uuids:
            return {}
        with db.read_rows() as connection:
            rows = connection.execute(self.rows.where(self.table.c.uuid.in_(sorted(set(uuids)))))
            return {row.uuid: self.record._make(row) for row in rows}

    def get_locked(self, tx: Connection, uuid: str) -> R | None:
        """The row, locked until the caller's transaction ends (PostgreSQL; SQLite's write
        transactions are serialized already)."""
        statement = self._one if tx.dialect.name == "sqlite" else self._one_locked
        row = tx.execute(statement, {"uuid": uuid}).first()
        return None if row is None else self.record._make(row)

    def select(
        self, executor: Executor, *where: ColumnElement[bool], order_by: Any = None
    ) -> list[R]:
        """Every row matching ``where``, in ``order_by`` order."""
        statement = self.rows.where(*where)
        if order_by is not None:
            statement = statement.order_by(*order_by)
        return [self.record._make(row) for row in executor.execute(statement)]

    def page(
        self,
        db: Database,
        request: PageRequest,
        *,
        where: Sequence[ColumnElement[bool]] = (),
        sort_keys: Sequence[str],
        default_sort: str,
        max_limit: int,
    ) -> Page[R]:
        with db.read_rows() as connection:
            found = paginate(
                connection,
                self.rows.where(*where),
                self.table.c,
                request,
                sort_keys=sort_keys,
                default_sort=default_sort,
                max_limit=max_limit,
            )
        return Page([self.record._make(row) for row in found.items], found.next_marker)

    def add(self, tx: Executor, record: R) -> None:
        tx.execute(self._insert, {name: getattr(record, name) for name in self.columns})

    def add_many(self, tx: Executor, records: Sequence[R]) -> None:
        """Insert ``records`` in one executemany (``Duplicate`` if any one conflicts)."""
        if records:
            tx.execute(
                self._insert,
                [{name: getattr(record, name) for name in self.columns} for record in records],
            )

    def update(self, tx: Executor, uuid: str, **values: Any) -> bool:
        """Set ``values`` on the row; False when there is no such row."""
        return bool(affected(tx.execute(self._update, {"updating_uuid": uuid, **values})))

    def delete(self, tx: Executor, uuid: str) -> bool:
        """Remove the row; False when there was none."""
        return bool(affected(tx.execute(self._delete, {"uuid": uuid})))
