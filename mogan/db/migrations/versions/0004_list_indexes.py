"""Indexes behind every list filter and sort key.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 11:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = [
    ("ix_instances_created", "instances", ["created_at", "uuid"]),
    ("ix_nodes_maintenance", "nodes", ["maintenance"]),
    ("ix_nodes_resource_class", "nodes", ["resource_class"]),
    ("ix_nodes_created", "nodes", ["created_at", "uuid"]),
    ("ix_images_name", "images", ["name", "uuid"]),
    ("ix_images_created", "images", ["created_at", "uuid"]),
    ("ix_networks_name", "networks", ["name", "uuid"]),
    ("ix_networks_created", "networks", ["created_at", "uuid"]),
    ("ix_instance_types_created", "instance_types", ["created_at", "uuid"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
