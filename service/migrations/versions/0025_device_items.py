"""device items: the items a device keeps under its key (« my items »)

Revision ID: 0025_device_items
Revises: 0024_help_places
Create Date: 2026-12-05 09:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # autogenerate writes its AutoString
from alembic import op

revision: str = "0025_device_items"
down_revision: str | None = "0024_help_places"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_device_item_item_id_item")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_item")),
        sa.UniqueConstraint(
            "device_hash", "item_id", name=op.f("uq_device_item_device_hash_item_id")
        ),
    )
    with op.batch_alter_table("device_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_device_item_device_hash"), ["device_hash"])
        batch_op.create_index(batch_op.f("ix_device_item_item_id"), ["item_id"])


def downgrade() -> None:
    with op.batch_alter_table("device_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_device_item_item_id"))
        batch_op.drop_index(batch_op.f("ix_device_item_device_hash"))
    op.drop_table("device_item")
