"""staff mail digest: an agent's opt-in daily e-mail digest

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 07:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN (no table rebuild on SQLite: the item table's indexes
    # that Alembic cannot describe stay as the earlier migrations made them).
    op.add_column(
        "staff_user",
        sa.Column("mail_digest", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "staff_user", sa.Column("mail_digest_at", sa.DateTime(timezone=True), nullable=True)
    )
    with op.batch_alter_table("mail_message") as batch:
        batch.add_column(sa.Column("staff_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_mail_message_staff_id_staff_user", "staff_user", ["staff_id"], ["id"]
        )
        batch.create_index("ix_mail_message_staff_id", ["staff_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mail_message") as batch:
        batch.drop_index("ix_mail_message_staff_id")
        batch.drop_constraint("fk_mail_message_staff_id_staff_user", type_="foreignkey")
        batch.drop_column("staff_id")
    with op.batch_alter_table("staff_user") as batch:
        batch.drop_column("mail_digest_at")
        batch.drop_column("mail_digest")
