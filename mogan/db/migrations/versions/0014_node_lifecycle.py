"""The node lifecycle: every node has a provision state (nodes Mogan drives had none), NICs
have a link speed, an inspection's inventory is kept, and simulated disks remember who
wrote them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A node serving an instance is active; one whose cleaning failed is ``clean failed``;
    # any other was schedulable, so available. (Ironic's nodes keep their mirrored state.)
    op.execute(
        "UPDATE nodes SET provision_state = CASE "
        "WHEN instance_uuid IS NOT NULL THEN 'active' "
        "WHEN maintenance_kind = 'clean_failed' THEN 'clean failed' "
        "ELSE 'available' END "
        "WHERE provision_state IS NULL"
    )
    with op.batch_alter_table("nodes") as batch_op:
        batch_op.alter_column(
            "provision_state", existing_type=sa.String(32), nullable=False, server_default="enroll"
        )
    with op.batch_alter_table("nics") as batch_op:
        batch_op.add_column(sa.Column("speed_mbps", sa.Integer(), nullable=True))
    with op.batch_alter_table("fake_hardware") as batch_op:
        batch_op.add_column(sa.Column("disk_written_by", sa.String(36), nullable=True))
        batch_op.add_column(
            sa.Column("cleanings", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("last_clean_mode", sa.String(16), nullable=True))
    op.create_table(
        "node_inventories",
        sa.Column("node_uuid", sa.String(length=36), nullable=False),
        sa.Column("inventory", sa.JSON(), nullable=False),
        sa.Column("applied", sa.JSON(), nullable=False),
        sa.Column("inspected_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_uuid"],
            ["nodes.uuid"],
            name=op.f("fk_node_inventories_node_uuid_nodes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("node_uuid", name=op.f("pk_node_inventories")),
    )


def downgrade() -> None:
    op.drop_table("node_inventories")
    with op.batch_alter_table("fake_hardware") as batch_op:
        batch_op.drop_column("last_clean_mode")
        batch_op.drop_column("cleanings")
        batch_op.drop_column("disk_written_by")
    with op.batch_alter_table("nics") as batch_op:
        batch_op.drop_column("speed_mbps")
    with op.batch_alter_table("nodes") as batch_op:
        batch_op.alter_column(
            "provision_state", existing_type=sa.String(32), nullable=True, server_default=None
        )
    op.execute(
        "UPDATE nodes SET provision_state = NULL "
        "WHERE driver <> 'ironic' AND provision_state IN ('available', 'active')"
    )
