"""A NIC records the switch port it is cabled to (Ironic's ``local_link_connection``:
``switch_id``, ``port_id``, ``switch_info``), which Neutron needs to bind a baremetal port.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("nics") as batch:
        batch.add_column(sa.Column("local_link_connection", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("nics") as batch:
        batch.drop_column("local_link_connection")
