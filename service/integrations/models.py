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


class Webhook(SQLModel, table=True):
    """An API client's subscription: events of public items POSTed, signed, to its URL."""

    __tablename__ = "webhook"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="api_client.id", index=True)
    url: str = Field(max_length=500)
    event_types: str = Field(max_length=300)  # space-separated ChangeKind values
    # Signs the deliveries (HMAC-SHA256); shown once to the client, needed again to sign, so
    # encrypted at rest (service.privacy.signing_secrets), not hashed.
    signing_secret: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    signing_secret_key_id: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    # Where the webhook reads the change feed: (txid, outbox id) of the last change planned.
    after_txid: int = Field(default=0, sa_type=sa.BigInteger)
    after_id: int = 0
    failures_in_a_row: int = 0
    disabled_at: datetime | None = Field(default=None, sa_column=utc_datetime())
    disabled_reason: str | None = Field(default=None, max_length=200)


class WebhookDelivery(SQLModel, table=True):
    """One change sent to one webhook, with its attempts: the client's delivery log."""

    __tablename__ = "webhook_delivery"

    id: int | None = Field(default=None, primary_key=True)
    delivery_uid: str = Field(max_length=36, unique=True)  # X-ALM-Delivery-Id
    webhook_id: int = Field(foreign_key="webhook.id", index=True)
    outbox_id: int = Field(foreign_key="outbox.id")
    event_type: str = Field(max_length=30)
    body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))  # the signed JSON
    status: str = Field(max_length=20, index=True)  # pending, delivered, failed
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    last_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    delivered_at: datetime | None = Field(default=None, sa_column=utc_datetime())
