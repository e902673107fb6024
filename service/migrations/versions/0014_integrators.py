"""integrators: API client scopes, outbox transaction ids, webhooks

The outbox gets the id of the transaction that wrote each entry (PostgreSQL fills it with
pg_current_xact_id(); SQLite, whose writers are serialised, keeps 0): the change feed reads in
(txid, id) order below the oldest transaction in flight, so no entry committed later can land
behind a cursor. Entries already there are all committed: 0 is right for them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 17:18:52.847276
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # autogenerate writes its AutoString
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("event_types", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("signing_secret", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("after_txid", sa.BigInteger(), nullable=False),
        sa.Column("after_id", sa.Integer(), nullable=False),
        sa.Column("failures_in_a_row", sa.Integer(), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["api_client.id"], name=op.f("fk_webhook_client_id_api_client")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook")),
    )
    with op.batch_alter_table("webhook", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_client_id"), ["client_id"], unique=False)

    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_uid", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("event_type", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_webhook_delivery_outbox_id_outbox")
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"], ["webhook.id"], name=op.f("fk_webhook_delivery_webhook_id_webhook")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
        sa.UniqueConstraint("delivery_uid", name=op.f("uq_webhook_delivery_delivery_uid")),
    )
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_delivery_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_webhook_delivery_webhook_id"), ["webhook_id"], unique=False
        )

    with op.batch_alter_table("api_client", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "scopes",
                sqlmodel.sql.sqltypes.AutoString(length=200),
                server_default="public:read items:write items:follow",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "trusted_documents_only", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("txid", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.create_index("ix_outbox_txid_id", ["txid", "id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "outbox", "txid", server_default=sa.text("(pg_current_xact_id()::text::bigint)")
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_txid_id")
        batch_op.drop_column("txid")

    with op.batch_alter_table("api_client", schema=None) as batch_op:
        batch_op.drop_column("trusted_documents_only")
        batch_op.drop_column("scopes")

    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_delivery_webhook_id"))
        batch_op.drop_index(batch_op.f("ix_webhook_delivery_status"))

    op.drop_table("webhook_delivery")
    with op.batch_alter_table("webhook", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_client_id"))

    op.drop_table("webhook")
