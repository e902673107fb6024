"""Send the queued messages to residents: claim, check consent again, render, hand to SMTP,
record; retry with backoff; give up visibly.

Like the bodies' deliveries (service.routing.delivery), no transaction is held across network
I/O: a short write transaction claims due messages (pushing ``next_attempt_at`` one lease
ahead), the SMTP session runs outside any transaction, and one short transaction per message
records its outcome. A worker killed between handing a message over and recording it leaves it
claimed; once the lease runs out it is sent again with the same ``Message-ID``: at least once,
duplicates recognisable. Logs carry message ids and item references, never an address.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import Message

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import Database
from service.errors import N_
from service.invariants import required, required_row
from service.items.models import EventKind, Item, ItemEvent
from service.items.rules import Audience, add_event
from service.mail import rules, staff_digest, subscriptions
from service.mail.models import MailKind, MailMessage, MailStatus, MailSubscription
from service.mail.render import Renderer
from service.mail.subscription_messages import subscription_message
from service.mail.subscriptions import SubscriptionTokens
from service.mail.transport import Refusal, Transport
from service.outbox import rules as outbox
from service.outbox.models import OutboxEntry
from service.privacy.crypto import FieldCipher, UndecryptableValue
from service.privacy.models import Contact
from service.privacy.rules import active_consents, contact_of, open_contact
from service.routing.models import Category
from service.settings import Settings
from service.staff.models import StaffUser
from service.tracking.rules import TrackingTokens

logger = logging.getLogger(__name__)

SEND_BATCH = 100
SURVEY_EVERY = timedelta(minutes=10)
RECORD_EVERY = 20  # messages handed over between two recording transactions
PENDING = MailStatus.PENDING.value

SUBJECTS = {
    MailKind.RECEIVED: N_("Your item %(reference)s was received"),
    MailKind.ACKNOWLEDGED: N_("Your item %(reference)s was acknowledged"),
    MailKind.ANSWERED: N_("An answer about your item %(reference)s"),
    MailKind.RESOLVED: N_("Your item %(reference)s is resolved"),
    MailKind.REJECTED: N_("Your item %(reference)s was rejected"),
    MailKind.MERGED: N_("Your item %(reference)s was merged into another"),
    MailKind.SURVEY: N_("Was it fixed? Your opinion on %(reference)s"),
}


@dataclass(frozen=True)
class SendCounts:
    """What one sending round did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0


@dataclass(frozen=True)
class Mailer:
    """What sending needs, built once per process."""

    settings: Settings
    renderer: Renderer
    transport: Transport | None
    tracking: TrackingTokens
    unsubscribe: rules.UnsubscribeTokens
    subscriptions: SubscriptionTokens
    digests: staff_digest.DigestTokens
    cipher: Callable[[], FieldCipher]


@dataclass(frozen=True)
class _Ready:
    message_id: int
    uid: str
    reference: str  # for logs
    email: Message


@dataclass(frozen=True)
class _Skip:
    message_id: int
    status: MailStatus  # CANCELLED, or PENDING to wait (over the daily cap)
    reason: str


async def send_due_messages(db: Database, mailer: Mailer, now: datetime) -> SendCounts:
    """Send the messages due at ``now`` (one bounded batch) and record the outcomes."""
    if mailer.transport is None:
        return SendCounts()  # no relay configured: they wait, queued
    async with db.reading() as session:  # most polls find nothing: no write lock for that
        due = select(MailMessage.id).where(
            MailMessage.status == PENDING, col(MailMessage.next_attempt_at) <= now
        )
        if (await session.exec(due.limit(1))).first() is None:
            return SendCounts()
    claimed = await _claim(db, now, mailer.settings.mail_claim_seconds)
    if not claimed:
        return SendCounts()
    prepared: list[_Ready | _Skip] = []
    async with db.reading() as session:
        for message in claimed:
            try:
                prepared.append(await _prepare(session, mailer, message, now))
            except UndecryptableValue:
                # A key missing from the configuration: it waits for its claim to run out.
                logger.error("mail %s: the address does not decrypt", message.message_uid)
    outcomes: list[str] = []
    skips = [p for p in prepared if isinstance(p, _Skip)]
    for skip in skips:
        outcomes.append(await _record_skip(db, skip, now))
    ready = [p for p in prepared if isinstance(p, _Ready)]
    if ready:
        async with mailer.transport.connect() as connection:
            for start in range(0, len(ready), RECORD_EVERY):
                group = ready[start : start + RECORD_EVERY]
                refusals = [await connection.send(one.email) for one in group]
                outcomes.extend(await _record(db, mailer.settings, group, refusals, now))
    return SendCounts(
        sent=outcomes.count(MailStatus.SENT.value),
        retried=outcomes.count(MailStatus.PENDING.value),
        failed=outcomes.count(MailStatus.FAILED.value) + outcomes.count(MailStatus.BOUNCED.value),
        cancelled=outcomes.count(MailStatus.CANCELLED.value),
    )


async def _claim(db: Database, now: datetime, lease: float) -> list[MailMessage]:
    async with db.writing() as session:
        due = await session.exec(
            select(MailMessage)
            .where(MailMessage.status == PENDING, col(MailMessage.next_attempt_at) <= now)
            .order_by(col(MailMessage.next_attempt_at), col(MailMessage.id))
            .limit(SEND_BATCH)
            .with_for_update(skip_locked=True)
        )
        messages = list(due.all())
        for message in messages:
            message.next_attempt_at = now + timedelta(seconds=lease)
            session.add(message)
    return messages


async def _prepare(
    session: AsyncSession, mailer: Mailer, message: MailMessage, now: datetime
) -> _Ready | _Skip:
    assert message.id is not None
    kind = MailKind(message.kind)
    if message.subscription_id is not None:
        return await _prepare_subscription(session, mailer, message, now)
    if message.staff_id is not None:
        return await _prepare_staff_digest(session, mailer, message, now)
    item = required_row(await session.get(Item, message.item_id), "item", message.item_id)
    assert item.id is not None  # narrowing: a row read from its table has its key
    # Consent is king: checked at each attempt, so a withdrawal stops queued messages.
    if rules.purpose_of(kind) not in await active_consents(session, item.id):
        return _Skip(message.id, MailStatus.CANCELLED, "consent withdrawn")
    contact = await contact_of(session, item.id)
    if contact is None or contact.email is None:
        return _Skip(message.id, MailStatus.CANCELLED, "no address")
    if await _bounced(session, item.id):
        return _Skip(message.id, MailStatus.CANCELLED, "address refused by the mail server")
    if kind is MailKind.SURVEY and item.feedback_fixed is not None:
        return _Skip(message.id, MailStatus.CANCELLED, "already answered")
    cap = mailer.settings.mail_per_address_day
    if contact.email_hash and await _sent_today(session, contact.email_hash, now) >= cap:
        return _Skip(message.id, MailStatus.PENDING, "daily cap")
    details = open_contact(contact, mailer.cipher() if contact.key_id else None)
    address = required(details.email, f"the e-mail address of message {message.id}")
    values = {
        "kind": kind.value,
        "reference": item.reference,
        "category": await _category(session, item, mailer, item.language),
        "answer": await _answer(session, item, message) if kind in _QUOTING else None,
        "original_reference": await _original(session, item),
        "follow_url": mailer.renderer.link(
            f"/suivi?jeton={mailer.tracking.issue(item)}"
            + ("#avis" if kind is MailKind.SURVEY else "")
        ),
        "unsubscribe_url": mailer.renderer.link(
            "/courriel/desinscription?jeton="
            + mailer.unsubscribe.issue(item, rules.purpose_of(kind))
        ),
        # Where to get help (web.help_pages), in the resident's commune and language.
        "help_url": mailer.renderer.link(
            f"/aide-numerique?commune={item.commune_code}&lang={item.language}"
        ),
    }
    rendered = mailer.renderer.render("resident", item.language, SUBJECTS[kind], **values)
    email = mailer.renderer.message(
        rendered,
        uid=message.message_uid,
        to=address,
        language=item.language,
        now=now,
        unsubscribe=str(values["unsubscribe_url"]),
    )
    return _Ready(message.id, message.message_uid, item.reference, email)


async def _prepare_subscription(
    session: AsyncSession, mailer: Mailer, message: MailMessage, now: datetime
) -> _Ready | _Skip:
    assert message.id is not None
    subscription = await session.get(MailSubscription, message.subscription_id)
    if subscription is None:
        return _Skip(message.id, MailStatus.CANCELLED, "unsubscribed")
    if message.kind == MailKind.DIGEST.value and subscription.confirmed_at is None:
        return _Skip(message.id, MailStatus.CANCELLED, "not confirmed")
    cap = mailer.settings.mail_per_address_day
    if await _sent_today(session, subscription.email_hash, now) >= cap:
        return _Skip(message.id, MailStatus.PENDING, "daily cap")
    email = await subscription_message(
        session,
        mailer.renderer,
        mailer.subscriptions,
        mailer.cipher(),
        message,
        subscription,
        now,
    )
    if email is None:
        return _Skip(message.id, MailStatus.CANCELLED, "nothing new")
    return _Ready(message.id, message.message_uid, f"subscription {subscription.id}", email)


async def _prepare_staff_digest(
    session: AsyncSession, mailer: Mailer, message: MailMessage, now: datetime
) -> _Ready | _Skip:
    """An agent's digest: checked again when sent (deactivated, or turned off meanwhile)."""
    assert message.id is not None
    staff = await session.get(StaffUser, message.staff_id)
    if staff is None or not staff.active or not staff.mail_digest:
        return _Skip(message.id, MailStatus.CANCELLED, "digest off or account deactivated")
    email = await staff_digest.staff_digest_message(
        session, mailer.renderer, mailer.digests, message, staff, now
    )
    if email is None:
        return _Skip(message.id, MailStatus.CANCELLED, "nothing new")
    return _Ready(message.id, message.message_uid, f"staff digest {staff.id}", email)


_QUOTING = (MailKind.ANSWERED, MailKind.RESOLVED, MailKind.REJECTED)


async def _category(session: AsyncSession, item: Item, mailer: Mailer, language: str) -> str | None:
    if item.category_code is None:
        return None
    category = await session.get(Category, item.category_code)
    if category is None:
        return None
    return mailer.renderer.translator(language).gettext(category.label)


async def _answer(session: AsyncSession, item: Item, message: MailMessage) -> str | None:
    """The latest public text staff wrote on the item (an answer, a reason), up to the change
    the message tells of."""
    latest = await session.exec(
        select(ItemEvent.text)
        .where(
            ItemEvent.item_id == item.id,
            ItemEvent.audience == Audience.PUBLIC.value,
            col(ItemEvent.text).is_not(None),
            col(ItemEvent.created_at) <= message.created_at,
        )
        .order_by(col(ItemEvent.id).desc())
        .limit(1)
    )
    return latest.first()


async def _original(session: AsyncSession, item: Item) -> str | None:
    if item.duplicate_of_id is None:
        return None
    original = await session.get(Item, item.duplicate_of_id)
    return original.reference if original else None


async def _bounced(session: AsyncSession, item_id: int) -> bool:
    found = await session.exec(
        select(MailMessage.id).where(
            MailMessage.item_id == item_id, MailMessage.status == MailStatus.BOUNCED.value
        )
    )
    return found.first() is not None


async def _sent_today(session: AsyncSession, email_hash: str, now: datetime) -> int:
    """Messages sent to this address in the last 24 hours: about every item it was given for,
    and to every subscription of it (contacts and subscriptions share the lookup digest)."""
    since = now - timedelta(days=1)
    total = 0
    for owner, column in (
        (Contact, MailMessage.item_id),
        (MailSubscription, MailMessage.subscription_id),
    ):
        key = Contact.item_id if owner is Contact else MailSubscription.id
        count = await session.exec(
            select(func.count(col(MailMessage.id)))
            .join(owner, col(key) == col(column))
            .where(
                col(owner.email_hash) == email_hash,
                MailMessage.status == MailStatus.SENT.value,
                col(MailMessage.sent_at) > since,
            )
        )
        total += int(count.one())
    return total


async def _record_skip(db: Database, skip: _Skip, now: datetime) -> str:
    async with db.writing() as session:
        message = await session.get(MailMessage, skip.message_id)
        if message is None or message.status != PENDING:
            return "skipped"
        if skip.status is MailStatus.PENDING:
            message.next_attempt_at = now + timedelta(hours=1)  # over the daily cap: later
        else:
            message.status, message.last_error = skip.status.value, skip.reason
        session.add(message)
        logger.info("mail %s: %s", message.message_uid, skip.reason)
        return message.status


async def _record(
    db: Database,
    settings: Settings,
    group: list[_Ready],
    refusals: list[Refusal | None],
    now: datetime,
) -> list[str]:
    """The outcomes of a group of messages, in one write transaction (one per message made
    submissions wait for the write lock; a crash before it only means these few are sent
    again, under their Message-IDs)."""
    async with db.writing() as session:
        return [
            await _record_one(session, settings, ready, refusal, now)
            for ready, refusal in zip(group, refusals, strict=True)
        ]


async def _record_one(
    session: AsyncSession, settings: Settings, ready: _Ready, refusal: Refusal | None, now: datetime
) -> str:
    message = await session.get(MailMessage, ready.message_id)
    if message is None or message.status != PENDING:
        return "skipped"  # another worker finished it after our claim ran out
    message.attempts += 1
    if refusal is None:
        message.status, message.sent_at, message.last_error = MailStatus.SENT.value, now, None
        _log(logging.INFO, ready, "sent", f"attempt {message.attempts}")
    elif refusal.permanent or message.attempts >= settings.mail_max_attempts:
        bounced = refusal.permanent
        message.status = (MailStatus.BOUNCED if bounced else MailStatus.FAILED).value
        message.last_error = refusal.reason
        await _tell_staff(session, message, refusal, now)
        if bounced and message.item_id is not None:  # nothing more goes to this address
            await session.exec(
                update(MailMessage)
                .where(
                    col(MailMessage.item_id) == message.item_id,
                    col(MailMessage.status) == PENDING,
                    col(MailMessage.id) != message.id,
                )
                .values(status=MailStatus.CANCELLED.value, last_error="address bounced")
            )
        _log(logging.ERROR, ready, "given up", f"{refusal.reason}, {message.attempts} attempts")
    else:
        delay = min(
            settings.mail_backoff_seconds * 2 ** (message.attempts - 1),
            settings.mail_backoff_cap_seconds,
        )
        message.last_error = refusal.reason
        message.next_attempt_at = now + timedelta(seconds=delay)
        _log(logging.WARNING, ready, "will retry", f"{refusal.reason}; in {delay:g} s")
    session.add(message)
    return message.status


async def _tell_staff(
    session: AsyncSession, message: MailMessage, refusal: Refusal, now: datetime
) -> None:
    """The item's history says (to staff only) that the resident could not be written to;
    a subscription refused for good is disabled (unconfirmed, it is deleted within a week),
    an agent's digest turned off."""
    if message.subscription_id is not None:
        subscription = await session.get(MailSubscription, message.subscription_id)
        if subscription is not None and refusal.permanent:
            subscription.confirmed_at = None
            session.add(subscription)
        return
    if message.staff_id is not None:
        # An agent's work address refused for good: their digest is turned off (and logged).
        staff = await session.get(StaffUser, message.staff_id)
        if staff is not None and refusal.permanent:
            staff.mail_digest = False
            session.add(staff)
        return
    item = required_row(await session.get(Item, message.item_id), "item", message.item_id)
    if refusal.permanent:
        note = (
            f"E-mail {message.message_uid} ({message.kind}) refused for good by the mail "
            f"server ({refusal.reason}): the resident's address gets no more messages."
        )
    else:
        note = (
            f"E-mail {message.message_uid} ({message.kind}) could not be sent after "
            f"{message.attempts} attempts (last: {refusal.reason})."
        )
    add_event(
        session, item, EventKind.DELIVERY_FAILED, Audience.STAFF, actor="system", now=now, text=note
    )


def _log(level: int, ready: _Ready, what: str, detail: str) -> None:
    logger.log(level, "mail %s of %s %s: %s", ready.uid, ready.reference, what, detail)


async def plan_mail(
    db: Database, settings: Settings, now: datetime, *, surveys: bool = True
) -> int:
    """Plan messages from the outbox until caught up (bounded), then (``surveys``) the due
    questionnaires. Nothing new to read: no write transaction at all (submissions need the
    write lock more than an idle poll does)."""
    created = 0
    async with db.reading() as session:
        position = await outbox.position_of(session, rules.CONSUMER)
        newer = select(OutboxEntry.id).where(col(OutboxEntry.id) > position).limit(1)
        idle = (await session.exec(newer)).first() is None
    for _ in range(0 if idle else 20):
        async with db.writing() as session:
            created += await rules.plan_messages(session, now)
            position = await outbox.position_of(session, rules.CONSUMER)
            more = (
                await session.exec(
                    select(OutboxEntry.id).where(col(OutboxEntry.id) > position).limit(1)
                )
            ).first() is not None
        if not more:
            break
        await asyncio.sleep(0)
    if surveys:
        async with db.writing() as session:
            created += await rules.plan_surveys(session, now, settings.mail_survey_days)
            created += await subscriptions.plan_digests(session, now)
            created += await staff_digest.plan_staff_digests(session, now)
    return created


async def run_mail_worker(
    db: Database, mailer: Mailer, stop: asyncio.Event, clock: Callable[[], datetime]
) -> None:
    """Plan and send messages every ``delivery_poll_seconds`` until ``stop`` is set."""
    if mailer.transport is None:
        logger.warning("no SERVICE_MAIL_SMTP_HOST: messages are queued and wait for a mail relay")
    surveyed: datetime | None = None
    while not stop.is_set():
        try:
            now = clock()
            # Questionnaires fall due by the day: looked for every SURVEY_EVERY, not every poll.
            surveys = surveyed is None or now - surveyed >= SURVEY_EVERY
            await plan_mail(db, mailer.settings, now, surveys=surveys)
            surveyed = now if surveys else surveyed
            while (await send_due_messages(db, mailer, clock())) != SendCounts():
                if stop.is_set():
                    break
        except Exception as error:  # one bad round must not stop messages for good
            logger.error("mail round failed: %s", type(error).__name__)
            logger.debug("mail round failure", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), mailer.settings.delivery_poll_seconds)
