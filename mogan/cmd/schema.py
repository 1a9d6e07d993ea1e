"""The schema checks the process commands make before they start (read without Alembic:
``mogan.db.revision``; only migrating loads it)."""

from __future__ import annotations

import logging

from mogan.db import revision
from mogan.db.database import Database

LOG = logging.getLogger("mogan.schema")


def prepare(db: Database) -> None:
    """``serve``: create the schema on an empty database; refuse an outdated one."""
    current, head = revision.current(db), revision.HEAD
    if current is None:
        from mogan.db import migrate

        LOG.info("Empty database: creating the schema (revision %s)", head)
        migrate.upgrade(db)
    elif current != head:
        raise SystemExit(
            f"The database schema is at revision {current} but this Mogan needs "
            f"{head}: run 'mogan db upgrade' first."
        )


def require_current(db: Database) -> None:
    """``api`` and ``engine``: several may start at once, so only ``db upgrade`` migrates."""
    current, head = revision.current(db), revision.HEAD
    if current != head:
        raise SystemExit(
            f"The database schema is at revision {current or 'none'} but this "
            f"Mogan needs {head}: run 'mogan db upgrade' first."
        )
