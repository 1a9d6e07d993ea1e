"""Instance tags, and the record of every action on an instance with its steps.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 10:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("instances") as batch_op:
        batch_op.add_column(sa.Column("tags", sa.JSON(), nullable=True))
    op.execute("UPDATE instances SET tags = '[]'")
    with op.batch_alter_table("instances") as batch_op:
        batch_op.alter_column("tags", existing_type=sa.JSON(), nullable=False)
    op.create_table(
        "instance_tags",
        sa.Column("instance_uuid", sa.String(length=36), nullable=False),
        sa.Column("tag", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_uuid"],
            ["instances.uuid"],
            name=op.f("fk_instance_tags_instance_uuid_instances"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("instance_uuid", "tag", name=op.f("pk_instance_tags")),
    )
    op.create_index(op.f("ix_instance_tags_tag"), "instance_tags", ["tag"])
    op.create_table(
        "instance_actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("instance_uuid", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("start_time", sa.DateTime(), nullable=False),
        sa.Column("finish_time", sa.DateTime(), nullable=True),
        sa.Column("result", sa.String(length=16), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instance_actions")),
    )
    op.create_index("ix_instance_actions_instance", "instance_actions", ["instance_uuid", "id"])
    op.create_index(
        "ix_instance_actions_request", "instance_actions", ["instance_uuid", "request_id"]
    )
    op.create_table(
        "instance_action_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("start_time", sa.DateTime(), nullable=False),
        sa.Column("finish_time", sa.DateTime(), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("details", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["instance_actions.id"],
            name=op.f("fk_instance_action_events_action_id_instance_actions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instance_action_events")),
    )
    op.create_index(
        op.f("ix_instance_action_events_action_id"), "instance_action_events", ["action_id"]
    )


def downgrade() -> None:
    op.drop_table("instance_action_events")
    op.drop_table("instance_actions")
    op.drop_table("instance_tags")
    with op.batch_alter_table("instances") as batch_op:
        batch_op.drop_column("tags")
