"""Engines register themselves and heartbeat, to divide periodic work among the live ones.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 10:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "engines",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engines")),
    )
    with op.batch_alter_table("engines") as batch_op:
        batch_op.create_index(batch_op.f("ix_engines_heartbeat_at"), ["heartbeat_at"])


def downgrade() -> None:
    with op.batch_alter_table("engines") as batch_op:
        batch_op.drop_index(batch_op.f("ix_engines_heartbeat_at"))
    op.drop_table("engines")
