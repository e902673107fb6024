"""Personal data, kept apart from items: contact details and the consents behind them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from service.items.models import utc_datetime


class ConsentPurpose(enum.Enum):
    FOLLOW_UP_CONTACT = "follow_up_contact"  # be contacted about this item
    SHARE_WITH_OPERATOR = "share_with_operator"  # let the handling body receive the contact
    SATISFACTION_SURVEY = "satisfaction_survey"  # be asked afterwards how it went


class Contact(SQLModel, table=True):
    """How to reach the resident about one item; exists only with a consent.

    Name, e-mail and phone are encrypted (service.privacy.crypto); the hashes are keyed
    digests for equality lookups. ``key_id`` names the key of the row; NULL marks a row
    written before encryption (plaintext), which readers still accept until it is converted.
    """

    __tablename__ = "contact"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", unique=True)
    name: str | None = Field(default=None, sa_column=Column(Text))
    email: str | None = Field(default=None, sa_column=Column(Text))
    phone: str | None = Field(default=None, sa_column=Column(Text))
    email_hash: str | None = Field(default=None, max_length=64, index=True)
    phone_hash: str | None = Field(default=None, max_length=64, index=True)
    key_id: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(sa_column=utc_datetime(nullable=False))


class Consent(SQLModel, table=True):
    """What the resident agreed to, on which text, when and through which channel."""

    __tablename__ = "consent"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    purpose: str = Field(max_length=30)  # a ConsentPurpose value
    text_version: str = Field(max_length=40)
    channel: str = Field(max_length=60)
    given_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    withdrawn_at: datetime | None = Field(default=None, sa_column=utc_datetime())


class ContactAccess(SQLModel, table=True):
    """Each time a staff member read a resident's contact: who, when, which item."""

    __tablename__ = "contact_access"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=utc_datetime(nullable=False))
    staff_id: int = Field(foreign_key="staff_user.id", index=True)
    item_id: int = Field(foreign_key="item.id", index=True)


class PrivacyAction(enum.Enum):
    PURGE = "purge"
    EXPORT = "export"
    ERASE = "erase"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    REKEY = "rekey"


class PrivacyLogEntry(SQLModel, table=True):
    """Every purge, export, erasure and withdrawal: what kind, when, how many — never the data."""

    __tablename__ = "privacy_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=utc_datetime(nullable=False))
    action: str = Field(max_length=20, index=True)  # a PrivacyAction value
    actor: str = Field(max_length=40)  # "resident", "system", "cli"
    item_id: int | None = Field(default=None, foreign_key="item.id", index=True)
    # JSON object of counts per category, e.g. {"contacts": 3}.
    counts: str = Field(default="{}", sa_column=Column(Text, nullable=False))
