"""scoped trends slices: monthly and yearly sums within one kind, subject or body

The dashboard's scoped periods (a kind, a category, a body) read whole months from these
instead of scanning the daily roll-ups (about 1.5 s at 1,000,000 items). Filled by
``python -m service trends rebuild`` (and kept by the outbox consumer from then on).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 06:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # autogenerate writes its AutoString
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trends_scoped_slice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("scope_value", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("dimension", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("commune_code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("grain", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("acknowledged", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("resolved_7d", sa.Integer(), nullable=False),
        sa.Column("resolved_30d", sa.Integer(), nullable=False),
        sa.Column("unrouted", sa.Integer(), nullable=False),
        sa.Column("delivery_failed", sa.Integer(), nullable=False),
        sa.Column("feedback_count", sa.Integer(), nullable=False),
        sa.Column("feedback_fixed", sa.Integer(), nullable=False),
        sa.Column("rating_count", sa.Integer(), nullable=False),
        sa.Column("rating_sum", sa.Integer(), nullable=False),
        sa.Column("assisted", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trends_scoped_slice")),
        sa.UniqueConstraint(
            "scope",
            "scope_value",
            "dimension",
            "commune_code",
            "grain",
            "start",
            "value",
            name="uq_trends_scoped_slice_cell",
        ),
    )
    op.create_table(
        "trends_scoped_slice_duration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("scope_value", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("dimension", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("commune_code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("grain", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("measure", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("bin", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trends_scoped_slice_duration")),
        sa.UniqueConstraint(
            "scope",
            "scope_value",
            "dimension",
            "commune_code",
            "grain",
            "start",
            "value",
            "measure",
            "bin",
            name="uq_trends_scoped_slice_duration_cell",
        ),
    )

    # Empty scoped slices are complete where nothing was counted yet (a new database stays
    # empty: an import needs it so); elsewhere a row `scoped` at 0 says they are not, until
    # `python -m service trends rebuild` fills them (and sets it to 1).
    op.execute(
        "INSERT INTO trends_position (name, position) SELECT 'scoped', 0 "
        "WHERE EXISTS (SELECT 1 FROM trends_item_state)"
    )


def downgrade() -> None:
    op.execute("DELETE FROM trends_position WHERE name = 'scoped'")
    op.drop_table("trends_scoped_slice_duration")
    op.drop_table("trends_scoped_slice")
