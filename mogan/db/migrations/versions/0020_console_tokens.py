"""Console tokens: short-lived, single-use tickets to an instance's serial console, kept as
hashes.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 06:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_tokens",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column(
            "instance_uuid",
            sa.String(36),
            sa.ForeignKey("instances.uuid", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("protocol", sa.String(16), nullable=False),
        sa.Column("console_type", sa.String(16), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_console_tokens_instance_uuid", "console_tokens", ["instance_uuid"])
    op.create_index("ix_console_tokens_expires", "console_tokens", ["expires_at"])


def downgrade() -> None:
    op.drop_table("console_tokens")
