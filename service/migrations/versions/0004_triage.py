"""staff triage: assignment and audit log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 06:17:17.054631
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # autogenerate writes its AutoString
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("body_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_audit_log_item_id_item")),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_user.id"], name=op.f("fk_audit_log_staff_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_body_code"), ["body_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_staff_id"), ["staff_id"], unique=False)

    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assigned_to_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_item_assigned_to_id"), ["assigned_to_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_item_assigned_to_id_staff_user"),
            "staff_user",
            ["assigned_to_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_item_assigned_to_id_staff_user"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_item_assigned_to_id"))
        batch_op.drop_column("assigned_to_id")

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_staff_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_item_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_body_code"))

    op.drop_table("audit_log")
