"""Queued e-mail messages to residents: what to say, to whom (an item), and how sending went.

No address is stored here: it is read from the item's contact when the message is sent, so a
withdrawn consent, an erased contact or a purge stops a queued message at once, and this table
holds no personal data.
"""

from __future__ import annotations

import enum
from datetime import datetime

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
    item_id: int = Field(foreign_key="item.id", index=True)
    status: str = Field(max_length=20, index=True)  # a MailStatus value
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    last_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=utc_datetime())
