"""contact access log

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 06:22:45.963079
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401  (autogenerate writes its AutoString)
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_contact_access_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_user.id"], name=op.f("fk_contact_access_staff_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_access")),
    )
    with op.batch_alter_table("contact_access", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_access_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contact_access_staff_id"), ["staff_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("contact_access", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_access_staff_id"))
        batch_op.drop_index(batch_op.f("ix_contact_access_item_id"))

    op.drop_table("contact_access")
