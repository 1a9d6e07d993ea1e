"""Node traits (as Ironic's): what instance types require or forbid with ``trait:`` specs.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 06:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "node_traits",
        sa.Column(
            "node_uuid",
            sa.String(36),
            sa.ForeignKey("nodes.uuid", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("trait", sa.String(255), primary_key=True),
    )
    op.create_index("ix_node_traits_trait", "node_traits", ["trait", "node_uuid"])


def downgrade() -> None:
    op.drop_table("node_traits")
