"""Subscriptions to new reports by area (FixMyStreet's local alerts): a commune, a category,
or a radius around a point; double opt-in; at most one digest a day; unsubscribing deletes.

The address is personal data: encrypted like contacts, found by a keyed digest, never logged,
declared in the register (service.mail.personal_data). Until confirmed, it receives the
confirmation link only (and at most ``MAX_PENDING_PER_ADDRESS`` of them a day, so the form
cannot be used to flood someone's mailbox); unconfirmed subscriptions are deleted after
``UNCONFIRMED_DAYS``.
"""

from __future__ import annotations

import enum
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Connection, delete, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import table_of
from service.errors import N_, DomainError
from service.items.models import EventKind, Item, ItemEvent, ItemKind
from service.items.rules import Audience, get_by_reference
from service.mail import rules
from service.mail.models import MailKind, MailMessage, MailSubscription
from service.privacy.crypto import FieldCipher
from service.privacy.rules import EMAIL, EMAIL_LOOKUP, MAX_EMAIL, normalise_email
from service.routing.models import Category
from service.territory.geometry import degrees_around, distance_m
from service.territory.models import Commune

SALT = "mail-subscription-v1"
# The lookup digest is the contacts' own: one address has one digest, so the daily cap of
# messages to an address counts both (service.mail.sender).
EMAIL_COLUMN = "mail_subscription.email"
MIN_RADIUS, MAX_RADIUS = 50, 2000
UNCONFIRMED_DAYS = 7
MAX_PENDING_PER_ADDRESS = 3
DIGEST_EVERY = timedelta(days=1)
DIGEST_MAX_ITEMS = 50


class SubscriptionErrorCode(enum.Enum):
    INVALID_EMAIL = "INVALID_EMAIL"
    AREA_REQUIRED = "AREA_REQUIRED"
    UNKNOWN_COMMUNE = "UNKNOWN_COMMUNE"
    UNKNOWN_CATEGORY = "UNKNOWN_CATEGORY"
    INVALID_RADIUS = "INVALID_RADIUS"
    UNKNOWN_REPORT = "UNKNOWN_REPORT"


@dataclass(frozen=True)
class SubscriptionRequest:
    email: str
    commune_code: str | None = None
    category_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    radius_meters: int | None = None
    language: str = "fr"
    # "Follow this report": its public reference, instead of an area.
    reference: str | None = None


async def request_errors(session: AsyncSession, request: SubscriptionRequest) -> list[DomainError]:
    errors = []
    email = normalise_email(request.email)
    if len(email) > MAX_EMAIL or not EMAIL.match(email):
        errors.append(
            DomainError(
                SubscriptionErrorCode.INVALID_EMAIL,
                N_("This e-mail address does not look valid."),
                field="email",
            )
        )
    point = request.latitude is not None or request.longitude is not None
    if request.reference is not None:
        followed = await get_by_reference(session, request.reference.strip().upper())
        if followed is None or followed.kind != ItemKind.REPORT.value:
            errors.append(
                DomainError(
                    SubscriptionErrorCode.UNKNOWN_REPORT,
                    N_("No report has this reference."),
                    field="reference",
                )
            )
        return errors
    if not (request.commune_code or request.category_code or point):
        errors.append(
            DomainError(
                SubscriptionErrorCode.AREA_REQUIRED,
                N_("Choose a commune, a category, or a point and a radius."),
                field="communeCode",
            )
        )
    if request.commune_code and await session.get(Commune, request.commune_code) is None:
        errors.append(
            DomainError(
                SubscriptionErrorCode.UNKNOWN_COMMUNE,
                N_("No commune has this code."),
                field="communeCode",
            )
        )
    if request.category_code and await session.get(Category, request.category_code) is None:
        errors.append(
            DomainError(
                SubscriptionErrorCode.UNKNOWN_CATEGORY,
                N_("No category has this code."),
                field="categoryCode",
            )
        )
    if point and not (
        request.latitude is not None
        and request.longitude is not None
        and -90 <= request.latitude <= 90
        and -180 <= request.longitude <= 180
        and request.radius_meters is not None
        and MIN_RADIUS <= request.radius_meters <= MAX_RADIUS
    ):
        errors.append(
            DomainError(
                SubscriptionErrorCode.INVALID_RADIUS,
                N_("Give a point and a radius from %(minimum)s to %(maximum)s metres."),
                field="radiusMeters",
                minimum=MIN_RADIUS,
                maximum=MAX_RADIUS,
            )
        )
    return errors


async def subscribe(
    session: AsyncSession, request: SubscriptionRequest, cipher: FieldCipher, now: datetime
) -> MailSubscription:
    """Store the subscription, unconfirmed, and queue its confirmation link. The caller
    checked ``request_errors``. The answer is the same whether the address subscribed before
    or not (no one learns who subscribes)."""
    email = normalise_email(request.email)
    digest = cipher.lookup_hash(email, EMAIL_LOOKUP)
    followed = None
    if request.reference is not None:
        followed = await get_by_reference(session, request.reference.strip().upper())
    point = request.latitude is not None and followed is None
    subscription = MailSubscription(
        email=cipher.encrypt(email, EMAIL_COLUMN) or "",
        email_hash=digest,
        key_id=cipher.current_key_id,
        item_id=followed.id if followed else None,
        commune_code=None if followed else request.commune_code or None,
        category_code=None if followed else request.category_code or None,
        latitude=request.latitude if point else None,
        longitude=request.longitude if point else None,
        radius_meters=request.radius_meters if point else None,
        language=request.language,
        token_nonce=secrets.token_hex(8),
        created_at=now,
    )
    pending = await session.exec(
        select(func.count(col(MailSubscription.id))).where(
            MailSubscription.email_hash == digest,
            col(MailSubscription.confirmed_at).is_(None),
            col(MailSubscription.created_at) > now - timedelta(days=1),
        )
    )
    session.add(subscription)
    await session.flush()
    assert subscription.id is not None
    if int(pending.one()) < MAX_PENDING_PER_ADDRESS:
        key = f"confirm:{subscription.id}"
        await rules.queue(session, key, MailKind.CONFIRM, None, now, subscription.id)
    return subscription


def open_email(subscription: MailSubscription, cipher: FieldCipher) -> str:
    return cipher.decrypt(subscription.email, EMAIL_COLUMN) or ""


class SubscriptionTokens:
    """Signed links of a subscription: ``confirm`` it, or ``stop`` it (one-click
    unsubscribe). They name the subscription and its nonce, never the address."""

    def __init__(self, secret_keys: Sequence[str]) -> None:
        self._serializer = URLSafeSerializer(list(secret_keys), salt=SALT)

    def issue(self, subscription: MailSubscription, action: str) -> str:
        payload = {"s": subscription.id, "n": subscription.token_nonce, "a": action}
        return str(self._serializer.dumps(payload))

    async def open(self, session: AsyncSession, token: str, action: str) -> MailSubscription | None:
        try:
            payload = self._serializer.loads(token)
            subscription_id, nonce = int(payload["s"]), str(payload["n"])
            if payload["a"] != action:
                return None
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
        subscription = await session.get(MailSubscription, subscription_id)
        if subscription is None or subscription.token_nonce != nonce:
            return None
        return subscription


async def confirm(session: AsyncSession, subscription: MailSubscription, now: datetime) -> None:
    """Double opt-in done: digests start with the reports made from now on."""
    if subscription.confirmed_at is not None:
        return
    newest = await session.exec(
        select(func.max(col(ItemEvent.id)))
        if subscription.item_id
        else select(func.max(col(Item.id)))
    )
    subscription.confirmed_at = now
    subscription.seen_item_id = int(newest.one() or 0)
    subscription.last_digest_at = now  # the first digest comes a day later at the earliest
    session.add(subscription)


async def unsubscribe(session: AsyncSession, subscription: MailSubscription) -> None:
    """Delete the subscription, its address and its queued messages, at once."""
    await session.exec(
        delete(MailMessage).where(col(MailMessage.subscription_id) == subscription.id)
    )
    await session.delete(subscription)


def matches(subscription: MailSubscription, item: Item) -> bool:
    if subscription.commune_code and item.commune_code != subscription.commune_code:
        return False
    if subscription.category_code and item.category_code != subscription.category_code:
        return False
    if subscription.latitude is not None and subscription.longitude is not None:
        radius = subscription.radius_meters or MIN_RADIUS
        return distance_to_item(subscription.latitude, subscription.longitude, item) <= radius
    return True


def distance_to_item(latitude: float, longitude: float, item: Item) -> float:
    """Great-circle distance from the point to the item, in metres (infinite without a pin)."""
    if item.latitude is None or item.longitude is None:
        return math.inf
    return distance_m(latitude, longitude, item.latitude, item.longitude)


async def new_reports(
    session: AsyncSession, subscription: MailSubscription, after: int, up_to: int | None = None
) -> list[Item]:
    """The reports after item id ``after`` (up to ``up_to``) the subscription asks for."""
    statement = select(Item).where(
        col(Item.id) > after,
        Item.kind == ItemKind.REPORT.value,
        col(Item.duplicate_of_id).is_(None),
    )
    if up_to is not None:
        statement = statement.where(col(Item.id) <= up_to)
    if subscription.commune_code:
        statement = statement.where(Item.commune_code == subscription.commune_code)
    if subscription.category_code:
        statement = statement.where(Item.category_code == subscription.category_code)
    if subscription.latitude is not None and subscription.longitude is not None:
        # A box around the circle first (indexed columns), the exact distance then.
        radius = subscription.radius_meters or MIN_RADIUS
        d_lat, d_lon = degrees_around(subscription.latitude, radius)
        statement = statement.where(
            col(Item.latitude).between(
                subscription.latitude - d_lat, subscription.latitude + d_lat
            ),
            col(Item.longitude).between(
                subscription.longitude - d_lon, subscription.longitude + d_lon
            ),
        )
    found = (await session.exec(statement.order_by(col(Item.id)))).all()
    return [item for item in found if matches(subscription, item)]


NEWS_KINDS = (EventKind.STATUS_CHANGED.value, EventKind.PUBLIC_ANSWER.value)


async def report_news(
    session: AsyncSession, subscription: MailSubscription, after: int, up_to: int | None = None
) -> list[ItemEvent]:
    """The followed report's public changes (statuses, answers) after event id ``after``."""
    statement = select(ItemEvent).where(
        ItemEvent.item_id == subscription.item_id,
        col(ItemEvent.id) > after,
        ItemEvent.audience == Audience.PUBLIC.value,
        col(ItemEvent.kind).in_(NEWS_KINDS),
    )
    if up_to is not None:
        statement = statement.where(col(ItemEvent.id) <= up_to)
    return list((await session.exec(statement.order_by(col(ItemEvent.id)))).all())


async def plan_digests(session: AsyncSession, now: datetime) -> int:
    """Queue the day's digest of each confirmed subscription that has new reports (at most
    one a day each), and delete subscriptions left unconfirmed too long."""
    await session.exec(
        delete(MailMessage).where(
            col(MailMessage.subscription_id).in_(_stale_ids(now)),
        )
    )
    await session.exec(
        delete(MailSubscription).where(col(MailSubscription.id).in_(_stale_ids(now)))
    )
    due = await session.exec(
        select(MailSubscription).where(
            col(MailSubscription.confirmed_at).is_not(None),
            col(MailSubscription.last_digest_at) <= now - DIGEST_EVERY,
        )
    )
    created = 0
    for subscription in due.all():
        assert subscription.id is not None
        if subscription.item_id is not None:
            events = await report_news(session, subscription, subscription.seen_item_id)
            if not events:
                continue
            up_to = max(event.id or 0 for event in events)
        else:
            items = (await new_reports(session, subscription, subscription.seen_item_id))[
                :DIGEST_MAX_ITEMS
            ]
            if not items:
                continue
            up_to = max(item.id or 0 for item in items)
        key = f"digest:{subscription.id}:{subscription.seen_item_id}-{up_to}"
        created += await rules.queue(
            session,
            key,
            MailKind.DIGEST,
            None,
            now,
            subscription.id,
            after_item_id=subscription.seen_item_id,
            up_to_item_id=up_to,
        )
        subscription.seen_item_id, subscription.last_digest_at = up_to, now
        session.add(subscription)
    return created


def _stale_ids(now: datetime) -> Any:
    return select(MailSubscription.id).where(
        col(MailSubscription.confirmed_at).is_(None),
        col(MailSubscription.created_at) < now - timedelta(days=UNCONFIRMED_DAYS),
    )


def reseal_subscriptions(connection: Connection, cipher: FieldCipher) -> int:
    """Re-encrypt the subscriptions' addresses under the newest key (``rekey``): synchronous,
    on the command's connection, like the contacts'. Returns how many."""
    table = table_of(MailSubscription)
    stale = or_(table.c.key_id.is_(None), table.c.key_id != cipher.current_key_id)
    rows = connection.execute(select(table.c.id, table.c.email).where(stale)).all()
    for row in rows:
        email = cipher.decrypt(row.email, EMAIL_COLUMN) or ""
        connection.execute(
            update(table)
            .where(table.c.id == row.id)
            .values(
                email=cipher.encrypt(email, EMAIL_COLUMN),
                email_hash=cipher.lookup_hash(email, EMAIL_LOOKUP),
                key_id=cipher.current_key_id,
            )
        )
    return len(rows)
