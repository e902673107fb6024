"""help places: the directory of places that help residents with digital procedures

Revision ID: 0024_help_places
Revises: 0023
Create Date: 2026-12-05 09:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # autogenerate writes its AutoString
from alembic import op

revision: str = "0024_help_places"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "help_place",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", text(length=80), nullable=False),
        sa.Column("name", text(length=200), nullable=False),
        sa.Column("kind", text(length=30), nullable=False),
        sa.Column("body_code", text(length=64), nullable=False),
        sa.Column("commune_code", text(length=5), nullable=False),
        sa.Column("address", text(length=300), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("offers", text(length=300), nullable=False),
        sa.Column("languages", text(length=60), nullable=False),
        sa.Column("phone", text(length=30), nullable=True),
        sa.Column("email", text(length=254), nullable=True),
        sa.Column("booking_url", text(length=300), nullable=True),
        sa.Column("website", text(length=300), nullable=True),
        sa.Column("hours", sa.Text(), nullable=False),
        sa.Column("example", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["body_code"], ["body.code"], name=op.f("fk_help_place_body_code_body")
        ),
        sa.ForeignKeyConstraint(
            ["commune_code"], ["commune.code"], name=op.f("fk_help_place_commune_code_commune")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["staff_user.id"],
            name=op.f("fk_help_place_updated_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_place")),
        sa.UniqueConstraint("slug", name=op.f("uq_help_place_slug")),
    )
    op.create_index(op.f("ix_help_place_body_code"), "help_place", ["body_code"], unique=False)
    op.create_index(
        op.f("ix_help_place_commune_code"), "help_place", ["commune_code"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_help_place_commune_code"), table_name="help_place")
    op.drop_index(op.f("ix_help_place_body_code"), table_name="help_place")
    op.drop_table("help_place")
