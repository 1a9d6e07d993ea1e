"""The fake driver's simulated BMCs keep a log of the requests they received.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fake_hardware_calls",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("node_uuid", sa.String(length=36), nullable=False),
        sa.Column("call", sa.String(length=32), nullable=False),
        sa.Column("instance_uuid", sa.String(length=36), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_uuid"],
            ["nodes.uuid"],
            name=op.f("fk_fake_hardware_calls_node_uuid_nodes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fake_hardware_calls")),
    )
    op.create_index("ix_fake_hardware_calls_node", "fake_hardware_calls", ["node_uuid", "id"])


def downgrade() -> None:
    op.drop_index("ix_fake_hardware_calls_node", table_name="fake_hardware_calls")
    op.drop_table("fake_hardware_calls")
