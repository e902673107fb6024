"""territory: communes, boundaries, bodies

Revision ID: 0001
Revises:
Create Date: 2026-11-23 04:58:14.394836
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # autogenerate writes its AutoString
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "commune",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("siren", sqlmodel.sql.sqltypes.AutoString(length=9), nullable=False),
        sa.Column("postal_codes", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_commune")),
    )
    op.create_table(
        "body",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("commune_code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
        sa.Column("parent_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["commune_code"], ["commune.code"], name=op.f("fk_body_commune_code_commune")
        ),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["body.code"], name=op.f("fk_body_parent_code_body")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_body")),
    )
    with op.batch_alter_table("body", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_body_commune_code"), ["commune_code"], unique=False)

    op.create_table(
        "commune_boundary",
        sa.Column("commune_code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["commune_code"],
            ["commune.code"],
            name=op.f("fk_commune_boundary_commune_code_commune"),
        ),
        sa.PrimaryKeyConstraint("commune_code", name=op.f("pk_commune_boundary")),
    )


def downgrade() -> None:
    op.drop_table("commune_boundary")
    with op.batch_alter_table("body", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_body_commune_code"))

    op.drop_table("body")
    op.drop_table("commune")
