"""Deploy templates (Ironic's: BIOS and RAID steps selected by a trait) and what each node's
BIOS and RAID hold after them (the fake driver's simulated machines have a BIOS and RAID
too).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 06:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deploy_templates",
        sa.Column("uuid", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("name", name=op.f("uq_deploy_templates_name")),
    )
    op.create_index("ix_deploy_templates_created", "deploy_templates", ["created_at", "uuid"])
    op.create_table(
        "node_configurations",
        sa.Column(
            "node_uuid",
            sa.String(36),
            sa.ForeignKey("nodes.uuid", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("bios_settings", sa.JSON(), nullable=True),
        sa.Column("raid_config", sa.JSON(), nullable=True),
        sa.Column("applied_steps", sa.JSON(), nullable=True),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
    )

    with op.batch_alter_table("fake_hardware") as batch:
        batch.add_column(sa.Column("bios_settings", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("raid_config", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fake_hardware") as batch:
        batch.drop_column("raid_config")
        batch.drop_column("bios_settings")
    op.drop_table("node_configurations")
    op.drop_table("deploy_templates")
