"""Tables of moderation: the public's flags on items."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel, UniqueConstraint

from service.items.models import utc_datetime


class FlagReason(enum.Enum):
    """Why someone of the public flags an item's public text."""

    PERSONAL_DATA = "personal_data"
    OFFENSIVE = "offensive"
    SPAM = "spam"
    OTHER = "other"


class ItemFlag(SQLModel, table=True):
    """One flag on an item's public text, once per device (kept as a keyed hash)."""

    __tablename__ = "item_flag"
    __table_args__ = (
        UniqueConstraint("item_id", "device_hash"),
        # The moderation queue reads the flags not yet reviewed.
        Index("ix_item_flag_open", "reviewed_at", "item_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    device_hash: str = Field(max_length=64)
    reason: str = Field(max_length=20)  # a FlagReason value
    # What the flagger wrote, masked of personal data (read by staff only).
    comment: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    # When staff decided on the item (hid, edited, released, dismissed): the flag is closed.
    reviewed_at: datetime | None = Field(default=None, sa_column=utc_datetime())
