"""The process's handle on the database, and the only four ways in.

Only the data layer (``mogan.db``: one module per aggregate) uses them; services and the
engine call that layer and hold at most a transaction handle to pass back to it:

- ``transaction()``: a read-write transaction on a plain connection, committed when the block
  ends without an exception. Use cases compose an aggregate's writes in one.
- ``read_rows()``: a connection for reading.
- ``write_one(statement)``: one writing statement as a transaction of its own (claims, lease
  renewals, address reservations).
- ``read_one(statement)``: the hottest single-row read (an instance's GET).

On SQLite, Python's sqlite3 module is told to stay out of transaction control and we emit
``BEGIN IMMEDIATE`` for writes: a deferred transaction that reads and then writes can fail
outright when another writer committed in between, which would turn a compare-and-set into a
spurious error. Reads use a plain (deferred) ``BEGIN`` and never block writers under WAL.

On PostgreSQL connections rest in autocommit and reads run that way: under PostgreSQL's
READ COMMITTED every statement takes its own snapshot even inside a transaction, so wrapping a
read in ``BEGIN``/``ROLLBACK`` bought no consistency and cost two of a GET's three round trips.
Writes (and migrations) switch their connection to READ COMMITTED for the transaction.

An unreachable database is ``ServiceUnavailable``; a broken uniqueness or reference rule is
``Duplicate``, in every one of them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, create_engine, event, text
from sqlalchemy.engine import URL, Connection, CursorResult, Engine, Row, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, OperationalError

from mogan.core import jsontext
from mogan.core.errors import ServiceUnavailable

LOG = logging.getLogger(__name__)

_WRITE = "mogan_write"
#: A SQLite connection that runs one statement, which is atomic by itself: no ``BEGIN``.
_SINGLE = "mogan_single_statement"

#: PostgreSQL channel on which new operations are announced to engines.
OPERATIONS_CHANNEL = "mogan_operations"

#: Where the data layer's statements run: a transaction's (or a read's) connection.
Executor = Connection

_NOTIFY = text(f"NOTIFY {OPERATIONS_CHANNEL}")

#: A pooled connection idle for longer than this is pinged before use (see ``_ping_when_idle``).
IDLE_PING_AFTER = 1.0


class Duplicate(Exception):
    """A write broke a uniqueness or reference rule of the schema (a name or MAC already
    taken, an address allocated meanwhile, a row referred to that is gone): the data layer's
    word for SQLAlchemy's ``IntegrityError``, so callers never need to know the library."""


class Database:
    """One process's handle on the database: its connection pool and the ways in."""

    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int = 20) -> None:
        self.url: URL = make_url(url)
        self.dialect = self.url.get_backend_name()
        self.engine: Engine = self._create_engine(pool_size, max_overflow)
        #: Connections that run a transaction (``BEGIN`` … ``COMMIT``) on every backend.
        self.transactional: Engine = (
            self.engine.execution_options(isolation_level="READ COMMITTED")
            if self.dialect == "postgresql"
            else self.engine
        )
        self._writer = self.transactional.execution_options(**{_WRITE: True})
        self._single = self.engine.execution_options(**{_SINGLE: True})
        #: ``read_one``'s statements as PostgreSQL SQL, compiled on first use.
        self._driver_sql: dict[Select[Any], str] = {}
        #: ``read_one``'s psycopg error class and row factory. Imported here, for PostgreSQL
        #: only (a SQLite process, ``mogan serve``, never loads psycopg), not on every read.
        self._driver_error: type[Exception] = Exception
        self._driver_rows: Any = None
        if self.dialect == "postgresql":
            from psycopg import OperationalError
            from psycopg.rows import namedtuple_row

            self._driver_error, self._driver_rows = OperationalError, namedtuple_row

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def _create_engine(self, pool_size: int, max_overflow: int) -> Engine:
        # A failed statement's error never quotes its parameters: they hold BMC passwords
        # and user data, and the error is logged.
        kwargs: dict[str, Any] = {"hide_parameters": True, "json_deserializer": jsontext.loads}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
            if self.url.database and self.url.database != ":memory:":
                _create_private_file(self.url.database)
                # As many kept connections as on PostgreSQL: SQLAlchemy's default of 5 for a
                # file, below the API's threads, opened (and set up) a connection per request
                # beyond the fifth and closed it after.
                kwargs.update(pool_size=pool_size, max_overflow=max_overflow, pool_timeout=10)
        else:
            kwargs.update(pool_size=pool_size, max_overflow=max_overflow, pool_timeout=10)
            if self.dialect == "postgresql":
                kwargs["isolation_level"] = "AUTOCOMMIT"
                # Fail fast when PostgreSQL is down instead of hanging a request.
                kwargs["connect_args"] = {"connect_timeout": 5}
        engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(engine)
        else:
            _ping_when_idle(engine)
        return engine

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A read-write transaction, committed when the block ends without an exception.

        Plain connections and Core statements everywhere: an ORM session's unit of work cost
        more than the statements it ran on the hottest paths."""
        with _translate_outage(), self._writer.begin() as connection:
            yield connection

    def write_one(self, statement: Any, params: dict[str, Any] | None = None) -> list[Row[Any]]:
        """Run one writing statement as a transaction of its own; return the rows it returned
        (``RETURNING``), if any.

        On PostgreSQL it runs in autocommit, one round trip instead of three: a single
        statement is atomic by itself, and under READ COMMITTED it behaves exactly as it would
        between ``BEGIN`` and ``COMMIT``.
        """
        if self.dialect != "postgresql":
            with self.transaction() as connection:
                result = connection.execute(statement, params or {})
                return list(result) if result.returns_rows else []
        with _translate_outage(), self.engine.connect() as connection:
            result = connection.execute(statement, params or {})
            return list(result) if result.returns_rows else []

    def analyze(self, *tables: str) -> None:
        """Have the database re-read the sizes of ``tables`` (``ANALYZE``), as after any bulk
        load: until autovacuum gets to them, PostgreSQL plans reads of rows added in seconds on
        the sizes it saw before."""
        with self.transaction() as tx:
            for table in tables:
                tx.execute(text(f"ANALYZE {table}"))

    def ping(self) -> None:
        """``SELECT 1``; ``ServiceUnavailable`` when the database cannot be reached."""
        with _translate_outage(), self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    @contextlib.contextmanager
    def read_rows(self) -> Iterator[Connection]:
        """A connection for reading: autocommit on PostgreSQL (each statement sees the latest
        committed data, as it would under READ COMMITTED), a deferred transaction on SQLite."""
        with _translate_outage(), self.engine.connect() as connection:
            yield connection

    def read_one(self, statement: Select[Any], params: dict[str, Any]) -> Any | None:
        """The first row of a prebuilt SELECT (attributes named as its columns), or None.

        For the hottest single-row read, an instance's GET. On PostgreSQL the statement,
        compiled once, runs straight on the pooled psycopg connection and its row is a named
        tuple: SQLAlchemy's work per execution (an execution context, a result built from the
        cursor's description) cost more CPU than psycopg's whole query (bench/scale.py, GET
        one). The values are the same: psycopg decodes ``json`` and timestamps as SQLAlchemy
        returns them, so only statements whose columns need no SQLAlchemy result processing
        belong here. Elsewhere it runs through SQLAlchemy.
        """
        if self.dialect != "postgresql":
            with _translate_outage(), self._single.connect() as connection:
                return connection.execute(statement, params).first()
        sql = self._driver_sql.get(statement)
        if sql is None:
            sql = self._driver_sql[statement] = str(statement.compile(dialect=self.engine.dialect))
        with _translate_outage(), self.engine.connect() as connection:
            driver = connection.connection.driver_connection
            try:
                with driver.cursor(row_factory=self._driver_rows) as cursor:  # type: ignore[union-attr]
                    cursor.execute(sql, params)
                    return cursor.fetchone()
            except self._driver_error as exc:
                if not driver.broken:  # type: ignore[union-attr]
                    raise
                # What SQLAlchemy does for its own statements: the pool forgets the connection.
                connection.invalidate(exc)
                raise _outage(exc) from exc

    def announce_operation(self, executor: Executor) -> None:
        """Tell engines in other processes that work was queued, when this commits.

        PostgreSQL delivers a NOTIFY only if and when its transaction commits, so an engine is
        never woken for work it cannot see. On SQLite (one process) the in-process wake-up
        suffices.
        """
        if self.dialect == "postgresql":
            executor.execute(_NOTIFY)

    def dispose(self) -> None:
        self.engine.dispose()


def affected(result: Any) -> int:
    """Rows matched by an UPDATE or DELETE: how a compare-and-set learns whether it won."""
    cursor: CursorResult[Any] = result
    return int(cursor.rowcount)


def _create_private_file(path: str) -> None:
    """Create the SQLite file readable by its owner only (it holds BMC passwords and user
    data); SQLite gives its WAL and shared-memory files the same mode. An existing file is
    left as the operator set it."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


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
        options = connection.get_execution_options()
        if options.get(_SINGLE, False):
            return
        connection.exec_driver_sql("BEGIN IMMEDIATE" if options.get(_WRITE, False) else "BEGIN")


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection is alive before use, if it has sat idle for a while.

    A connection that idled may have been closed by a database restart or a firewall, and
    handing it to a request would turn a healthy database into a 503. Pinging on every
    checkout (``pool_pre_ping``) costs a round trip per request, though, and a connection
    returned a moment ago is as alive as the ping would prove. A connection that breaks while
    in use still gets its request a 503 and makes the pool drop its siblings.
    """

    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_AFTER:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any failure means "do not use this one"
            # The pool discards the connection and checks out another (a fresh one if need be).
            raise DisconnectionError(f"stale pooled connection: {exc}") from exc


@contextlib.contextmanager
def _translate_outage() -> Iterator[None]:
    """Turn "the database is unreachable" into ``ServiceUnavailable`` and a broken schema
    rule into ``Duplicate``; let the rest through."""
    try:
        yield
    except IntegrityError as exc:
        raise Duplicate(str(exc.orig)) from exc
    except OperationalError as exc:
        if _is_disconnect(exc):
            raise _outage(exc.orig) from exc
        raise
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise ServiceUnavailable(_UNAVAILABLE) from exc
        raise


_UNAVAILABLE = "The database is unavailable; try again shortly."


def _outage(cause: BaseException | None) -> ServiceUnavailable:
    """What a request that found the database unreachable ends in; the cause is logged."""
    LOG.warning("Database unavailable: %s", cause)
    return ServiceUnavailable(_UNAVAILABLE)


def _is_disconnect(exc: OperationalError) -> bool:
    """Whether the database is out of reach (not: the statement was wrong), by the driver's
    own classification rather than by its English messages.

    SQLAlchemy marks the disconnects its dialect recognises. Beyond those, on PostgreSQL: an
    error psycopg raised without a SQLSTATE is the client's own (connection refused or lost,
    a timeout); and the server's classes 08 (connection exception), 53 (insufficient
    resources: too many clients, out of memory — busy, so retry later) and 57P (shut down,
    starting up, dropped) all mean "not now", never "not this". SQLite has no server to lose.
    """
    if exc.connection_invalidated:
        return True
    cause = exc.orig
    if not type(cause).__module__.startswith("psycopg"):  # SQLite's own
        return False
    import psycopg  # loaded already: the error came from it

    if not isinstance(cause, psycopg.OperationalError):
        return False
    state = cause.sqlstate
    return state is None or state.startswith(("08", "53", "57P"))
