"""Subnets count the addresses they handed out, so the next allocation takes the next one.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subnets") as batch_op:
        batch_op.add_column(
            sa.Column("allocations", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("subnets") as batch_op:
        batch_op.drop_column("allocations")
