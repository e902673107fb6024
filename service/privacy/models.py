"""Personal data, kept apart from items: contact details and the consents behind them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlmodel import Field, SQLModel

from service.items.models import utc_datetime


class ConsentPurpose(enum.Enum):
    FOLLOW_UP_CONTACT = "follow_up_contact"  # be contacted about this item
    SHARE_WITH_OPERATOR = "share_with_operator"  # let the handling body receive the contact


class Contact(SQLModel, table=True):
    """How to reach the resident about one item; exists only with a follow-up consent."""

    __tablename__ = "contact"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", unique=True)
    name: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=20)
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
