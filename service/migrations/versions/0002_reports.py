"""reports: routing, items, contacts, outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 05:10:39.691751
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # autogenerate writes its AutoString
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "category_group",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_category_group")),
    )
    op.create_table(
        "outbox_consumer",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_outbox_consumer")),
    )
    op.create_table(
        "reference_counter",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_reference_counter")),
    )
    op.create_table(
        "category",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("group_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("competence", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column(
            "metropole_body_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_code"],
            ["category_group.code"],
            name=op.f("fk_category_group_code_category_group"),
        ),
        sa.ForeignKeyConstraint(
            ["metropole_body_code"],
            ["body.code"],
            name=op.f("fk_category_metropole_body_code_body"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_category")),
    )
    op.create_table(
        "route",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("signing_secret", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["body_code"], ["body.code"], name=op.f("fk_route_body_code_body")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_route")),
    )
    with op.batch_alter_table("route", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_route_body_code"), ["body_code"], unique=False)

    op.create_table(
        "competence_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("commune_code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("competence", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("body_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_code"], ["body.code"], name=op.f("fk_competence_override_body_code_body")
        ),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["category.code"],
            name=op.f("fk_competence_override_category_code_category"),
        ),
        sa.ForeignKeyConstraint(
            ["commune_code"],
            ["commune.code"],
            name=op.f("fk_competence_override_commune_code_commune"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competence_override")),
        sa.UniqueConstraint(
            "category_code",
            "commune_code",
            "effective_from",
            name=op.f("uq_competence_override_category_code_commune_code_effective_from"),
        ),
    )
    op.create_table(
        "item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("commune_code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("category_code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
        sa.Column("body_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("competence", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("routing_reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("delivery_state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("address_text", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("public_description", sa.Text(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("idempotency_scope", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column(
            "request_fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column("token_nonce", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("support_count", sa.Integer(), nullable=False),
        sa.Column("feedback_fixed", sa.Boolean(), nullable=True),
        sa.Column("feedback_rating", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["body_code"], ["body.code"], name=op.f("fk_item_body_code_body")),
        sa.ForeignKeyConstraint(
            ["category_code"], ["category.code"], name=op.f("fk_item_category_code_category")
        ),
        sa.ForeignKeyConstraint(
            ["commune_code"], ["commune.code"], name=op.f("fk_item_commune_code_commune")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item")),
        sa.UniqueConstraint(
            "idempotency_scope",
            "idempotency_key",
            name=op.f("uq_item_idempotency_scope_idempotency_key"),
        ),
        sa.UniqueConstraint("reference", name=op.f("uq_item_reference")),
    )
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_body_code"), ["body_code"], unique=False)
        batch_op.create_index(
            "ix_item_category_position", ["category_code", "latitude", "longitude"], unique=False
        )
        batch_op.create_index("ix_item_commune_created", ["commune_code", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_status"), ["status"], unique=False)

    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("text_version", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_consent_item_id_item")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
    )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_item_id"), ["item_id"], unique=False)

    op.create_table(
        "contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_contact_item_id_item")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact")),
        sa.UniqueConstraint("item_id", name=op.f("uq_contact_item_id")),
    )
    op.create_table(
        "item_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("audience", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("from_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("to_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_item_event_item_id_item")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_event")),
    )
    with op.batch_alter_table("item_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_event_item_id"), ["item_id"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_outbox_item_id_item")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_table(
        "support",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("device_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_support_item_id_item")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support")),
        sa.UniqueConstraint("item_id", "device_hash", name=op.f("uq_support_item_id_device_hash")),
    )
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_uid", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_delivery_item_id_item")),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_delivery_outbox_id_outbox")
        ),
        sa.ForeignKeyConstraint(
            ["route_id"], ["route.id"], name=op.f("fk_delivery_route_id_route")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
        sa.UniqueConstraint("delivery_uid", name=op.f("uq_delivery_delivery_uid")),
        sa.UniqueConstraint("outbox_id", "route_id", name=op.f("uq_delivery_outbox_id_route_id")),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_status"))
        batch_op.drop_index(batch_op.f("ix_delivery_item_id"))

    op.drop_table("delivery")
    op.drop_table("support")
    op.drop_table("outbox")
    with op.batch_alter_table("item_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_event_item_id"))

    op.drop_table("item_event")
    op.drop_table("contact")
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_item_id"))

    op.drop_table("consent")
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_status"))
        batch_op.drop_index("ix_item_commune_created")
        batch_op.drop_index("ix_item_category_position")
        batch_op.drop_index(batch_op.f("ix_item_body_code"))

    op.drop_table("item")
    op.drop_table("competence_override")
    with op.batch_alter_table("route", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_route_body_code"))

    op.drop_table("route")
    op.drop_table("category")
    op.drop_table("reference_counter")
    op.drop_table("outbox_consumer")
    op.drop_table("category_group")
