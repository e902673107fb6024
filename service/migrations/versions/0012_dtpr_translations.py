"""dtpr translations: ALM's Spanish, German and Arabic adaptations of the DTPR taxonomy

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 16:49:51.374266
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # autogenerate writes its AutoString
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dtpr_translation",
        sa.Column("category_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("element_id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["dtpr_category.id"],
            name=op.f("fk_dtpr_translation_category_id_dtpr_category"),
        ),
        sa.PrimaryKeyConstraint(
            "category_id", "element_id", "language", name=op.f("pk_dtpr_translation")
        ),
    )


def downgrade() -> None:
    op.drop_table("dtpr_translation")
