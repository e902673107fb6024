"""The instance's identity, as its database records it (one row)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel


class InstanceRecord(SQLModel, table=True):
    """Which instance this database is, and the ids of the keys it holds data under (never
    the keys): what start-up compares the configured keys with, and what the search index
    and backups name."""

    __tablename__ = "instance"

    id: int = Field(default=1, primary_key=True)
    instance_id: str = Field(max_length=36)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # Comma-separated key ids (service.instance.keys), oldest first; empty until the first
    # start with configured keys.
    signing_key_ids: str = Field(default="", max_length=400)
    encryption_key_ids: str = Field(default="", max_length=400)
