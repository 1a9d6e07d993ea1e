"""Alembic environment: runs migrations on the connection ``mogan.db.migrate`` hands it."""

from alembic import context

from mogan.db.models import metadata

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER constraints
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
