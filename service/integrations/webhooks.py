"""Integrators' webhooks: subscriptions to change kinds, planned from the change feed, sent
signed (the bodies' delivery code: same signature, headers and backoff), logged for the
client, disabled after persistent failure.

Planning reads the change feed from each webhook's own position (so the feed's ordering
guarantee holds: no change is skipped or sent twice to a webhook) and writes the deliveries
and the new position in one transaction. Sending claims due deliveries with a lease, POSTs
outside any transaction, and records each outcome; receivers deduplicate on
``X-ALM-Delivery-Id``. Payloads are the feed's public fields: never personal data.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import Database
from service.errors import N_, DomainError
from service.integrations import changes
from service.integrations.changes import ChangeKind
from service.integrations.errors import IntegrationErrorCode
from service.integrations.models import Webhook, WebhookDelivery
from service.invariants import required_row
from service.outbox.models import OutboxEntry
from service.privacy.crypto import FieldCipher, UndecryptableValue, cipher_for
from service.privacy.signing_secrets import WEBHOOK_SECRET_COLUMN, open_secret, seal_secret
from service.reference import ReferenceData
from service.routing.delivery import HTTP_TIMEOUT_SECONDS, backoff_seconds, post_signed
from service.settings import Settings

logger = logging.getLogger(__name__)

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
PLAN_BATCH = 200
SEND_BATCH = 50
CLAIM_SECONDS = 120.0
MAX_URL = 500
SECRET_PREFIX = "whsec_"


@dataclass(frozen=True)
class _Outgoing:
    delivery_id: int
    delivery_uid: str
    url: str
    secret: str
    body: bytes


def url_errors(
    url: str, *, allow_http: bool = False, allow_private: bool = False
) -> list[DomainError]:
    """An https URL on a public host: not a loopback, private or link-local address.
    ``allow_private`` (development only, SERVICE_WEBHOOKS_ALLOW_PRIVATE) lets an integrator
    test a receiver on their own machine: http, localhost and private addresses."""
    parts = urlsplit(url.strip())
    schemes = ("https", "http") if allow_http or allow_private else ("https",)
    host = (parts.hostname or "").lower()
    bad = len(url) > MAX_URL or parts.scheme not in schemes or not host
    bad = bad or (host == "localhost" and not allow_private)
    with contextlib.suppress(ValueError):
        address = ipaddress.ip_address(host)
        bad = bad or not (address.is_global or allow_private)
    if bad:
        return [
            DomainError(
                IntegrationErrorCode.INVALID_URL,
                N_("Give an https URL on a public host, of at most %(limit)s characters."),
                field="url",
                limit=MAX_URL,
            )
        ]
    return []


async def create_webhook(
    session: AsyncSession,
    client_id: int,
    url: str,
    kinds: Iterable[ChangeKind],
    now: datetime,
    cipher: FieldCipher,
) -> tuple[Webhook, str]:
    """A subscription starting at the feed's present; its signing secret, shown once and
    stored encrypted with ``cipher``."""
    last = (
        await session.exec(
            select(OutboxEntry.txid, OutboxEntry.id)
            .order_by(col(OutboxEntry.txid).desc(), col(OutboxEntry.id).desc())
            .limit(1)
        )
    ).first()
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    sealed = seal_secret(secret, WEBHOOK_SECRET_COLUMN, cipher)
    webhook = Webhook(
        client_id=client_id,
        url=url.strip(),
        event_types=" ".join(sorted({k.value for k in kinds})),
        signing_secret=sealed.value,
        signing_secret_key_id=sealed.key_id,
        created_at=now,
        after_txid=(last[0] or 0) if last else 0,
        after_id=(last[1] or 0) if last else 0,
    )
    session.add(webhook)
    await session.flush()
    return webhook, secret


async def count_webhooks(session: AsyncSession, client_id: int) -> int:
    rows = await session.exec(select(Webhook.id).where(Webhook.client_id == client_id))
    return len(rows.all())


async def webhooks_of(session: AsyncSession, client_id: int) -> list[Webhook]:
    statement = select(Webhook).where(Webhook.client_id == client_id).order_by(col(Webhook.id))
    return list((await session.exec(statement)).all())


async def webhook_of(session: AsyncSession, client_id: int, webhook_id: int) -> Webhook:
    webhook = await session.get(Webhook, webhook_id)
    if webhook is None or webhook.client_id != client_id:  # another client's: not found
        raise DomainError(
            IntegrationErrorCode.NOT_FOUND, N_("You have no webhook with this id."), field="id"
        )
    return webhook


async def deliveries_of(
    session: AsyncSession, webhook_id: int, first: int
) -> list[WebhookDelivery]:
    statement = (
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook_id)
        .order_by(col(WebhookDelivery.id).desc())
        .limit(first)
    )
    return list((await session.exec(statement)).all())


async def delete_webhook(session: AsyncSession, webhook: Webhook) -> None:
    rows = await session.exec(
        select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id)
    )
    for delivery in rows.all():
        await session.delete(delivery)
    await session.flush()
    await session.delete(webhook)


def enable(webhook: Webhook) -> None:
    webhook.disabled_at, webhook.disabled_reason, webhook.failures_in_a_row = None, None, 0


# ---------------------------------------------------------------------------- planning


async def plan_webhook_deliveries(
    session: AsyncSession, reference: ReferenceData, now: datetime, *, postgres: bool
) -> int:
    """Create the deliveries of the changes each active webhook has not seen yet, in the
    caller's transaction. Webhooks another planner holds are skipped (PostgreSQL)."""
    active = (
        select(Webhook)
        .where(col(Webhook.disabled_at).is_(None))
        .order_by(col(Webhook.id))
        .with_for_update(skip_locked=True)
    )
    created = 0
    for webhook in (await session.exec(active)).all():
        kinds = [ChangeKind(k) for k in webhook.event_types.split()]
        page = await changes.read_changes(
            session,
            reference,
            (webhook.after_txid, webhook.after_id),
            PLAN_BATCH,
            kinds,
            postgres=postgres,
        )
        for change in page.changes:
            uid = str(uuid.uuid4())
            body = {
                "deliveryId": uid,
                "event": change.kind.value,
                "occurredAt": _utc(change.occurred_at).isoformat(),
                "change": {
                    "cursor": changes.encode_cursor(change.position),
                    "reference": change.reference,
                    "itemKind": change.item_kind,
                    "status": change.status,
                    "communeCode": change.commune_code,
                    "categoryCode": change.category_code,
                },
            }
            session.add(
                WebhookDelivery(
                    delivery_uid=uid,
                    webhook_id=webhook.id or 0,
                    outbox_id=change.outbox_id,
                    event_type=change.kind.value,
                    body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                    status=PENDING,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
            created += 1
        webhook.after_txid, webhook.after_id = page.position
        session.add(webhook)
    return created


# ---------------------------------------------------------------------------- sending


@dataclass(frozen=True)
class WebhookRound:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    disabled: int = 0


async def send_due_webhook_deliveries(
    db: Database,
    http: httpx.AsyncClient,
    settings: Settings,
    now: datetime,
    cipher: FieldCipher | None = None,
) -> WebhookRound:
    """Send the deliveries due at ``now`` (one bounded batch) and record the outcomes.

    ``cipher`` decrypts the webhooks' signing secrets (default: from the settings)."""

    def secret_cipher() -> FieldCipher:  # only needed for encrypted secrets
        return cipher or cipher_for(settings.encryption_keys, settings.secret_keys)

    claimed = await _claim(db, now, secret_cipher)
    outcomes = await asyncio.gather(
        *(_send_and_record(db, http, settings, message, now) for message in claimed)
    )
    return WebhookRound(*(outcomes.count(s) for s in (DELIVERED, PENDING, FAILED, "disabled")))


async def _claim(db: Database, now: datetime, cipher: Callable[[], FieldCipher]) -> list[_Outgoing]:
    async with db.writing() as session:
        due = await session.exec(
            select(WebhookDelivery, Webhook)
            .join(Webhook, col(Webhook.id) == col(WebhookDelivery.webhook_id))
            .where(
                WebhookDelivery.status == PENDING,
                col(WebhookDelivery.next_attempt_at) <= now,
                col(Webhook.disabled_at).is_(None),
            )
            .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
            .limit(SEND_BATCH)
            .with_for_update(skip_locked=True, of=WebhookDelivery)
        )
        claimed = []
        for delivery, webhook in due.all():
            delivery.next_attempt_at = now + timedelta(seconds=CLAIM_SECONDS)
            session.add(delivery)
            secret = _secret_of(webhook, cipher)
            if secret is None:
                continue  # stays claimed: tried again once the keys are back, no attempt lost
            claimed.append(
                _Outgoing(
                    delivery.id or 0,
                    delivery.delivery_uid,
                    webhook.url,
                    secret,
                    delivery.body.encode(),
                )
            )
    return claimed


def _secret_of(webhook: Webhook, cipher: Callable[[], FieldCipher]) -> str | None:
    """The webhook's secret in clear; None (and an error logged) when no configured key opens
    it: one webhook's missing key must not stop the others' deliveries."""
    key_id = webhook.signing_secret_key_id
    try:
        return open_secret(
            webhook.signing_secret, key_id, WEBHOOK_SECRET_COLUMN, cipher() if key_id else None
        )
    except UndecryptableValue:
        logger.error("webhook %s: its signing secret (key %s) does not decrypt", webhook.id, key_id)
        return None


async def _send_and_record(
    db: Database, http: httpx.AsyncClient, settings: Settings, message: _Outgoing, now: datetime
) -> str:
    error = await post_signed(
        http, message.url, message.secret, message.delivery_uid, message.body, now
    )
    async with db.writing() as session:
        delivery = await session.get(WebhookDelivery, message.delivery_id)
        if delivery is None or delivery.status != PENDING:
            return "skipped"
        webhook = required_row(
            await session.get(Webhook, delivery.webhook_id), "webhook", delivery.webhook_id
        )
        delivery.attempts += 1
        outcome = PENDING
        if error is None:
            delivery.status, delivery.delivered_at, delivery.last_error = DELIVERED, now, None
            webhook.failures_in_a_row = 0
            outcome = DELIVERED
        else:
            delivery.last_error = error
            webhook.failures_in_a_row += 1
            if delivery.attempts >= settings.delivery_max_attempts:
                delivery.status = outcome = FAILED
            else:
                delivery.next_attempt_at = now + timedelta(
                    seconds=backoff_seconds(settings, delivery.attempts)
                )
            if webhook.failures_in_a_row >= settings.webhook_failures_to_disable:
                webhook.disabled_at = now
                webhook.disabled_reason = (
                    f"disabled after {webhook.failures_in_a_row} failed attempts in a row; "
                    f"last: {error}"
                )[:200]
                logger.warning("webhook %s disabled: %s", webhook.id, error)
                outcome = "disabled"
        session.add(delivery)
        session.add(webhook)
    return outcome


async def run_webhook_worker(
    db: Database,
    settings: Settings,
    stop: asyncio.Event,
    clock: Callable[[], datetime],
    reference: Callable[[], ReferenceData],
    cipher: FieldCipher | None = None,
) -> None:
    """Plan and send integrators' webhook deliveries until ``stop`` is set."""
    timeout = httpx.Timeout(HTTP_TIMEOUT_SECONDS)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as http:
        while not stop.is_set():
            try:
                async with db.writing() as session:
                    await plan_webhook_deliveries(
                        session, reference(), clock(), postgres=not db.is_sqlite
                    )
                await send_due_webhook_deliveries(db, http, settings, clock(), cipher)
            except Exception as error:  # one bad round must not stop webhooks for good
                logger.error("webhook round failed: %s", type(error).__name__)
                logger.debug("webhook round failure", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.delivery_poll_seconds)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
