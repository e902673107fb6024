"""assisted help place: the help place an assisted submission was made at (optional)

Revision ID: 0028_assisted_help_place
Revises: 0027_packed_histograms
Create Date: 2026-12-05 10:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028_assisted_help_place"
down_revision: str | None = "0027_packed_histograms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "item_help_place",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_item_help_place_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["help_place.id"], name=op.f("fk_item_help_place_place_id_help_place")
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_item_help_place")),
    )
    op.create_index(
        op.f("ix_item_help_place_place_id"), "item_help_place", ["place_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_item_help_place_place_id"), table_name="item_help_place")
    op.drop_table("item_help_place")
