"""The ``fake`` driver's simulated machines can be rescued: the rescue image they booted and
a hash of the rescue password they were given (never the password itself).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("fake_hardware") as batch:
        batch.add_column(sa.Column("rescue_image_url", sa.Text(), nullable=True))
        batch.add_column(sa.Column("rescue_password_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fake_hardware") as batch:
        batch.drop_column("rescue_password_sha256")
        batch.drop_column("rescue_image_url")
