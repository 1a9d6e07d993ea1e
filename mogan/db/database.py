"""Transactions. ``Database.write()`` and ``Database.read()`` are the only ways to a session.

On SQLite, Python's sqlite3 module is told to stay out of transaction control and we emit
``BEGIN IMMEDIATE`` for writes: a deferred transaction that reads and then writes can fail
outright when another writer committed in between, which would turn a compare-and-set into a
spurious error. Reads use a plain (deferred) ``BEGIN`` and never block writers under WAL.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, CursorResult, Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from mogan.core.errors import ServiceUnavailable

LOG = logging.getLogger(__name__)

_WRITE = "mogan_write"

#: PostgreSQL channel on which new operations are announced to engines.
OPERATIONS_CHANNEL = "mogan_operations"


class Database:
    """One process's handle on the database: an engine and two session factories."""

    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int = 20) -> None:
        self.url: URL = make_url(url)
        self.dialect = self.url.get_backend_name()
        self.engine: Engine = self._create_engine(pool_size, max_overflow)
        self._write_sessions = sessionmaker(
            bind=self.engine.execution_options(**{_WRITE: True}), expire_on_commit=False
        )
        self._read_sessions = sessionmaker(bind=self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def _create_engine(self, pool_size: int, max_overflow: int) -> Engine:
        kwargs: dict[str, Any] = {"pool_pre_ping": True}
        if self.is_sqlite:
            if self.url.database and self.url.database != ":memory:":
                os.makedirs(os.path.dirname(os.path.abspath(self.url.database)), exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        else:
            kwargs.update(pool_size=pool_size, max_overflow=max_overflow, pool_timeout=10)
            if self.dialect == "postgresql":
                # Fail fast when PostgreSQL is down instead of hanging a request.
                kwargs["connect_args"] = {"connect_timeout": 5}
        engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(engine)
        return engine

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A read-write transaction, committed when the block ends without an exception."""
        with _translate_outage(), self._write_sessions() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only transaction, ended when the block ends.

        Closing (not rolling back) the session keeps loaded rows readable after the block; the
        connection pool resets the connection's transaction when it takes it back.
        """
        with _translate_outage(), self._read_sessions() as session:
            yield session

    def announce_operation(self, session: Session) -> None:
        """Tell engines in other processes that work was queued, when this commits.

        PostgreSQL delivers a NOTIFY only if and when its transaction commits, so an engine is
        never woken for work it cannot see. On SQLite (one process) the in-process wake-up
        suffices.
        """
        if self.dialect == "postgresql":
            session.execute(text(f"NOTIFY {OPERATIONS_CHANNEL}"))

    def dispose(self) -> None:
        self.engine.dispose()


def affected(result: Any) -> int:
    """Rows matched by an UPDATE or DELETE: how a compare-and-set learns whether it won."""
    cursor: CursorResult[Any] = result
    return int(cursor.rowcount)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextlib.contextmanager
def _translate_outage() -> Iterator[None]:
    """Turn "the database is unreachable" into ``ServiceUnavailable``; let the rest through."""
    try:
        yield
    except OperationalError as exc:
        if _is_disconnect(exc):
            LOG.warning("Database unavailable: %s", exc.orig)
            raise ServiceUnavailable("The database is unavailable; try again shortly.") from exc
        raise
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise ServiceUnavailable("The database is unavailable; try again shortly.") from exc
        raise


def _is_disconnect(exc: OperationalError) -> bool:
    if exc.connection_invalidated:
        return True
    text = str(exc.orig).lower()
    return any(
        marker in text
        for marker in (
            "connection refused",
            "could not connect",
            "server closed the connection",
            "terminating connection",
            "the database system is",
            "connection timeout",
            "connection is closed",
            "too many clients",  # max_connections reached: busy, not broken; retry later
            "connection failed",
            "consuming input failed",
            "timeout expired",
        )
    )
