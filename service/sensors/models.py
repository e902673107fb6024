"""Tables of sensor transparency: the DTPR taxonomy, the register, opinions, questions."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel, UniqueConstraint

from service.items.models import utc_datetime


class SensorStatus(enum.Enum):
    PLANNED = "planned"
    ACTIVE = "active"
    REMOVED = "removed"


class Understood(enum.Enum):
    """Did the sign help the resident understand the sensor?"""

    YES = "yes"
    PARTLY = "partly"
    NO = "no"


class Concern(enum.Enum):
    PRIVACY = "privacy"
    USEFULNESS = "usefulness"
    COST = "cost"
    ENVIRONMENT = "environment"
    SECURITY = "security"
    OTHER = "other"


class TranslationSource(enum.Enum):
    """Who wrote a DTPR text: DTPR itself, or ALM adapting DTPR's English (CC BY 4.0)."""

    OFFICIAL = "official"
    ADAPTED = "adapted"


class DtprCategory(SQLModel, table=True):
    """One of the 8 categories of a DTPR device sign (purpose, tech, data...)."""

    __tablename__ = "dtpr_category"

    id: str = Field(primary_key=True, max_length=40)
    position: int = 0
    name_en: str = Field(max_length=200)
    name_fr: str = Field(max_length=200)
    description_en: str = Field(max_length=500)
    description_fr: str = Field(max_length=500)


class DtprElement(SQLModel, table=True):
    """One element of a category; its id is unique only within the category."""

    __tablename__ = "dtpr_element"

    category_id: str = Field(primary_key=True, foreign_key="dtpr_category.id", max_length=40)
    id: str = Field(primary_key=True, max_length=80)
    position: int = 0
    name_en: str = Field(max_length=200)
    name_fr: str = Field(max_length=200)
    description_en: str = Field(sa_column=Column(Text, nullable=False))
    description_fr: str = Field(sa_column=Column(Text, nullable=False))


class DtprTranslation(SQLModel, table=True):
    """A DTPR text in a language DTPR does not publish (es, de, ar): ALM's adaptation,
    loaded from fixtures/dtpr/translations/<language>.json. ``element_id`` is "" for the
    category's own name and description."""

    __tablename__ = "dtpr_translation"

    category_id: str = Field(primary_key=True, foreign_key="dtpr_category.id", max_length=40)
    element_id: str = Field(primary_key=True, max_length=80)
    language: str = Field(primary_key=True, max_length=8)
    name: str = Field(max_length=200)
    description: str = Field(sa_column=Column(Text, nullable=False))


class Sensor(SQLModel, table=True):
    """A sensor in public space, as the public register shows it."""

    __tablename__ = "sensor"

    id: int | None = Field(default=None, primary_key=True)
    # Printed on the sign and in its QR code: never changes once created.
    slug: str = Field(max_length=60, unique=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    latitude: float
    longitude: float
    place_name: str | None = Field(default=None, max_length=200, index=True)
    commune_code: str = Field(foreign_key="commune.code", max_length=5, index=True)
    accountable_body_code: str = Field(foreign_key="body.code", max_length=64, index=True)
    personal_data: bool = False
    anonymisation: str | None = Field(default=None, max_length=1000)
    hosted_in_eu: bool = True
    hosting: str | None = Field(default=None, max_length=300)
    open_data_url: str | None = Field(default=None, max_length=500)
    status: str = Field(max_length=20, index=True)  # a SensorStatus value
    planned_on: date | None = None
    installed_on: date | None = None
    removed_on: date | None = None
    # Example data (serve --demo): never a claim about the real inventory.
    is_example: bool = False
    # The accountable body's public reply to the opinions on this sensor.
    public_reply: str | None = Field(default=None, sa_column=Column(Text))
    public_reply_at: datetime | None = Field(default=None, sa_column=utc_datetime())
    created_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    updated_at: datetime = Field(sa_column=utc_datetime(nullable=False))


class SensorElement(SQLModel, table=True):
    """A DTPR element on a sensor's sign, with the values of its variables."""

    __tablename__ = "sensor_element"

    sensor_id: int = Field(primary_key=True, foreign_key="sensor.id")
    category_id: str = Field(primary_key=True, foreign_key="dtpr_category.id", max_length=40)
    element_id: str = Field(primary_key=True, max_length=80)
    position: int = 0
    # JSON object {"duration": "12 mois"}; "{}" when the element has no variable.
    variables: str = Field(default="{}", max_length=1000)


class SensorOpinion(SQLModel, table=True):
    """A resident's opinion on a sensor: anonymous, one per device (a keyed hash)."""

    __tablename__ = "sensor_opinion"
    __table_args__ = (UniqueConstraint("sensor_id", "device_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    sensor_id: int = Field(foreign_key="sensor.id", index=True)
    device_hash: str = Field(max_length=64)
    acceptance: int  # 1 (not at all) to 5 (fully)
    understood: str = Field(max_length=10)  # an Understood value
    concerns: str = Field(default="", max_length=200)  # space-separated Concern values
    # Masked of e-mail addresses and phone numbers when stored; read by staff only.
    comment: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    updated_at: datetime = Field(sa_column=utc_datetime(nullable=False, index=True))


class SensorQuestion(SQLModel, table=True):
    """Which sensor an item of kind sensor_question asks about."""

    __tablename__ = "sensor_question"

    item_id: int = Field(primary_key=True, foreign_key="item.id")
    sensor_id: int = Field(foreign_key="sensor.id", index=True)
