"""staff sign in: OpenID Connect links and pre-authorisations, TOTP second factor, body policy

Revision ID: 0026_staff_sign_in
Revises: 0025_device_items
Create Date: 2026-12-05 09:22:53.998933
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0026_staff_sign_in"
down_revision: str | None = "0025_device_items"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "body_sign_in_policy",
        sa.Column("body_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("second_factor_required", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["body_code"], ["body.code"], name=op.f("fk_body_sign_in_policy_body_code_body")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["staff_user.id"],
            name=op.f("fk_body_sign_in_policy_updated_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("body_code", name=op.f("pk_body_sign_in_policy")),
    )
    op.create_table(
        "staff_oidc_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_user.id"], name=op.f("fk_staff_oidc_link_staff_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_oidc_link")),
        sa.UniqueConstraint(
            "provider", "subject", name=op.f("uq_staff_oidc_link_provider_subject")
        ),
    )
    with op.batch_alter_table("staff_oidc_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_oidc_link_staff_id"), ["staff_id"], unique=False)

    op.create_table(
        "staff_oidc_preauthorisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("body_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("claim", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("claim_value", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["body_code"], ["body.code"], name=op.f("fk_staff_oidc_preauthorisation_body_code_body")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_user.id"],
            name=op.f("fk_staff_oidc_preauthorisation_created_by_id_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_oidc_preauthorisation")),
    )
    with op.batch_alter_table("staff_oidc_preauthorisation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_oidc_preauthorisation_body_code"), ["body_code"], unique=False
        )

    op.create_table(
        "staff_recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_user.id"], name=op.f("fk_staff_recovery_code_staff_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_recovery_code")),
    )
    with op.batch_alter_table("staff_recovery_code", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_recovery_code_staff_id"), ["staff_id"], unique=False
        )

    op.create_table(
        "staff_second_factor",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("secret", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_step", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_user.id"], name=op.f("fk_staff_second_factor_staff_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("staff_id", name=op.f("pk_staff_second_factor")),
    )


def downgrade() -> None:
    op.drop_table("staff_second_factor")
    with op.batch_alter_table("staff_recovery_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_recovery_code_staff_id"))

    op.drop_table("staff_recovery_code")
    with op.batch_alter_table("staff_oidc_preauthorisation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_oidc_preauthorisation_body_code"))

    op.drop_table("staff_oidc_preauthorisation")
    with op.batch_alter_table("staff_oidc_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_oidc_link_staff_id"))

    op.drop_table("staff_oidc_link")
    op.drop_table("body_sign_in_policy")
