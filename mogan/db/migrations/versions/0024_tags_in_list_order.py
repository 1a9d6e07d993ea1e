"""Instance tags carry their instance's ``created_at``, indexed after the tag: a list filtered
by one tag walks the tag's rows in the list's order and stops at a page, where it used to read
every instance that has the tag and sort them.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("instance_tags", sa.Column("created_at", sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE instance_tags SET created_at = "
        "(SELECT created_at FROM instances WHERE instances.uuid = instance_tags.instance_uuid)"
    )
    with op.batch_alter_table("instance_tags") as batch:
        batch.alter_column("created_at", existing_type=sa.DateTime(), nullable=False)
        batch.drop_index("ix_instance_tags_tag")
        batch.create_index("ix_instance_tags_tag_created", ["tag", "created_at", "instance_uuid"])


def downgrade() -> None:
    with op.batch_alter_table("instance_tags") as batch:
        batch.drop_index("ix_instance_tags_tag_created")
        batch.create_index("ix_instance_tags_tag", ["tag"])
        batch.drop_column("created_at")
