"""Tables of integrations: the API clients allowed to write (e.g. through Open311)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from service.items.models import utc_datetime


class ApiClient(SQLModel, table=True):
    """An integrator's key. Only its SHA-256 is stored; the key is shown once, at creation."""

    __tablename__ = "api_client"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60, unique=True)  # also the channel: api:<name>
    key_hash: str = Field(max_length=64, unique=True)
    key_prefix: str = Field(max_length=16)  # to recognise a key in logs and lists
    created_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=utc_datetime())
