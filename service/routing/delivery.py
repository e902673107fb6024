"""Deliver item changes to the bodies' webhooks: plan from the outbox, send, retry, give up.

Planning runs in the caller's transaction: the deliveries it creates and the consumer position
it advances commit together, so a crash loses nothing and a replay finds the rows already there.
Sending never holds a transaction across network I/O: a short write transaction *claims* due
deliveries (pushes their ``next_attempt_at`` one lease ahead, so other workers skip them), the
POSTs run outside any transaction, and one short write transaction per delivery records each
outcome. Receivers deduplicate on ``X-ALM-Delivery-Id``: a delivery is sent at least once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import bindparam, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import Database
from service.invariants import required_row
from service.items.lifecycle import STATUS_LABELS, Status
from service.items.models import DeliveryState, EventKind, Item, ItemKind
from service.items.rules import Audience, add_event
from service.mail.bodies import body_message
from service.mail.sender import Mailer
from service.outbox import rules as outbox
from service.outbox.models import ConsumerPosition, Delivery, OutboxEntry
from service.photos.links import PhotoLinks
from service.photos.rules import ATTACHED_STATUSES, photos_of
from service.privacy.crypto import FieldCipher, UndecryptableValue, cipher_for
from service.privacy.models import ConsentPurpose
from service.privacy.rules import active_consents, contact_of, mask_personal_data, open_contact
from service.privacy.signing_secrets import ROUTE_SECRET_COLUMN, open_secret
from service.routing.models import Category, Route, RouteKind
from service.service_requests.models import ServiceRequestDetail
from service.settings import Settings

logger = logging.getLogger(__name__)

CONSUMER = "delivery"
PLAN_BATCH = 200
# How many ids behind its position the planner looks again (see plan_deliveries).
PLAN_LOOKBACK = 500
MAX_PLAN_BATCHES = 20  # per round: up to 4,000 outbox entries every poll
SEND_BATCH = 50
HTTP_TIMEOUT_SECONDS = 10.0
# How long a claim keeps other workers away. A round's sends run concurrently, each capped at
# HTTP_TIMEOUT_SECONDS, so a live worker always records its outcome well before this; a worker
# that dies mid-send leaves the delivery to be retried once the lease runs out.
CLAIM_SECONDS = 120.0
# E-mail routes are planned always (nothing is lost while there is no mail relay) and sent when
# the process has a mail transport (service.mail): an SMTP relay, or the demo mailbox.
PLANNED_KINDS = (RouteKind.WEBHOOK.value, RouteKind.EMAIL.value)
SENT_KINDS = (RouteKind.WEBHOOK.value,)
MAILED_KINDS = (RouteKind.WEBHOOK.value, RouteKind.EMAIL.value)
# An item's delivery_state follows its deliveries unless the item is worked in this service.
UNTRACKED_STATES = (DeliveryState.TRIAGE.value, DeliveryState.UNROUTED.value)

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


@dataclass(frozen=True)
class SendCounts:
    """What one sending round did."""

    delivered: int = 0
    retried: int = 0
    failed: int = 0


@dataclass(frozen=True)
class _Outgoing:
    delivery_id: int
    delivery_uid: str
    reference: str  # for logs: never personal data
    url: str | None
    secret: str | None
    body: bytes
    # E-mail routes: the body's address, and what the message shows besides the JSON.
    email: str | None = None
    category: str | None = None
    status: str = ""


async def plan_deliveries(session: AsyncSession, now: datetime) -> int:
    """Create the deliveries of the next outbox entries, in the caller's transaction.

    Returns how many deliveries were created. Idempotent: an entry already planned for a
    route is not planned again, whatever the position says.
    """
    # Lock the position row (PostgreSQL) so two planners take turns instead of planning the same
    # batch; SQLite writers are already serialised by BEGIN IMMEDIATE.
    await session.exec(  # type: ignore[call-overload]
        text(
            "INSERT INTO outbox_consumer (name, position) VALUES (:name, 0) "
            "ON CONFLICT (name) DO NOTHING"
        ),
        params={"name": CONSUMER},
    )
    locked = select(ConsumerPosition).where(ConsumerPosition.name == CONSUMER).with_for_update()
    await session.exec(locked)
    position = await outbox.position_of(session, CONSUMER)
    window = select(OutboxEntry.id).where(col(OutboxEntry.id) > position)
    ids = (await session.exec(window.order_by(col(OutboxEntry.id)).limit(PLAN_BATCH))).all()
    last = max((i for i in ids if i is not None), default=position)
    # On PostgreSQL an id is taken at insert time, not at commit: an entry may become visible
    # after a higher one was planned. Looking back over the last ids again plans it then; what
    # was planned already conflicts and is skipped. (SQLite commits in id order.)
    since = max(0, position - PLAN_LOOKBACK)
    # Only entries whose item's body has a webhook or e-mail route need a delivery: one joined
    # query finds them, instead of loading every item of the window (most bodies work their
    # queue in this service). This runs inside the write lock, so it must stay short.
    wanted = (
        select(OutboxEntry.id, Item.id, Route.id, Item.delivery_state)
        .join(Item, col(Item.id) == col(OutboxEntry.item_id))
        .join(Route, col(Route.body_code) == col(Item.body_code))
        .where(
            col(OutboxEntry.id) > since,
            col(OutboxEntry.id) <= last,
            col(Route.active).is_(True),
            col(Route.kind).in_(PLANNED_KINDS),
            col(OutboxEntry.topic).not_in(outbox.INTERNAL_TOPICS),
        )
        .order_by(col(OutboxEntry.id), col(Route.id))
    )
    created = 0
    for outbox_id, item_id, route_id, delivery_state in (await session.exec(wanted)).all():
        inserted = (
            await session.exec(  # type: ignore[call-overload]
                text(
                    "INSERT INTO delivery (delivery_uid, outbox_id, route_id, item_id, status, "
                    "attempts, next_attempt_at) VALUES (:uid, :outbox, :route, :item, :status, 0, "
                    ":now) ON CONFLICT (outbox_id, route_id) DO NOTHING RETURNING id"
                ).bindparams(bindparam("now", type_=Delivery.__table__.c.next_attempt_at.type)),  # type: ignore[attr-defined]
                params={
                    "uid": str(uuid.uuid4()),
                    "outbox": outbox_id,
                    "route": route_id,
                    "item": item_id,
                    "status": PENDING,
                    "now": now,
                },
            )
        ).first()
        if inserted is None:
            continue  # planned already (a replay)
        created += 1
        if delivery_state == DeliveryState.DELIVERED.value:
            item = required_row(await session.get(Item, item_id), "item", item_id)
            item.delivery_state = DeliveryState.PENDING.value  # a newer change is on its way
            session.add(item)
    if last > position:
        await outbox.advance(session, CONSUMER, last)
    return created


async def send_due_deliveries(
    db: Database,
    http: httpx.AsyncClient,
    settings: Settings,
    now: datetime,
    cipher: FieldCipher | None = None,
    mailer: Mailer | None = None,
) -> SendCounts:
    """Send the deliveries due at ``now`` (one bounded batch) and record the outcomes:
    webhooks, and e-mail routes when ``mailer`` has a transport.

    ``cipher`` decrypts the routes' signing secrets and the contacts residents agreed to
    share (default: from the settings)."""

    def contact_cipher() -> FieldCipher:  # only needed for encrypted secrets and contacts
        return cipher or cipher_for(settings.encryption_keys, settings.secret_keys)

    mailing = mailer is not None and mailer.transport is not None
    claimed = await _claim(db, now, MAILED_KINDS if mailing else SENT_KINDS)
    if not claimed:
        return SendCounts()
    outgoing = []
    async with db.reading() as session:
        for delivery in claimed:
            try:
                outgoing.append(await _prepare(session, delivery, contact_cipher, mailer, settings))
            except UndecryptableValue:
                # A key missing from the configuration: this delivery waits (its claim runs
                # out, it is tried again, no attempt counted) and the others still go.
                logger.error("delivery %s: a value does not decrypt", delivery.delivery_uid)
    outcomes = await asyncio.gather(
        *(_send_and_record(db, http, settings, message, now, mailer) for message in outgoing)
    )
    return SendCounts(*(outcomes.count(status) for status in (DELIVERED, PENDING, FAILED)))


async def _claim(db: Database, now: datetime, kinds: tuple[str, ...]) -> list[Delivery]:
    async with db.writing() as session:
        due = await session.exec(
            select(Delivery)
            .join(Route, col(Route.id) == col(Delivery.route_id))
            .where(
                Delivery.status == PENDING,
                col(Delivery.next_attempt_at) <= now,
                col(Route.kind).in_(kinds),
                col(Route.active).is_(True),
            )
            .order_by(col(Delivery.next_attempt_at), col(Delivery.id))
            .limit(SEND_BATCH)
            # PostgreSQL: rows another worker is claiming are skipped, not waited for.
            .with_for_update(skip_locked=True, of=Delivery)
        )
        deliveries = list(due.all())
        for delivery in deliveries:
            delivery.next_attempt_at = now + timedelta(seconds=CLAIM_SECONDS)
            session.add(delivery)
    return deliveries


async def _prepare(
    session: AsyncSession,
    delivery: Delivery,
    cipher: Callable[[], FieldCipher],
    mailer: Mailer | None = None,
    settings: Settings | None = None,
) -> _Outgoing:
    route = required_row(await session.get(Route, delivery.route_id), "route", delivery.route_id)
    entry = required_row(
        await session.get(OutboxEntry, delivery.outbox_id), "outbox", delivery.outbox_id
    )
    item = required_row(await session.get(Item, delivery.item_id), "item", delivery.item_id)
    assert delivery.id  # narrowing: a delivery read from its table has its key
    body: dict[str, Any] = {
        "deliveryId": delivery.delivery_uid,
        "event": entry.topic,
        "occurredAt": _utc(entry.created_at).isoformat(),
        "item": {
            "reference": item.reference,
            "kind": item.kind,
            "status": item.status,
            "category": item.category_code,
            "commune": item.commune_code,
            "latitude": item.latitude,
            "longitude": item.longitude,
            "addressText": item.address_text,
            "description": item.public_description,
            "createdAt": _utc(item.created_at).isoformat(),
            "language": item.language,
        },
    }
    if item.kind == ItemKind.SERVICE_REQUEST.value:
        # The body handles the request: it needs the service and every answer.
        detail = await session.get(ServiceRequestDetail, item.id)
        if detail is not None:
            answers: dict[str, Any] = json.loads(detail.answers)
            body["item"]["service"] = detail.service_code
            # Free-text answers are masked like the description, unless the resident agreed.
            body["item"]["answers"] = {
                code: mask_personal_data(value) if isinstance(value, str) else value
                for code, value in answers.items()
            }
    # The resident's words and contact go to the body only with their consent, checked at each
    # send: a consent withdrawn before a retry is honoured.
    if ConsentPurpose.SHARE_WITH_OPERATOR in await active_consents(session, item.id or 0):
        contact = await contact_of(session, item.id or 0)
        if contact is not None:
            details = open_contact(contact, cipher() if contact.key_id else None)
            body["contact"] = {"name": details.name, "email": details.email, "phone": details.phone}
        body["item"]["description"] = item.description
        if "answers" in body["item"]:
            body["item"]["answers"] = answers
        if settings is not None and settings.secret_keys:
            body["photos"] = await _photo_links(session, item, settings)
    mailed = route.kind == RouteKind.EMAIL.value and mailer is not None
    translator = mailer.renderer.translator(mailer.settings.default_locale) if mailer else None
    category = await session.get(Category, item.category_code) if item.category_code else None
    return _Outgoing(
        email=(route.email or "") if mailed else None,
        category=translator.gettext(category.label) if translator and category else None,
        status=translator.gettext(STATUS_LABELS[Status(item.status)]) if translator else "",
        delivery_id=delivery.id,
        delivery_uid=delivery.delivery_uid,
        reference=item.reference,
        url=route.url,
        secret=open_secret(
            route.signing_secret,
            route.signing_secret_key_id,
            ROUTE_SECRET_COLUMN,
            cipher() if route.signing_secret_key_id else None,
        ),
        body=json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
    )


async def _photo_links(
    session: AsyncSession, item: Item, settings: Settings
) -> list[dict[str, Any]]:
    """Signed links to the staff copies of the item's photos (any state: the body judges)."""
    links = PhotoLinks(settings.secret_keys)
    found = await photos_of(session, [item.id or 0], ATTACHED_STATUSES)
    return [
        {
            "id": photo.id,
            "url": settings.public_url + links.path(photo),
            "thumbnailUrl": settings.public_url + links.path(photo, small=True),
            "width": photo.width,
            "height": photo.height,
            "status": photo.status,
        }
        for photo in found[item.id or 0]
    ]


async def _send_and_record(
    db: Database,
    http: httpx.AsyncClient,
    settings: Settings,
    message: _Outgoing,
    now: datetime,
    mailer: Mailer | None = None,
) -> str:
    try:
        if message.email is not None and mailer is not None:
            error = await _mail(mailer, message, now)
        else:
            error = await _post(http, message, now)
        return await _record(db, settings, message, error, now)
    except Exception as error:  # the claim expires and the delivery is retried
        _log(logging.ERROR, "recording failed", message, type(error).__name__)
        return "error"


async def _mail(mailer: Mailer, message: _Outgoing, now: datetime) -> str | None:
    """E-mail the delivery to the body's address: None when the relay accepted it."""
    if not message.email or mailer.transport is None:
        return "route has no e-mail address"
    email = body_message(
        mailer.renderer,
        to=message.email,
        uid=message.delivery_uid,
        body=json.loads(message.body),
        category=message.category,
        status=message.status,
        now=now,
    )
    async with mailer.transport.connect() as connection:
        refusal = await connection.send(email)
    return None if refusal is None else refusal.reason


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-ALM-Signature value: HMAC-SHA256 of ``"<timestamp>.<raw body>"``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


async def _post(http: httpx.AsyncClient, message: _Outgoing, now: datetime) -> str | None:
    """None when the receiver accepted the delivery, else a short reason without personal data."""
    if not message.url or not message.secret:
        return "route has no URL or no signing secret"
    return await post_signed(
        http, message.url, message.secret, message.delivery_uid, message.body, now
    )


async def post_signed(
    http: httpx.AsyncClient, url: str, secret: str, delivery_uid: str, body: bytes, now: datetime
) -> str | None:
    """POST a signed JSON body (bodies' routes and integrators' webhooks alike): None when
    the receiver answered 2xx, else a short reason without personal data."""
    timestamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json",
        "X-ALM-Delivery-Id": delivery_uid,
        "X-ALM-Timestamp": timestamp,
        "X-ALM-Signature": signature(secret, timestamp, body),
    }
    try:
        # httpx timeouts bound each phase; this bounds the whole exchange (a slow drip of
        # bytes could otherwise outlive the claim). The response body is never read.
        async with asyncio.timeout(HTTP_TIMEOUT_SECONDS):
            request = http.stream("POST", url, content=body, headers=headers)
            async with request as response:
                status = response.status_code
    except (TimeoutError, httpx.TimeoutException):
        return "timeout"
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        return f"connection error ({type(error).__name__})"
    return None if 200 <= status < 300 else f"HTTP {status}"


def backoff_seconds(settings: Settings, attempts: int) -> float:
    """The wait before the next attempt after ``attempts`` failed ones: doubling, capped."""
    return float(
        min(
            settings.delivery_backoff_seconds * 2 ** (attempts - 1),
            settings.delivery_backoff_cap_seconds,
        )
    )


async def _record(
    db: Database, settings: Settings, message: _Outgoing, error: str | None, now: datetime
) -> str:
    async with db.writing() as session:
        delivery = await session.get(Delivery, message.delivery_id)
        if delivery is None or delivery.status != PENDING:
            return "skipped"  # another worker finished it after our claim expired
        item = required_row(await session.get(Item, delivery.item_id), "item", delivery.item_id)
        delivery.attempts += 1
        track = item.delivery_state not in UNTRACKED_STATES
        state_before = item.delivery_state
        if error is None:
            delivery.status, delivery.delivered_at = DELIVERED, now
            if track and not await _later_undelivered(session, delivery):
                item.delivery_state = DeliveryState.DELIVERED.value
            _log(logging.INFO, "delivered", message, f"attempt {delivery.attempts}")
        elif delivery.attempts >= settings.delivery_max_attempts:
            delivery.status, delivery.last_error = FAILED, error
            if track:
                item.delivery_state = DeliveryState.FAILED.value
            why = f"route {delivery.route_id}, {delivery.attempts} attempts, last: {error}"
            note = f"Delivery {delivery.delivery_uid} failed ({why})"
            add_event(
                session,
                item,
                EventKind.DELIVERY_FAILED,
                Audience.STAFF,
                actor="system",
                now=now,
                text=note,
            )
            _log(logging.ERROR, "failed for good", message, why)
        else:
            delay = backoff_seconds(settings, delivery.attempts)
            delivery.last_error = error
            delivery.next_attempt_at = now + timedelta(seconds=delay)
            _log(logging.WARNING, "will retry", message, f"{error}; in {delay:g} s")
        failed = DeliveryState.FAILED.value
        if item.delivery_state != state_before and failed in (item.delivery_state, state_before):
            # The trends count failed deliveries; no other consumer needs to hear it.
            outbox.append(session, outbox.DELIVERY_STATE, item_id=item.id, now=now)
        session.add(delivery)
        session.add(item)
        return delivery.status


async def _later_undelivered(session: AsyncSession, delivery: Delivery) -> bool:
    """Whether a newer change of the same item is still pending or failed."""
    later = await session.exec(
        select(Delivery.id).where(
            Delivery.item_id == delivery.item_id,
            col(Delivery.outbox_id) > delivery.outbox_id,
            Delivery.status != DELIVERED,
        )
    )
    return later.first() is not None


def _log(level: int, what: str, message: _Outgoing, detail: str) -> None:
    # Delivery ids and item references only: never a description or a contact.
    logger.log(
        level, "delivery %s of %s %s: %s", message.delivery_uid, message.reference, what, detail
    )


def _utc(moment: datetime) -> datetime:
    # SQLite returns naive datetimes for timezone-aware columns; they were stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def plan_until_caught_up(db: Database, now: datetime) -> int:
    """Plan batch after batch, each in its own short transaction, until the outbox is read
    through (at most MAX_PLAN_BATCHES a round): a burst of submissions is not left behind,
    and submissions take the write lock between batches. Returns deliveries created."""
    created = 0
    for _ in range(MAX_PLAN_BATCHES):
        async with db.writing() as session:
            created += await plan_deliveries(session, now)
            position = await outbox.position_of(session, CONSUMER)
            later = select(OutboxEntry.id).where(col(OutboxEntry.id) > position).limit(1)
            more = (await session.exec(later)).first() is not None
        if not more:
            break
        await asyncio.sleep(0)
    return created


async def run_delivery_worker(
    db: Database,
    settings: Settings,
    stop: asyncio.Event,
    clock: Callable[[], datetime],
    cipher: FieldCipher | None = None,
    mailer: Mailer | None = None,
) -> None:
    """Plan and send deliveries every ``delivery_poll_seconds`` until ``stop`` is set."""
    timeout = httpx.Timeout(HTTP_TIMEOUT_SECONDS)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as http:
        while not stop.is_set():
            try:
                await plan_until_caught_up(db, clock())
                await send_due_deliveries(db, http, settings, clock(), cipher, mailer)
            except Exception as error:  # one bad round must not stop deliveries for good
                # The type only: exception messages may quote data; tracebacks at debug level.
                logger.error("delivery round failed: %s", type(error).__name__)
                logger.debug("delivery round failure", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.delivery_poll_seconds)
