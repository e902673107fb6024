"""The photo table: what is known of each photo (its pixels live in the photo store)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel, UniqueConstraint

from service.items.models import utc_datetime


class PhotoStatus(enum.Enum):
    UPLOADED = "uploaded"  # received, not yet attached to an item (purged after a day)
    PENDING = "pending"  # attached, awaiting the handling body's review
    APPROVED = "approved"  # public
    HIDDEN = "hidden"  # hidden by moderation, with a reason; staff still see it


class Photo(SQLModel, table=True):
    """One photo: its random id names its files; never the resident's file name."""

    __tablename__ = "photo"
    __table_args__ = (UniqueConstraint("upload_scope", "upload_key"),)

    id: str = Field(primary_key=True, max_length=32)
    item_id: int | None = Field(default=None, foreign_key="item.id", index=True)
    position: int = 0
    status: str = Field(max_length=10, index=True)  # a PhotoStatus value
    # Who uploaded (the idempotency scope, as for items) and the key their client chose.
    upload_scope: str = Field(max_length=60)
    upload_key: str = Field(max_length=100)
    # The hash of the bytes sent: a retry with the same key must send the same bytes.
    source_sha256: str = Field(max_length=64)
    width: int
    height: int
    # Bumped by each staff edit (rotation, blur): part of the URLs, so caches never mix them.
    version: int = 1
    # The public copy differs from the staff copy (a blurred face, plate, house number).
    public_edited: bool = False
    hidden_reason: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    moderated_at: datetime | None = Field(default=None, sa_column=utc_datetime())
