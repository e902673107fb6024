"""The outbox and the positions of its consumers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, FetchedValue, Index, Text
from sqlmodel import Field, SQLModel, UniqueConstraint

from service.items.models import utc_datetime


class OutboxEntry(SQLModel, table=True):
    """A change others must hear about; its id orders the stream."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_txid_id", "txid", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    topic: str = Field(max_length=40)  # item.created, item.status_changed, ...
    item_id: int | None = Field(default=None, foreign_key="item.id")
    # JSON; never personal data: consumers read what they may from the database.
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    # The writing transaction's id, set by PostgreSQL (pg_current_xact_id()); 0 on SQLite,
    # whose writers are serialised. Ids are not commit order under concurrent writers: the
    # change feed reads in (txid, id) order below the oldest transaction still in flight.
    txid: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, nullable=False, server_default=FetchedValue()),
    )


class ConsumerPosition(SQLModel, table=True):
    """How far a consumer (delivery, indexer...) has read the outbox."""

    __tablename__ = "outbox_consumer"

    name: str = Field(primary_key=True, max_length=40)
    position: int = 0


class Delivery(SQLModel, table=True):
    """One item change to send to one route, with its retries."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("outbox_id", "route_id"),)

    id: int | None = Field(default=None, primary_key=True)
    # What the receiver deduplicates on: the same change sent twice keeps this id.
    delivery_uid: str = Field(max_length=36, unique=True)
    outbox_id: int = Field(foreign_key="outbox.id")
    route_id: int = Field(foreign_key="route.id")
    item_id: int = Field(foreign_key="item.id", index=True)
    status: str = Field(max_length=20, index=True)  # pending, delivered, failed
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    last_error: str | None = Field(default=None, max_length=300)
    delivered_at: datetime | None = Field(default=None, sa_column=utc_datetime())
