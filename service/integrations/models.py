"""Tables of integrations: API clients (keys, scopes), their webhooks and deliveries."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
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
    # Space-separated scopes (rules.SCOPES). Clients made before scopes existed keep what
    # they could do: read, submit and follow.
    scopes: str = Field(
        default="public:read items:write items:follow",
        max_length=200,
        sa_column_kwargs={"server_default": "public:read items:write items:follow"},
    )
    # Only operations published in graphql/operations/ (by their sha256), never free text.
    trusted_documents_only: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa.false()}
    )
    created_by: str | None = Field(default=None, max_length=60)  # "cli" or "staff:<id>"
