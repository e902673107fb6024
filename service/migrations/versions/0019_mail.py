"""mail: the queue of e-mail messages (no address: read from the contact or the subscription
when sent), and subscriptions to new reports by area (address encrypted, double opt-in)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 06:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    string = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "mail_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("email_hash", string(length=64), nullable=False),
        sa.Column("key_id", string(length=16), nullable=True),
        sa.Column("commune_code", string(length=5), nullable=True),
        sa.Column("category_code", string(length=60), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("radius_meters", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("language", string(length=5), nullable=False),
        sa.Column("token_nonce", string(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seen_item_id", sa.Integer(), nullable=False),
        sa.Column("last_digest_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["category.code"],
            name=op.f("fk_mail_subscription_category_code_category"),
        ),
        sa.ForeignKeyConstraint(
            ["commune_code"],
            ["commune.code"],
            name=op.f("fk_mail_subscription_commune_code_commune"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_mail_subscription_item_id_item")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_subscription")),
    )
    with op.batch_alter_table("mail_subscription", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mail_subscription_email_hash"), ["email_hash"], unique=False
        )
    op.create_table(
        "mail_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_uid", string(length=36), nullable=False),
        sa.Column("dedupe_key", string(length=80), nullable=False),
        sa.Column("kind", string(length=20), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("subscription_id", sa.Integer(), nullable=True),
        sa.Column("after_item_id", sa.Integer(), nullable=True),
        sa.Column("up_to_item_id", sa.Integer(), nullable=True),
        sa.Column("status", string(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", string(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_mail_message_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["mail_subscription.id"],
            name=op.f("fk_mail_message_subscription_id_mail_subscription"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_message")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_mail_message_dedupe_key")),
        sa.UniqueConstraint("message_uid", name=op.f("uq_mail_message_message_uid")),
    )
    with op.batch_alter_table("mail_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mail_message_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mail_message_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_mail_message_subscription_id"), ["subscription_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("mail_message")
    op.drop_table("mail_subscription")
