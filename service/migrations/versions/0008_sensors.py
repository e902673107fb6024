"""sensors

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 16:20:01.238779
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # autogenerate writes its AutoString
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dtpr_category",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("name_fr", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description_en", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("description_fr", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dtpr_category")),
    )
    op.create_table(
        "dtpr_element",
        sa.Column("category_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("name_fr", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("description_fr", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["dtpr_category.id"],
            name=op.f("fk_dtpr_element_category_id_dtpr_category"),
        ),
        sa.PrimaryKeyConstraint("category_id", "id", name=op.f("pk_dtpr_element")),
    )
    op.create_table(
        "sensor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("place_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("commune_code", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column(
            "accountable_body_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column("personal_data", sa.Boolean(), nullable=False),
        sa.Column("anonymisation", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("hosted_in_eu", sa.Boolean(), nullable=False),
        sa.Column("hosting", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("open_data_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=True),
        sa.Column("installed_on", sa.Date(), nullable=True),
        sa.Column("removed_on", sa.Date(), nullable=True),
        sa.Column("is_example", sa.Boolean(), nullable=False),
        sa.Column("public_reply", sa.Text(), nullable=True),
        sa.Column("public_reply_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["accountable_body_code"],
            ["body.code"],
            name=op.f("fk_sensor_accountable_body_code_body"),
        ),
        sa.ForeignKeyConstraint(
            ["commune_code"], ["commune.code"], name=op.f("fk_sensor_commune_code_commune")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensor")),
        sa.UniqueConstraint("slug", name=op.f("uq_sensor_slug")),
    )
    with op.batch_alter_table("sensor", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sensor_accountable_body_code"), ["accountable_body_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sensor_commune_code"), ["commune_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_sensor_place_name"), ["place_name"], unique=False)
        batch_op.create_index(batch_op.f("ix_sensor_status"), ["status"], unique=False)

    op.create_table(
        "sensor_element",
        sa.Column("sensor_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("element_id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("variables", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["dtpr_category.id"],
            name=op.f("fk_sensor_element_category_id_dtpr_category"),
        ),
        sa.ForeignKeyConstraint(
            ["sensor_id"], ["sensor.id"], name=op.f("fk_sensor_element_sensor_id_sensor")
        ),
        sa.PrimaryKeyConstraint(
            "sensor_id", "category_id", "element_id", name=op.f("pk_sensor_element")
        ),
    )
    op.create_table(
        "sensor_opinion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sensor_id", sa.Integer(), nullable=False),
        sa.Column("device_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("acceptance", sa.Integer(), nullable=False),
        sa.Column("understood", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("concerns", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["sensor_id"], ["sensor.id"], name=op.f("fk_sensor_opinion_sensor_id_sensor")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensor_opinion")),
        sa.UniqueConstraint(
            "sensor_id", "device_hash", name=op.f("uq_sensor_opinion_sensor_id_device_hash")
        ),
    )
    with op.batch_alter_table("sensor_opinion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sensor_opinion_sensor_id"), ["sensor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sensor_opinion_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "sensor_question",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("sensor_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_sensor_question_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["sensor_id"], ["sensor.id"], name=op.f("fk_sensor_question_sensor_id_sensor")
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_sensor_question")),
    )
    with op.batch_alter_table("sensor_question", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sensor_question_sensor_id"), ["sensor_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sensor_question", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sensor_question_sensor_id"))

    op.drop_table("sensor_question")
    with op.batch_alter_table("sensor_opinion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sensor_opinion_updated_at"))
        batch_op.drop_index(batch_op.f("ix_sensor_opinion_sensor_id"))

    op.drop_table("sensor_opinion")
    op.drop_table("sensor_element")
    with op.batch_alter_table("sensor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sensor_status"))
        batch_op.drop_index(batch_op.f("ix_sensor_place_name"))
        batch_op.drop_index(batch_op.f("ix_sensor_commune_code"))
        batch_op.drop_index(batch_op.f("ix_sensor_accountable_body_code"))

    op.drop_table("sensor")
    op.drop_table("dtpr_element")
    op.drop_table("dtpr_category")
