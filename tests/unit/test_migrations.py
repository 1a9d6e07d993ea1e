"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from mogan.db.database import Database
from mogan.db.models import metadata


def test_migrations_match_the_models(migrated_url: str):
    db = Database(migrated_url)
    try:
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
    finally:
        db.dispose()
    assert differences == []
