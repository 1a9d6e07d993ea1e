"""Test databases: a fresh SQLite file or a fresh PostgreSQL database per use.

PostgreSQL is the one at 127.0.0.1:5432 (see ../shared/docs/REAL-PEERS.md). If it cannot be
reached the tests that need it fail with the reason; they are never skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get(
    "MOGAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ("sqlite", "postgresql")


def _pg_admin() -> sa.Engine:
    return sa.create_engine(
        PG_ADMIN_URL,
        isolation_level="AUTOCOMMIT",
        pool_pre_ping=True,  # survives the PostgreSQL restart a scale-out test makes
        connect_args={"connect_timeout": 5},
    )


@contextmanager
def fresh_database(backend: str, directory: str) -> Iterator[str]:
    """Yield the URL of a new, empty database; drop it afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{os.path.join(directory, f'mogan-{uuid.uuid4().hex[:8]}.sqlite')}"
        return
    name = f"mogan_test_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
    except sa.exc.OperationalError as exc:
        raise RuntimeError(
            f"PostgreSQL at {PG_ADMIN_URL} is needed by these tests and could "
            f"not be reached: {exc.orig}"
        ) from exc
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()
