"""The schema revision this Mogan needs, and the one a database is at, read without Alembic.

Every ``mogan api`` (and each of its workers, which import the same command module) and
``mogan engine`` checks the schema as it starts; importing Alembic and Mako for that left
their modules in each process's memory for its whole life. Only ``mogan db upgrade`` and
``mogan serve`` on an empty database migrate, through ``mogan.db.migrate``. A test holds
``HEAD`` to Alembic's head of ``mogan/db/migrations``.
"""

from __future__ import annotations

from sqlalchemy import inspect, text

from mogan.db.database import Database

#: The newest migration's revision (``mogan/db/migrations/versions``): bump with each one.
HEAD = "0024"


def current(db: Database) -> str | None:
    """The revision the database's schema is at (None: an empty database)."""
    with db.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        versions = list(
            connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        )
    return versions[0] if len(versions) == 1 else ",".join(sorted(versions)) or None
