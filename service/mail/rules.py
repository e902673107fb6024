"""Which messages residents get, planned from the outbox; one-click unsubscribe tokens.

A message is planned only for an item whose resident consented to it (and gave an e-mail
address), in the caller's transaction with the consumer's position, so a crash loses none and a
replay plans none twice (``dedupe_key``). Consent is checked again when it is sent.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import bindparam, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import table_of
from service.items.lifecycle import Status
from service.items.models import Item
from service.mail.models import MailKind, MailMessage, MailStatus
from service.outbox import rules as outbox
from service.outbox.models import ConsumerPosition, OutboxEntry
from service.privacy.models import Consent, ConsentPurpose, Contact

CONSUMER = "mail"
PLAN_BATCH = 500
# How many ids behind its position the planner looks again (PostgreSQL ids are not commit
# order, see routing.delivery.plan_deliveries); what was planned already is skipped.
PLAN_LOOKBACK = 500
UNSUBSCRIBE_SALT = "mail-unsubscribe-v1"

STATUS_KINDS = {
    Status.ACKNOWLEDGED.value: MailKind.ACKNOWLEDGED,
    Status.RESOLVED.value: MailKind.RESOLVED,
    Status.REJECTED.value: MailKind.REJECTED,
    Status.DUPLICATE.value: MailKind.MERGED,
}
TOPICS = ("item.created", "item.status_changed", "item.answered")


def purpose_of(kind: MailKind) -> ConsentPurpose:
    """The consent a message needs: the questionnaire its own, every other the follow-up."""
    if kind is MailKind.SURVEY:
        return ConsentPurpose.SATISFACTION_SURVEY
    return ConsentPurpose.FOLLOW_UP_CONTACT


def kind_of(topic: str, payload: str) -> MailKind | None:
    """The message an outbox entry makes, if any."""
    if topic == "item.created":
        return MailKind.RECEIVED
    if topic == "item.answered":
        return MailKind.ANSWERED
    if topic == "item.status_changed":
        return STATUS_KINDS.get(str(json.loads(payload or "{}").get("to")))
    return None


async def plan_messages(session: AsyncSession, now: datetime) -> int:
    """Queue the messages of the next outbox entries, in the caller's transaction; returns how
    many were queued. Idempotent: an entry's message is never queued twice."""
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
    since = max(0, position - PLAN_LOOKBACK)
    # Only items whose resident consented to follow-up messages and gave an address: one
    # joined query, short (it runs under the write lock); most items have no contact at all.
    wanted = (
        select(  # type: ignore[call-overload]
            OutboxEntry.id,
            OutboxEntry.topic,
            OutboxEntry.payload,
            OutboxEntry.item_id,
            OutboxEntry.created_at,
        )
        .join(Consent, col(Consent.item_id) == col(OutboxEntry.item_id))
        .join(Contact, col(Contact.item_id) == col(OutboxEntry.item_id))
        .where(
            col(OutboxEntry.id) > since,
            col(OutboxEntry.id) <= last,
            col(OutboxEntry.topic).in_(TOPICS),
            Consent.purpose == ConsentPurpose.FOLLOW_UP_CONTACT.value,
            col(Consent.withdrawn_at).is_(None),
            col(Contact.email).is_not(None),
        )
        .order_by(col(OutboxEntry.id))
    )
    rows = (await session.exec(wanted)).all()
    # A status change with an answer also appends item.answered: one message says both.
    changed = {(item_id, at) for _, topic, _, item_id, at in rows if topic == TOPICS[1]}
    created = 0
    for outbox_id, topic, payload, item_id, at in rows:
        kind = kind_of(topic, payload)
        if kind is None or item_id is None:
            continue
        if kind is MailKind.ANSWERED and (item_id, at) in changed:
            continue
        created += await queue(session, f"{outbox_id}:{kind.value}", kind, item_id, now)
    if last > position:
        await outbox.advance(session, CONSUMER, last)
    return created


async def plan_surveys(session: AsyncSession, now: datetime, after_days: int) -> int:
    """Queue the satisfaction questionnaire of items resolved ``after_days`` ago whose resident
    consented to it and has not said yet whether it was fixed: once per item, ever."""
    due = now - timedelta(days=after_days)
    asked = select(MailMessage.item_id).where(MailMessage.kind == MailKind.SURVEY.value)
    candidates = (
        select(Item.id)
        .join(Consent, col(Consent.item_id) == col(Item.id))
        .join(Contact, col(Contact.item_id) == col(Item.id))
        .where(
            col(Item.resolved_at) <= due,
            col(Item.status).in_([Status.RESOLVED.value, Status.CLOSED.value]),
            col(Item.feedback_fixed).is_(None),
            Consent.purpose == ConsentPurpose.SATISFACTION_SURVEY.value,
            col(Consent.withdrawn_at).is_(None),
            col(Contact.email).is_not(None),
            col(Item.id).not_in(asked),
        )
        .order_by(col(Item.id))
        .limit(PLAN_BATCH)
    )
    created = 0
    for item_id in (await session.exec(candidates)).all():
        if item_id is not None:
            key = f"survey:{item_id}"
            created += await queue(session, key, MailKind.SURVEY, item_id, now)
    return created


async def queue(
    session: AsyncSession,
    dedupe_key: str,
    kind: MailKind,
    item_id: int | None,
    now: datetime,
    subscription_id: int | None = None,
    *,
    after_item_id: int | None = None,
    up_to_item_id: int | None = None,
    staff_id: int | None = None,
) -> int:
    """Queue one message (for an item's resident, a subscription or an agent) unless ``dedupe_key``
    was queued before; returns 1 if it was queued now."""
    columns = table_of(MailMessage).c
    inserted = (
        await session.exec(  # type: ignore[call-overload]
            text(
                "INSERT INTO mail_message (message_uid, dedupe_key, kind, item_id, "
                "subscription_id, staff_id, after_item_id, up_to_item_id, status, attempts, "
                "next_attempt_at, created_at) VALUES (:uid, :key, :kind, :item, :subscription, "
                ":staff, :after, :up_to, :status, 0, :now, :now) "
                "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
            ).bindparams(bindparam("now", type_=columns.next_attempt_at.type)),
            params={
                "uid": str(uuid.uuid4()),
                "key": dedupe_key,
                "kind": kind.value,
                "item": item_id,
                "subscription": subscription_id,
                "staff": staff_id,
                "after": after_item_id,
                "up_to": up_to_item_id,
                "status": MailStatus.PENDING.value,
                "now": now,
            },
        )
    ).first()
    return 0 if inserted is None else 1


class UnsubscribeTokens:
    """The signed link of a message's one-click unsubscribe: it names an item (its id and the
    nonce of its tracking token) and a consent purpose; never an address."""

    def __init__(self, secret_keys: Sequence[str]) -> None:
        self._serializer = URLSafeSerializer(list(secret_keys), salt=UNSUBSCRIBE_SALT)

    def issue(self, item: Item, purpose: ConsentPurpose) -> str:
        return str(
            self._serializer.dumps({"i": item.id, "n": item.token_nonce, "p": purpose.value})
        )

    async def open(self, session: AsyncSession, token: str) -> tuple[Item, ConsentPurpose] | None:
        """The item and purpose a token names, or None when it names nothing (any more)."""
        try:
            payload = self._serializer.loads(token)
            item_id, nonce = int(payload["i"]), str(payload["n"])
            purpose = ConsentPurpose(payload["p"])
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
        item = await session.get(Item, item_id)
        if item is None or item.token_nonce != nonce:
            return None
        return item, purpose
