"""Data migrations carry what earlier releases stored into the new shape."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from mogan.db import migrate
from mogan.db.database import Database
from tests.databases import fresh_database

_LEFTOVER = "0b5f8a4e-2d7c-4f3a-9e1b-6c8d7e9f0a12"


def test_maintenance_reasons_become_kinds(backend: str, tmp_path: Path):
    with fresh_database(backend, str(tmp_path)) as url:
        db = Database(url)
        try:
            migrate.upgrade(db, "0007")
            nodes = [
                ("owned", True, "Ironic: fan failure"),
                (
                    "leftover",
                    True,
                    f"Clean-up after a failed deploy of instance {_LEFTOVER} failed: BMC gone",
                ),
                ("operator", True, "DIMM replacement"),
                ("free", False, None),
            ]
            with db.transactional.begin() as connection:
                for name, maintenance, reason in nodes:
                    connection.execute(
                        sa.text(
                            "INSERT INTO nodes (uuid, name, driver, driver_info, properties, "
                            "maintenance, maintenance_reason, nic_count, created_at) "
                            "VALUES (:u, :n, 'fake', '{}', '{}', :m, :r, 0, CURRENT_TIMESTAMP)"
                        ),
                        {"u": f"{name:0>36}"[-36:], "n": name, "m": maintenance, "r": reason},
                    )
            migrate.upgrade(db)
            with db.engine.connect() as connection:
                found = {
                    row.name: (row.maintenance_kind, row.leftover_instance_uuid)
                    for row in connection.execute(
                        sa.text("SELECT name, maintenance_kind, leftover_instance_uuid FROM nodes")
                    )
                }
        finally:
            db.dispose()
    assert found == {
        "owned": ("owner", None),
        "leftover": ("failed_cleanup", _LEFTOVER),
        "operator": ("operator", None),
        "free": (None, None),
    }


def test_tags_take_their_instances_creation_time(backend: str, tmp_path: Path):
    """0024 copies each instance's ``created_at`` into its tag rows (the one-tag list walks
    them in that order): a tag made before the upgrade lists as one made after."""
    made = {"a" * 36: "2026-01-01 10:00:00", "b" * 36: "2026-02-01 10:00:00"}
    with fresh_database(backend, str(tmp_path)) as url:
        db = Database(url)
        try:
            migrate.upgrade(db, "0023")
            with db.transactional.begin() as connection:
                for uuid, created in made.items():
                    connection.execute(
                        sa.text(
                            "INSERT INTO instances (uuid, name, project_id, user_id, status, "
                            "instance_type_uuid, image_uuid, network_info, extra, created_at, "
                            "user_metadata, tags) VALUES (:u, 'i', 'p', 'u', 'active', :u, :u, "
                            "'{}', '{}', :c, '{}', '[\"x\", \"y\"]')"
                        ),
                        {"u": uuid, "c": created},
                    )
                    for tag in ("x", "y"):
                        connection.execute(
                            sa.text("INSERT INTO instance_tags VALUES (:u, :t)"),
                            {"u": uuid, "t": tag},
                        )
            migrate.upgrade(db)
            with db.engine.connect() as connection:
                found = {
                    (row.instance_uuid, row.tag): str(row.created_at)
                    for row in connection.execute(sa.text("SELECT * FROM instance_tags"))
                }
        finally:
            db.dispose()
    assert found == {(u, t): c for u, c in made.items() for t in ("x", "y")}


def test_the_processes_check_the_schema_against_the_newest_migration(backend: str, tmp_path: Path):
    """``mogan api`` and ``mogan engine`` read the revision without Alembic: what they read
    and the head they compare it with are Alembic's own, at every step of an upgrade."""
    from mogan.db import revision

    assert migrate.head() == revision.HEAD
    with fresh_database(backend, str(tmp_path)) as url:
        db = Database(url)
        try:
            assert revision.current(db) is None
            migrate.upgrade(db, "0022")
            assert revision.current(db) == migrate.current(db) == "0022"
            migrate.upgrade(db)
            assert revision.current(db) == migrate.current(db) == revision.HEAD
        finally:
            db.dispose()
