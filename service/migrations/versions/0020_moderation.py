"""moderation: whether an item's public text is public, and the public's flags

``item.moderation`` (visible, held, flagged, hidden, edited), ``item.open_flags`` and
``item.public_text_edited`` (the public copy is staff's rewriting); the
``item_flag`` table. Existing items are visible, unflagged. Their public copies keep the
masking they were written with until ``python -m service remask`` applies the new rules.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 06:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "moderation",
                sqlmodel.sql.sqltypes.AutoString(length=10),
                nullable=False,
                server_default="visible",
            )
        )
        batch_op.add_column(
            sa.Column("open_flags", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("public_text_edited", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(
            "ix_item_moderation_pending",
            ["body_code", "moderation"],
            unique=False,
            sqlite_where=sa.text("moderation != 'visible'"),
            postgresql_where=sa.text("moderation != 'visible'"),
        )
    # The server defaults filled the existing rows; the model gives the values from now on.
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.alter_column("moderation", server_default=None)
        batch_op.alter_column("open_flags", server_default=None)
        batch_op.alter_column("public_text_edited", server_default=None)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops a default by rebuilding the table, whose indexes are then made again
        # from reflection, which forgets the DESC of the queue's « most supported » index
        # (0016): make that one again as it was.
        op.drop_index("ix_item_body_support", table_name="item")
        op.create_index(
            "ix_item_body_support", "item", ["body_code", sa.text("support_count DESC"), "id"]
        )
    op.create_table(
        "item_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("device_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_item_flag_item_id_item")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_flag")),
        sa.UniqueConstraint(
            "item_id", "device_hash", name=op.f("uq_item_flag_item_id_device_hash")
        ),
    )
    with op.batch_alter_table("item_flag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_flag_item_id"), ["item_id"], unique=False)
        batch_op.create_index("ix_item_flag_open", ["reviewed_at", "item_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("item_flag", schema=None) as batch_op:
        batch_op.drop_index("ix_item_flag_open")
        batch_op.drop_index(batch_op.f("ix_item_flag_item_id"))
    op.drop_table("item_flag")
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index("ix_item_moderation_pending")
        batch_op.drop_column("public_text_edited")
        batch_op.drop_column("open_flags")
        batch_op.drop_column("moderation")
