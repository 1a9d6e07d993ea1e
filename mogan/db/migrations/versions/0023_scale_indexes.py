"""Indexes for a region's fleet: the free nodes alone (the scheduler samples them from a random
point, reading as many rows as it samples at any fleet size), instances by status in the list's
order, nodes by provision state in theirs.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 09:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FREE = sa.text("instance_uuid IS NULL")


def upgrade() -> None:
    op.create_index("ix_nodes_free", "nodes", ["uuid"], postgresql_where=FREE, sqlite_where=FREE)
    op.create_index("ix_nodes_state_name", "nodes", ["provision_state", "name"])
    op.create_index("ix_instances_status_created", "instances", ["status", "created_at", "uuid"])


def downgrade() -> None:
    op.drop_index("ix_instances_status_created", "instances")
    op.drop_index("ix_nodes_state_name", "nodes")
    op.drop_index("ix_nodes_free", "nodes")
