"""queue indexes: the triage queue of a body at 100,000 items

Counts by status read a covering index (body, status) instead of every row of the body; the
« most supported first » order reads (body, support descending, id) instead of sorting the
body's items. Measured at 100,000 reports in Angers (SQLite): counts 80 → 8 ms, most
supported 43 → 0.1 ms.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 06:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_index("ix_item_body_status", ["body_code", "status"], unique=False)
        batch_op.create_index(
            "ix_item_body_support",
            ["body_code", sa.text("support_count DESC"), "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index("ix_item_body_support")
        batch_op.drop_index("ix_item_body_status")
