"""instance: the instance's id and the ids of the keys its data is held under

One row, written by the first start (service.instance): what start-up checks the configured
keys against, what the search index and backups name.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 06:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signing_key_ids", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column(
            "encryption_key_ids", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instance")),
    )


def downgrade() -> None:
    op.drop_table("instance")
