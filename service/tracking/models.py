"""Items a device keeps under its key: the resident's « my items » without an account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from service.items.models import utc_datetime


class DeviceItem(SQLModel, table=True):
    """One item a device registered (opt-in, with the item's tracking token).

    ``device_hash`` is a digest of the device's key and proof (two secrets it made): the
    service never holds either, and only their holder can list the items. Deleted with the
    item's free text (erasure, retention) or when the device forgets the item.
    """

    __tablename__ = "device_item"
    __table_args__ = (UniqueConstraint("device_hash", "item_id"),)

    id: int | None = Field(default=None, primary_key=True)
    device_hash: str = Field(max_length=64, index=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    created_at: datetime = Field(sa_column=utc_datetime(nullable=False))
