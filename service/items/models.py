"""Tables of the spine: items, their history, their supporters, their reference counters."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, DateTime, Index, Text, text
from sqlmodel import Field, SQLModel, UniqueConstraint


class ItemKind(enum.Enum):
    REPORT = "report"
    SERVICE_REQUEST = "service_request"
    SENSOR_QUESTION = "sensor_question"


class LocationPrecision(enum.Enum):
    """How precisely an item's place is known: a point, or only its commune (a resident
    without a map names the commune and types the address; staff find the place from it)."""

    POINT = "point"
    COMMUNE = "commune"


def location_precision(item: Item) -> LocationPrecision:
    """Derived, not stored: an item has a point or it has none (staff may add one later)."""
    has_point = item.latitude is not None and item.longitude is not None
    return LocationPrecision.POINT if has_point else LocationPrecision.COMMUNE


class DeliveryState(enum.Enum):
    """Where the item stands with the body that must handle it."""

    PENDING = "pending"  # a route exists; the delivery worker has not confirmed it yet
    DELIVERED = "delivered"
    FAILED = "failed"  # retries exhausted: staff must look
    TRIAGE = "triage"  # the body works it in this service
    UNROUTED = "unrouted"  # the body has no route: kept in its triage queue, counted


class Moderation(enum.Enum):
    """Whether an item's public text is public: the item itself is routed and handled in
    every case (staff read the resident's text whole)."""

    VISIBLE = "visible"  # the public copy (personal data masked) is shown
    HELD = "held"  # pre-moderation: a held word; waits for staff
    FLAGGED = "flagged"  # enough residents flagged it: withheld until staff review it
    HIDDEN = "hidden"  # staff hid it
    EDITED = "edited"  # staff rewrote the public copy (the resident's text is kept for staff)


def utc_datetime(**kwargs: object) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), **kwargs)  # type: ignore[arg-type]


class Item(SQLModel, table=True):
    """One submission: a report, a service request or a question about a sensor."""

    __tablename__ = "item"
    __table_args__ = (
        UniqueConstraint("idempotency_scope", "idempotency_key"),
        Index("ix_item_category_position", "category_code", "latitude", "longitude"),
        Index("ix_item_commune_created", "commune_code", "id"),
        # The triage queue of a body: its counts by status (a covering index), and its most
        # supported first (support descending, then the longest waiting) without sorting.
        Index("ix_item_body_status", "body_code", "status"),
        Index("ix_item_body_support", "body_code", text("support_count DESC"), "id"),
        # The moderation queue: only items whose text is not plainly public are in it, so a
        # submission (nearly always public) adds no entry.
        Index(
            "ix_item_moderation_pending",
            "body_code",
            "moderation",
            sqlite_where=text("moderation != 'visible'"),
            postgresql_where=text("moderation != 'visible'"),
        ),
        # The queue's "due soonest" sort and "overdue" filter, within the caller's bodies; and
        # its counts by status when only the overdue are kept (covering).
        Index("ix_item_body_due", "body_code", "due_at", "id"),
        Index("ix_item_body_status_due", "body_code", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=20, unique=True)  # ALM-2026-004217
    kind: str = Field(max_length=20)  # an ItemKind value
    status: str = Field(max_length=20, index=True)  # a Status value
    commune_code: str = Field(foreign_key="commune.code", max_length=5)
    category_code: str | None = Field(default=None, foreign_key="category.code", max_length=60)
    body_code: str = Field(foreign_key="body.code", max_length=64, index=True)
    competence: str = Field(max_length=20)
    routing_reason: str = Field(max_length=300)
    delivery_state: str = Field(max_length=20)  # a DeliveryState value
    latitude: float | None = None
    longitude: float | None = None
    address_text: str | None = Field(default=None, max_length=300)
    # What the resident wrote, seen by the handling body; the public sees the masked copy.
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    public_description: str = Field(default="", sa_column=Column(Text, nullable=False))
    # A Moderation value: whether the public copy is public (see service.moderation).
    moderation: str = Field(default="visible", max_length=10)
    # Flags from the public not yet reviewed by staff (service.moderation.models.ItemFlag).
    open_flags: int = 0
    # The public copy is staff's rewriting, not the resident's masked text: kept as such when
    # the masking rules are applied again, and when flags on it are dismissed.
    public_text_edited: bool = False
    channel: str = Field(max_length=60)
    language: str = Field(max_length=5)
    idempotency_scope: str = Field(max_length=60)
    idempotency_key: str = Field(max_length=100)
    request_fingerprint: str = Field(max_length=64)
    # Changing it revokes the tracking token issued for the item.
    token_nonce: str = Field(max_length=32)
    support_count: int = 0
    # The agent working it, if someone took it (staff triage).
    assigned_to_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    # For a duplicate: the item that carries on (supports and followers go there).
    duplicate_of_id: int | None = Field(default=None, foreign_key="item.id")
    feedback_fixed: bool | None = None
    feedback_rating: int | None = None
    created_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    updated_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    acknowledged_at: datetime | None = Field(default=None, sa_column=utc_datetime())
    resolved_at: datetime | None = Field(default=None, sa_column=utc_datetime())
    closed_at: datetime | None = Field(default=None, sa_column=utc_datetime())
    # When the handling body should have handled it: receipt + the target time of its category
    # or service (service.routing.due). Stored, so the queue sorts and filters on an index.
    due_at: datetime | None = Field(default=None, sa_column=utc_datetime())


class EventKind(enum.Enum):
    CREATED = "created"
    STATUS_CHANGED = "status_changed"
    PUBLIC_ANSWER = "public_answer"
    PRIVATE_NOTE = "private_note"
    REROUTED = "rerouted"
    MERGED = "merged"
    INFORMATION_ADDED = "information_added"
    FEEDBACK = "feedback"
    DELIVERY_FAILED = "delivery_failed"
    ASSIGNED = "assigned"
    MODERATED = "moderated"


class ItemEvent(SQLModel, table=True):
    """One line of an item's history: who did what, when, why — the audit trail."""

    __tablename__ = "item_event"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    kind: str = Field(max_length=30)  # an EventKind value
    # "public": anyone reading the item; "resident": the tracking-token holder and staff;
    # "staff": the handling body's staff only.
    audience: str = Field(max_length=10)
    actor: str = Field(max_length=80)  # "resident", "system", "staff:<id>", "api:<client>"
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str | None = Field(default=None, max_length=20)
    text: str | None = Field(default=None, sa_column=Column(Text))
    # The language ``text`` is written in, when staff wrote it (answers, reasons): a resident
    # reading another language is told so.
    language: str | None = Field(default=None, max_length=5)
    created_at: datetime = Field(sa_column=utc_datetime(nullable=False))


class Support(SQLModel, table=True):
    """A "me too" on an item, once per device (kept as a keyed hash, not the device key)."""

    __tablename__ = "support"
    __table_args__ = (UniqueConstraint("item_id", "device_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id")
    device_hash: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=utc_datetime(nullable=False))


class ReferenceCounter(SQLModel, table=True):
    """The last reference number given out in a year (references restart each year)."""

    __tablename__ = "reference_counter"

    year: int = Field(primary_key=True)
    last: int = 0
