"""Why a node is in maintenance becomes data (``maintenance_kind``, and the instance a failed
clean-up left behind), instead of prefixes of the human reason that code matched.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The reason prefixes earlier releases wrote, and the kinds they meant.
_OWNER = "Ironic: "
_CLEANUP = "Clean-up after a failed deploy of instance "


def upgrade() -> None:
    with op.batch_alter_table("nodes") as batch_op:
        batch_op.add_column(sa.Column("maintenance_kind", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("leftover_instance_uuid", sa.String(36), nullable=True))
    # The same statements on SQLite and PostgreSQL: LIKE, substr and length are in both.
    op.execute(
        f"UPDATE nodes SET maintenance_kind = 'owner' "
        f"WHERE maintenance AND maintenance_reason LIKE '{_OWNER}%'"
    )
    op.execute(
        "UPDATE nodes SET maintenance_kind = 'failed_cleanup', "
        f"leftover_instance_uuid = substr(maintenance_reason, {len(_CLEANUP) + 1}, 36) "
        f"WHERE maintenance AND maintenance_reason LIKE '{_CLEANUP}%'"
    )
    op.execute(
        "UPDATE nodes SET maintenance_kind = 'operator' "
        "WHERE maintenance AND maintenance_kind IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("nodes") as batch_op:
        batch_op.drop_column("leftover_instance_uuid")
        batch_op.drop_column("maintenance_kind")
