"""Queued e-mail messages to residents: what to say, to whom (an item), and how sending went.

No address is stored here: it is read from the item's contact when the message is sent, so a
withdrawn consent, an erased contact or a purge stops a queued message at once, and this table
holds no personal data.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from service.items.models import utc_datetime


class MailKind(enum.Enum):
    """What a message to a resident says."""

    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    ANSWERED = "answered"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    MERGED = "merged"
    SURVEY = "survey"  # the satisfaction questionnaire
    CONFIRM = "confirm"  # a subscription's double opt-in link
    DIGEST = "digest"  # a subscription's daily digest of new reports
    STAFF_DIGEST = "staff_digest"  # an agent's daily digest (opt-in)


class MailStatus(enum.Enum):
    PENDING = "pending"
    SENT = "sent"  # handed to the mail server (or written to the demo mailbox)
    FAILED = "failed"  # given up after the last attempt
    BOUNCED = "bounced"  # refused for good (5xx): the address gets nothing more
    CANCELLED = "cancelled"  # consent withdrawn, contact gone or bounced before sending


class MailMessage(SQLModel, table=True):
    """One message to the resident of one item, sent at least once."""

    __tablename__ = "mail_message"

    id: int | None = Field(default=None, primary_key=True)
    # The Message-ID's local part: a message sent twice (a crash between sending and recording)
    # keeps it, so the recipient's mail software shows it once.
    message_uid: str = Field(max_length=36, unique=True)
    # What planning deduplicates on: "<outbox id>:<kind>", "survey:<item id>".
    dedupe_key: str = Field(max_length=80, unique=True)
    kind: str = Field(max_length=20)  # a MailKind value
    # The item whose resident it goes to, or the subscription it goes to (one of the two).
    item_id: int | None = Field(default=None, foreign_key="item.id", index=True)
    subscription_id: int | None = Field(
        default=None, foreign_key="mail_subscription.id", index=True
    )
    # An agent's daily digest: its staff account (then neither item nor subscription).
    staff_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    # A digest lists the reports with ids in (after_item_id, up_to_item_id]; for a subscription
    # to one report, that report's public events with ids in that range.
    after_item_id: int | None = None
    up_to_item_id: int | None = None
    status: str = Field(max_length=20, index=True)  # a MailStatus value
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    last_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=utc_datetime())


class MailSubscription(SQLModel, table=True):
    """Someone's wish to hear of new reports in a commune, a category, or around a point.

    The address is encrypted like contacts (service.privacy.crypto) with a keyed digest for
    lookups; nothing is sent to it but the confirmation link until it is confirmed (double
    opt-in). Unsubscribing deletes the row.
    """

    __tablename__ = "mail_subscription"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(Text, nullable=False))
    email_hash: str = Field(max_length=64, index=True)
    key_id: str | None = Field(default=None, max_length=16)
    commune_code: str | None = Field(default=None, foreign_key="commune.code", max_length=5)
    category_code: str | None = Field(default=None, foreign_key="category.code", max_length=60)
    latitude: float | None = None
    longitude: float | None = None
    radius_meters: int | None = None
    # "Follow this report": one report's public changes instead of an area's new reports.
    item_id: int | None = Field(default=None, foreign_key="item.id")
    language: str = Field(max_length=5)
    # Part of its links' tokens: a new nonce revokes them.
    token_nonce: str = Field(max_length=32)
    created_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    confirmed_at: datetime | None = Field(default=None, sa_column=utc_datetime())
    # The highest item id (area) or event id (one report) the digests have covered.
    seen_item_id: int = 0
    last_digest_at: datetime | None = Field(default=None, sa_column=utc_datetime())
