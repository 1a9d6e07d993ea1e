"""Quotas, server groups, multi-create reservations and dedicated nodes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quotas",
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("resource", sa.String(length=255), nullable=False),
        sa.Column("hard_limit", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "resource", name=op.f("pk_quotas")),
    )
    op.create_table(
        "server_groups",
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("policy", sa.String(length=32), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_server_groups")),
    )
    op.create_index("ix_server_groups_project", "server_groups", ["project_id", "created_at"])
    op.create_table(
        "server_group_members",
        sa.Column("instance_uuid", sa.String(length=36), nullable=False),
        sa.Column("group_uuid", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_uuid"],
            ["instances.uuid"],
            name=op.f("fk_server_group_members_instance_uuid_instances"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_uuid"],
            ["server_groups.uuid"],
            name=op.f("fk_server_group_members_group_uuid_server_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("instance_uuid", name=op.f("pk_server_group_members")),
    )
    op.create_index(
        op.f("ix_server_group_members_group_uuid"), "server_group_members", ["group_uuid"]
    )
    with op.batch_alter_table("instances") as batch_op:
        batch_op.add_column(sa.Column("resource_class", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("reservation_id", sa.String(length=64), nullable=True))
        batch_op.create_index(op.f("ix_instances_reservation_id"), ["reservation_id"])
        batch_op.create_index("ix_instances_project_class", ["project_id", "resource_class"])
    with op.batch_alter_table("nodes") as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("lessee", sa.String(length=255), nullable=True))
        batch_op.create_index(op.f("ix_nodes_owner"), ["owner"])
        batch_op.create_index(op.f("ix_nodes_lessee"), ["lessee"])


def downgrade() -> None:
    with op.batch_alter_table("nodes") as batch_op:
        batch_op.drop_index(op.f("ix_nodes_lessee"))
        batch_op.drop_index(op.f("ix_nodes_owner"))
        batch_op.drop_column("lessee")
        batch_op.drop_column("owner")
    with op.batch_alter_table("instances") as batch_op:
        batch_op.drop_index("ix_instances_project_class")
        batch_op.drop_index(op.f("ix_instances_reservation_id"))
        batch_op.drop_column("reservation_id")
        batch_op.drop_column("resource_class")
    op.drop_table("server_group_members")
    op.drop_table("server_groups")
    op.drop_table("quotas")
