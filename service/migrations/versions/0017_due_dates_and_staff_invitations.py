"""due dates and staff invitations

Target times per category and per service (ALM's default, overridable per body), the stored
due date of each item (indexed with its body for the queue's "due soonest" and "overdue"), and
the links that let a staff member set their password (only their SHA-256 is stored). Items
received before this migration have no due date: they are never "overdue" and sort last.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 05:57:27.848951
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # autogenerate writes its AutoString
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "due_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("body_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_due_target")),
        sa.UniqueConstraint(
            "subject", "code", "body_code", name=op.f("uq_due_target_subject_code_body_code")
        ),
    )
    op.create_table(
        "staff_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_user.id"],
            name=op.f("fk_staff_invitation_created_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_user.id"], name=op.f("fk_staff_invitation_staff_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_invitation_token_hash")),
    )
    with op.batch_alter_table("staff_invitation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_invitation_staff_id"), ["staff_id"], unique=False
        )

    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_item_body_due", ["body_code", "due_at", "id"], unique=False)
        batch_op.create_index(
            "ix_item_body_status_due", ["body_code", "status", "due_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index("ix_item_body_status_due")
        batch_op.drop_index("ix_item_body_due")
        batch_op.drop_column("due_at")

    with op.batch_alter_table("staff_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_invitation_staff_id"))

    op.drop_table("staff_invitation")
    op.drop_table("due_target")
