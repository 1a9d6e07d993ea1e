"""``Database``: the hottest read straight through psycopg on PostgreSQL, and outages."""

from __future__ import annotations

import datetime as dt
import uuid as uuid_module
from typing import Any

import pytest
import sqlalchemy as sa

from mogan.core.errors import ServiceUnavailable
from mogan.db import migrate
from mogan.db.database import Database
from mogan.db.instances import _ONE as _SHOW_INSTANCE
from mogan.db.models import INSTANCES
from tests.databases import PG_ADMIN_URL, fresh_database


def _add_instance(db: Database, **values: Any) -> str:
    uuid = str(uuid_module.uuid4())
    row = {
        "uuid": uuid,
        "name": "web-1",
        "project_id": "p",
        "user_id": "u",
        "status": "active",
        "power_state": "power on",
        "instance_type_uuid": str(uuid_module.uuid4()),
        "image_uuid": str(uuid_module.uuid4()),
        "availability_zone": "az1",
        "network_info": {"ports": [{"mac": "52:54:00:00:00:01", "ips": ["10.0.0.5"]}]},
        "extra": {"role": "web", "n": 3},
        "created_at": dt.datetime(2026, 11, 27, 12, 0, 1, 250000),
        **values,
    }
    with db.transaction() as connection:
        connection.execute(sa.insert(INSTANCES), row)
    return uuid


def test_read_one_gives_what_sqlalchemy_gives(database_url: str):
    db = Database(database_url)
    try:
        uuid = _add_instance(db, launched_at=dt.datetime(2026, 11, 27, 12, 5))
        with db.read_rows() as connection:
            expected = connection.execute(_SHOW_INSTANCE, {"uuid": uuid}).one()
        row = db.read_one(_SHOW_INSTANCE, {"uuid": uuid})
        assert row is not None
        assert row._asdict() == expected._asdict()
        assert row.extra == {"role": "web", "n": 3}
        assert row.created_at == dt.datetime(2026, 11, 27, 12, 0, 1, 250000)
        assert db.read_one(_SHOW_INSTANCE, {"uuid": str(uuid_module.uuid4())}) is None
    finally:
        db.dispose()


def test_a_connection_postgresql_dropped_is_a_503_once_then_forgotten(tmp_path):
    with fresh_database("postgresql", str(tmp_path)) as url:
        db = Database(url)
        try:
            migrate.upgrade(db)
            uuid = _add_instance(db)
            assert db.read_one(_SHOW_INSTANCE, {"uuid": uuid}) is not None  # pooled now
            admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                killed = connection.execute(
                    sa.text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = :name"
                    ),
                    {"name": db.url.database},
                ).scalar_one()
            admin.dispose()
            assert killed >= 1
            with pytest.raises(ServiceUnavailable, match="database is unavailable"):
                db.read_one(_SHOW_INSTANCE, {"uuid": uuid})
            row = db.read_one(_SHOW_INSTANCE, {"uuid": uuid})  # a new connection
            assert row is not None and row.uuid == uuid
        finally:
            db.dispose()


def test_an_unreachable_postgresql_is_an_outage_and_a_bad_statement_is_not():
    from tests.functional.process import free_port

    down = Database(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/mogan")
    try:
        with pytest.raises(ServiceUnavailable), down.read_rows() as connection:
            connection.execute(sa.text("SELECT 1"))
    finally:
        down.dispose()
    up = Database(PG_ADMIN_URL)
    try:
        with pytest.raises(sa.exc.ProgrammingError), up.read_rows() as connection:
            connection.execute(sa.text("SELECT * FROM no_such_table"))
    finally:
        up.dispose()


def test_a_failed_statement_never_quotes_its_parameters(database_url: str):
    """Errors are logged; their parameters are BMC passwords and user data."""
    db = Database(database_url)
    try:
        with pytest.raises(Exception) as failed, db.read_rows() as connection:
            connection.execute(
                sa.text("SELECT no_such_column FROM nodes WHERE name = :secret"),
                {"secret": "bmc-password-hunter2"},
            )
    finally:
        db.dispose()
    assert "hunter2" not in str(failed.value)


def test_a_new_sqlite_database_is_readable_by_its_owner_only(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/state/mogan.sqlite")
    try:
        with db.read_rows() as connection:
            connection.execute(sa.text("SELECT 1"))
    finally:
        db.dispose()
    assert (tmp_path / "state" / "mogan.sqlite").stat().st_mode & 0o777 == 0o600
