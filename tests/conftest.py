"""Shared fixtures. ``backend`` parametrizes every database test over SQLite and PostgreSQL.

Tests come in tiers, one folder each. The fast tier (``unit``, ``db``, ``engine``,
``services``: pure code, the data layer and the use cases, with no server and no peer) is
marked ``fast``: ``pytest -m fast --backends sqlite`` runs it alone. ``api`` adds a real HTTP
server and engine threads; ``contract``, ``redfish``, ``ironic`` and ``functional`` add real
peers (sushy-tools' emulator, Ironic, Keystone) and real ``mogan`` processes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.databases import BACKENDS, fresh_database


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backends",
        default=",".join(BACKENDS),
        help="comma-separated database backends to run on (sqlite,postgresql)",
    )


#: The folders of the fast tier.
FAST_TIERS = frozenset({"unit", "db", "engine", "services"})
_TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.resolve().relative_to(_TESTS).parts[0] in FAST_TIERS:
            item.add_marker(pytest.mark.fast)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        wanted = [b for b in metafunc.config.getoption("backends").split(",") if b]
        unknown = set(wanted) - set(BACKENDS)
        if unknown:
            raise pytest.UsageError(f"unknown backends: {', '.join(sorted(unknown))}")
        metafunc.parametrize("backend", wanted, scope="session")


@pytest.fixture(scope="session")
def migrated_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One migrated database per backend for the whole run; tests empty it after use."""
    from mogan.db import migrate
    from mogan.db.database import Database

    with fresh_database(backend, str(tmp_path_factory.mktemp(backend))) as url:
        db = Database(url)
        migrate.upgrade(db)
        db.dispose()
        yield url


@pytest.fixture
def database_url(migrated_url: str) -> Iterator[str]:
    yield migrated_url
    _empty(migrated_url)


def _empty(url: str) -> None:
    from mogan.db.models import Base

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
            connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        else:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())
    engine.dispose()


@pytest.fixture
def mogan_factory(database_url: str, tmp_path: Any) -> Iterator[Any]:
    started: list[Any] = []

    def factory(start_engine: bool = True, **overrides: Any) -> Any:
        from tests.harness import make_mogan

        mogan = make_mogan(database_url, str(tmp_path), **overrides)
        if start_engine and mogan.engine is not None:
            mogan.engine.start()
        started.append(mogan)
        return mogan

    yield factory
    for mogan in started:
        mogan.close()
