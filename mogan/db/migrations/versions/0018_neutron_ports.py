"""Ports may be Neutron's: a port's network is then Neutron's (no row of Mogan's to refer
to), and a port the tenant gave (``networks: [{"port_id": …}]``) is kept at tear-down.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ports") as batch:
        batch.drop_constraint("fk_ports_network_uuid_networks", type_="foreignkey")
        batch.add_column(
            sa.Column("preserve_on_delete", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("ports") as batch:
        batch.drop_column("preserve_on_delete")
        batch.create_foreign_key(
            "fk_ports_network_uuid_networks", "networks", ["network_uuid"], ["uuid"]
        )
