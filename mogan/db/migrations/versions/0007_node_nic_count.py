"""Nodes keep a count of their NICs, by which the scheduler ranks them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("nodes") as batch_op:
        batch_op.add_column(
            sa.Column("nic_count", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE nodes SET nic_count = (SELECT count(*) FROM nics WHERE nics.node_uuid = nodes.uuid)"
    )


def downgrade() -> None:
    with op.batch_alter_table("nodes") as batch_op:
        batch_op.drop_column("nic_count")
