"""Rules of the spine shared by reports, service requests and sensor questions."""

from __future__ import annotations

import enum
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.errors import N_, DomainError
from service.items.errors import ItemErrorCode
from service.items.lifecycle import STATUS_CLASS, Status, StatusClass, can_transition
from service.items.models import EventKind, Item, ItemEvent, ItemKind
from service.outbox import rules as outbox
from service.privacy.rules import mask_personal_data
from service.routing.rules import RoutingDecision

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:\-]{8,100}$")


class Channel(enum.Enum):
    """How an item reached the service."""

    APP = "app"
    WEB = "web"
    COUNTER = "counter"
    PHONE = "phone"
    LETTER = "letter"
    EMAIL = "email"


def as_utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone-aware columns; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Audience(enum.Enum):
    PUBLIC = "public"
    RESIDENT = "resident"
    STAFF = "staff"


def text_errors(
    value: str | None, *, field: str, maximum: int, required: bool = False
) -> list[DomainError]:
    """Why a free text is refused, if it is: empty when required, or too long."""
    if required and not (value or "").strip():
        return [
            DomainError(ItemErrorCode.TEXT_REQUIRED, N_("Please write a few words."), field=field)
        ]
    if value is not None and len(value) > maximum:
        return [
            DomainError(
                ItemErrorCode.TEXT_TOO_LONG,
                N_("This text is longer than %(limit)s characters."),
                field=field,
                limit=maximum,
            )
        ]
    return []


def idempotency_key_errors(key: str) -> list[DomainError]:
    if IDEMPOTENCY_KEY.match(key):
        return []
    return [
        DomainError(
            ItemErrorCode.INVALID_IDEMPOTENCY_KEY,
            N_("The idempotency key must be 8 to 100 letters, digits or . _ : -"),
            field="idempotencyKey",
        )
    ]


def fingerprint(fields: dict[str, Any]) -> str:
    """A hash of what was submitted: a retry must send the same thing under the same key."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def find_by_idempotency_key(session: AsyncSession, scope: str, key: str) -> Item | None:
    statement = select(Item).where(Item.idempotency_scope == scope, Item.idempotency_key == key)
    return (await session.exec(statement)).first()


def reused_key() -> DomainError:
    return DomainError(
        ItemErrorCode.IDEMPOTENCY_KEY_REUSED,
        N_("This idempotency key was already used for a different submission."),
        field="idempotencyKey",
    )


async def next_reference(session: AsyncSession, year: int) -> str:
    """ALM-<year>-<number>, numbered without gaps or repeats under concurrent writers.

    One atomic UPDATE ... RETURNING (SQLite 3.35+ and PostgreSQL) after making sure the
    year's row exists: no read-then-write race to lose.
    """
    await session.exec(  # type: ignore[call-overload]
        text(
            "INSERT INTO reference_counter (year, last) VALUES (:year, 0) "
            "ON CONFLICT (year) DO NOTHING"
        ),
        params={"year": year},
    )
    number = (
        await session.exec(  # type: ignore[call-overload]
            text("UPDATE reference_counter SET last = last + 1 WHERE year = :year RETURNING last"),
            params={"year": year},
        )
    ).scalar_one()
    return f"ALM-{year}-{number:06d}"


@dataclass(frozen=True)
class NewItem:
    kind: ItemKind
    commune_code: str
    category_code: str | None
    decision: RoutingDecision
    latitude: float | None
    longitude: float | None
    address_text: str | None
    description: str
    channel: str
    language: str
    idempotency_scope: str
    idempotency_key: str
    request_fingerprint: str


async def insert_item(session: AsyncSession, new: NewItem, now: datetime) -> Item:
    """Store a new item with its first history line and its outbox entry."""
    item = Item(
        reference=await next_reference(session, now.year),
        kind=new.kind.value,
        status=Status.SUBMITTED.value,
        commune_code=new.commune_code,
        category_code=new.category_code,
        body_code=new.decision.body_code,
        competence=new.decision.competence.value,
        routing_reason=new.decision.reason,
        delivery_state=new.decision.delivery_state.value,
        latitude=new.latitude,
        longitude=new.longitude,
        address_text=new.address_text,
        description=new.description,
        public_description=mask_personal_data(new.description),
        channel=new.channel,
        language=new.language,
        idempotency_scope=new.idempotency_scope,
        idempotency_key=new.idempotency_key,
        request_fingerprint=new.request_fingerprint,
        token_nonce=secrets.token_hex(8),
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    await session.flush()
    assert item.id is not None
    add_event(
        session,
        item,
        EventKind.CREATED,
        Audience.PUBLIC,
        actor="resident",
        now=now,
        to_status=Status.SUBMITTED,
    )
    outbox.append(session, "item.created", item_id=item.id, now=now)
    return item


def add_event(
    session: AsyncSession,
    item: Item,
    kind: EventKind,
    audience: Audience,
    *,
    actor: str,
    now: datetime,
    text: str | None = None,
    from_status: Status | None = None,
    to_status: Status | None = None,
) -> None:
    assert item.id is not None
    session.add(
        ItemEvent(
            item_id=item.id,
            kind=kind.value,
            audience=audience.value,
            actor=actor,
            text=text,
            from_status=from_status.value if from_status else None,
            to_status=to_status.value if to_status else None,
            created_at=now,
        )
    )


def invalid_transition(current: Status, target: Status) -> DomainError:
    return DomainError(
        ItemErrorCode.INVALID_TRANSITION,
        N_("An item cannot go from %(current)s to %(target)s."),
        field="status",
        current=current.value,
        target=target.value,
    )


def change_status(
    session: AsyncSession,
    item: Item,
    target: Status,
    *,
    actor: str,
    now: datetime,
    public_text: str | None = None,
) -> None:
    """Move an item along the lifecycle, recording the change in its history and the outbox."""
    current = Status(item.status)
    if not can_transition(current, target):
        raise invalid_transition(current, target)
    item.status = target.value
    item.updated_at = now
    if target is Status.ACKNOWLEDGED and item.acknowledged_at is None:
        item.acknowledged_at = now
    if STATUS_CLASS[target] is StatusClass.FIXED:
        item.resolved_at = now
    if target is Status.CLOSED:
        item.closed_at = now
    if STATUS_CLASS[target] is StatusClass.OPEN:
        item.resolved_at = None  # reopened
    session.add(item)
    add_event(
        session,
        item,
        EventKind.STATUS_CHANGED,
        Audience.PUBLIC,
        actor=actor,
        now=now,
        from_status=current,
        to_status=target,
        text=public_text,
    )
    outbox.append(
        session,
        "item.status_changed",
        item_id=item.id,
        now=now,
        payload={"from": current.value, "to": target.value},
    )


async def get_by_reference(session: AsyncSession, reference: str) -> Item | None:
    return (await session.exec(select(Item).where(Item.reference == reference))).first()


async def history(
    session: AsyncSession, item_id: int, audiences: frozenset[Audience]
) -> list[ItemEvent]:
    """The item's events the reader may see, oldest first."""
    statement = (
        select(ItemEvent)
        .where(
            ItemEvent.item_id == item_id,
            col(ItemEvent.audience).in_([a.value for a in audiences]),
        )
        .order_by(col(ItemEvent.id))
    )
    return list((await session.exec(statement)).all())
