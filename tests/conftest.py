"""Shared fixtures. ``backend`` parametrizes every database test over SQLite and PostgreSQL.

Tests come in tiers, one folder each. The fast tier (``unit``, ``db``, ``engine``,
``services``: pure code, the data layer and the use cases, with no server and no peer) is
marked ``fast``: ``pytest -m fast --backends sqlite`` runs it alone. ``api`` adds a real HTTP
server and engine threads; ``contract``, ``redfish``, ``ironic`` and ``functional`` add real
peers (sushy-tools' emulator, Ironic, Keystone) and real ``mogan`` processes.
"""

from __future__ import annotations

import os
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


#: Modules whose tests share one worker (``--dist loadgroup``): those that start clusters of
#: real processes on PostgreSQL (run together they would starve each other and PostgreSQL's
#: connections), and those sharing a module-wide Keystone or Ironic.
SERIAL_GROUPS = {
    "functional/test_scale_out.py": "cluster",
    "functional/test_fair_share.py": "cluster",
    "functional/test_leases.py": "cluster",
    "functional/test_node_lifecycle.py": "cluster",
    "functional/test_keystone.py": "keystone",
    "functional/test_glance.py": "glance",
    "functional/test_neutron.py": "neutron",
    "contract/test_driver_contract.py": "contract",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = item.path.resolve().relative_to(_TESTS).parts
        if parts[0] in FAST_TIERS:
            item.add_marker(pytest.mark.fast)
        group = SERIAL_GROUPS.get("/".join(parts))
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: tests spend most of their time waiting (for engines, BMC emulators,
    Ironic, Keystone, browsers), so three workers per core keep the cores busy. A run of
    the fast tier alone, or a run of named test files or tests, runs in this process."""
    cores = os.cpu_count() or 2
    if config.getoption("markexpr", "") == "fast" or _names_single_tests(config.args):
        return 0  # collecting in each worker would cost more than it saves
    return max(4, 3 * cores)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        wanted = [b for b in metafunc.config.getoption("backends").split(",") if b]
        unknown = set(wanted) - set(BACKENDS)
        if unknown:
            raise pytest.UsageError(f"unknown backends: {', '.join(sorted(unknown))}")
        only = metafunc.definition.get_closest_marker("backends")
        if only is not None:
            # The database cannot change what this test checks: it runs on these only.
            wanted = [b for b in wanted if b in only.args] or list(only.args)
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
    from mogan.db.models import metadata

    # DELETE, not TRUNCATE: on tables this small PostgreSQL deletes ten times faster than it
    # truncates (TRUNCATE swaps every table's files).
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
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


def _names_single_tests(args: list[str]) -> bool:
    """Whether the command line names test files or tests, rather than folders."""
    return bool(args) and all(".py" in arg for arg in args)
