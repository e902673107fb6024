"""service requests: catalogue, typed questions, availability, request details, API clients

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 16:19:01.343024
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # autogenerate writes its AutoString
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "api_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("key_prefix", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_client")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_client_key_hash")),
        sa.UniqueConstraint("name", name=op.f("uq_api_client_name")),
    )
    op.create_table(
        "service_group",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_service_group")),
    )
    op.create_table(
        "service",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("group_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("competence", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column(
            "metropole_body_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
        ),
        sa.Column("location", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("home_address", sa.Boolean(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_code"], ["service_group.code"], name=op.f("fk_service_group_code_service_group")
        ),
        sa.ForeignKeyConstraint(
            ["metropole_body_code"], ["body.code"], name=op.f("fk_service_metropole_body_code_body")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_service")),
    )
    op.create_table(
        "service_availability",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("commune_code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column("competence", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("body_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["body_code"], ["body.code"], name=op.f("fk_service_availability_body_code_body")
        ),
        sa.ForeignKeyConstraint(
            ["commune_code"],
            ["commune.code"],
            name=op.f("fk_service_availability_commune_code_commune"),
        ),
        sa.ForeignKeyConstraint(
            ["service_code"],
            ["service.code"],
            name=op.f("fk_service_availability_service_code_service"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_availability")),
        sa.UniqueConstraint(
            "service_code",
            "commune_code",
            name=op.f("uq_service_availability_service_code_commune_code"),
        ),
    )
    op.create_table(
        "service_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("datatype", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("minimum", sa.Float(), nullable=True),
        sa.Column("maximum", sa.Float(), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_code"],
            ["service.code"],
            name=op.f("fk_service_question_service_code_service"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_question")),
        sa.UniqueConstraint(
            "service_code", "code", name=op.f("uq_service_question_service_code_code")
        ),
    )
    with op.batch_alter_table("service_question", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_question_service_code"), ["service_code"], unique=False
        )

    op.create_table(
        "service_question_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["service_question.id"],
            name=op.f("fk_service_question_value_question_id_service_question"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_question_value")),
        sa.UniqueConstraint(
            "question_id", "key", name=op.f("uq_service_question_value_question_id_key")
        ),
    )
    with op.batch_alter_table("service_question_value", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_question_value_question_id"), ["question_id"], unique=False
        )

    op.create_table(
        "service_request",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("service_code", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("at_home", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_service_request_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["service_code"], ["service.code"], name=op.f("fk_service_request_service_code_service")
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_service_request")),
    )
    with op.batch_alter_table("service_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_request_service_code"), ["service_code"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("service_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_request_service_code"))

    op.drop_table("service_request")
    with op.batch_alter_table("service_question_value", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_question_value_question_id"))

    op.drop_table("service_question_value")
    with op.batch_alter_table("service_question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_question_service_code"))

    op.drop_table("service_question")
    op.drop_table("service_availability")
    op.drop_table("service")
    op.drop_table("service_group")
    op.drop_table("api_client")
