"""What an instance is given at boot: a key pair's public key, user data and metadata; and
the fake driver's record of the config drive it gave a machine.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 09:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("instances") as batch_op:
        batch_op.add_column(sa.Column("key_name", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("key_data", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("user_data", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("user_metadata", sa.JSON(), nullable=True))
    op.execute("UPDATE instances SET user_metadata = '{}'")
    with op.batch_alter_table("instances") as batch_op:
        batch_op.alter_column("user_metadata", existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table("fake_hardware") as batch_op:
        batch_op.add_column(sa.Column("config_drive", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fake_hardware") as batch_op:
        batch_op.drop_column("config_drive")
    with op.batch_alter_table("instances") as batch_op:
        for column in ("user_metadata", "user_data", "key_data", "key_name"):
            batch_op.drop_column(column)
