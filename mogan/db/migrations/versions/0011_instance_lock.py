"""Instances can be locked: by whom, and why.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("instances") as batch_op:
        batch_op.add_column(sa.Column("locked_by", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("locked_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("instances") as batch_op:
        batch_op.drop_column("locked_reason")
        batch_op.drop_column("locked_by")
