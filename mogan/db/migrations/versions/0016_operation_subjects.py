"""Operations and actions name their subject (what kind of thing, which one) instead of
putting a node's uuid in an ``instance_uuid`` column; nodes keep what their last
verification found.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Before this revision, the only operations and actions on nodes were these.
_NODE_WORK = "('clean', 'inspect')"


def upgrade() -> None:
    op.drop_index("ix_operations_instance", table_name="operations")
    with op.batch_alter_table("operations") as batch_op:
        batch_op.alter_column(
            "instance_uuid", new_column_name="subject_uuid", existing_type=sa.String(36)
        )
        batch_op.add_column(
            sa.Column("subject_kind", sa.String(16), nullable=False, server_default="instance")
        )
    op.create_index("ix_operations_subject", "operations", ["subject_uuid", "status"])
    op.execute(f"UPDATE operations SET subject_kind = 'node' WHERE kind IN {_NODE_WORK}")

    op.drop_index("ix_instance_actions_instance", table_name="instance_actions")
    op.drop_index("ix_instance_actions_request", table_name="instance_actions")
    with op.batch_alter_table("instance_actions") as batch_op:
        batch_op.alter_column(
            "instance_uuid", new_column_name="subject_uuid", existing_type=sa.String(36)
        )
        batch_op.add_column(
            sa.Column("subject_kind", sa.String(16), nullable=False, server_default="instance")
        )
    op.create_index("ix_instance_actions_subject", "instance_actions", ["subject_uuid", "id"])
    op.create_index(
        "ix_instance_actions_request", "instance_actions", ["subject_uuid", "request_id"]
    )
    op.execute(f"UPDATE instance_actions SET subject_kind = 'node' WHERE action IN {_NODE_WORK}")

    with op.batch_alter_table("nodes") as batch_op:
        batch_op.add_column(sa.Column("interface_checks", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("verified_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("nodes") as batch_op:
        batch_op.drop_column("verified_at")
        batch_op.drop_column("interface_checks")
    op.drop_index("ix_instance_actions_request", table_name="instance_actions")
    op.drop_index("ix_instance_actions_subject", table_name="instance_actions")
    with op.batch_alter_table("instance_actions") as batch_op:
        batch_op.drop_column("subject_kind")
        batch_op.alter_column(
            "subject_uuid", new_column_name="instance_uuid", existing_type=sa.String(36)
        )
    op.create_index("ix_instance_actions_instance", "instance_actions", ["instance_uuid", "id"])
    op.create_index(
        "ix_instance_actions_request", "instance_actions", ["instance_uuid", "request_id"]
    )
    op.drop_index("ix_operations_subject", table_name="operations")
    with op.batch_alter_table("operations") as batch_op:
        batch_op.drop_column("subject_kind")
        batch_op.alter_column(
            "subject_uuid", new_column_name="instance_uuid", existing_type=sa.String(36)
        )
    op.create_index("ix_operations_instance", "operations", ["instance_uuid", "status"])
