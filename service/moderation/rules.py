"""Moderation of what the public reads: held texts, the public's flags, staff decisions.

The public copy of an item's text (``Item.public_description``) is written once, masked of
personal data (``service.masking``). Whether the public may read it is the item's
``moderation`` (and its status: a rejected item's text is not public). Every public surface
reads it through ``public_text`` / ``public_address``; the staff copy is never touched.

A decision changes what the public reads in the same transaction as the outbox entry
(``item.moderated``) that tells the search indexers, the change feed and the webhooks.
"""

from __future__ import annotations

import enum
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, text, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import Database
from service.errors import N_, DomainError, ValidationFailed
from service.items import rules as items
from service.items.lifecycle import Status
from service.items.models import EventKind, Item, ItemKind, Moderation
from service.masking import mask_personal_data
from service.moderation.errors import ModerationErrorCode
from service.moderation.models import FlagReason, ItemFlag
from service.outbox import rules as outbox
from service.pagination import decode_cursor, encode_cursor
from service.reference import ReferenceData
from service.service_requests.models import ServiceRequestDetail
from service.service_requests.rules import is_public
from service.staff import triage
from service.staff.models import AuditEntry
from service.staff.permissions import covered_bodies, require_item_work
from service.staff.rules import StaffIdentity

WITHHELD = frozenset({Moderation.HELD, Moderation.FLAGGED, Moderation.HIDDEN})
# What a waiting item is, for the queue: held or flagged past the threshold.
AWAITING = (Moderation.HELD.value, Moderation.FLAGGED.value)
MAX_COMMENT = 500
MAX_PUBLIC_TEXT = 4_000
MODERATED = "item.moderated"  # the outbox topic of every change of what the public reads

HIDDEN_NOTICE = N_("Hidden by moderation.")
REJECTED_NOTICE = N_("Not public: this item was not taken up.")


class ModerationAction(enum.Enum):
    """What staff decide about an item's public text."""

    HIDE = "hide"
    EDIT = "edit"
    RELEASE = "release"
    DISMISS_FLAGS = "dismiss_flags"


def text_withheld(item: Item) -> bool:
    """Whether the public may not read the item's text (moderation, or a rejected item)."""
    return Moderation(item.moderation) in WITHHELD or item.status == Status.REJECTED.value


def public_text(item: Item) -> str | None:
    """The text the public reads (masked, or as staff edited it); None when withheld."""
    return None if text_withheld(item) else item.public_description


def public_address(item: Item) -> str | None:
    """The address the public reads (masked); None when the text is withheld."""
    if text_withheld(item) or not item.address_text:
        return None
    return mask_personal_data(item.address_text)


def withheld_notice(item: Item) -> str:
    """The message (to translate) the public reads instead of a withheld text."""
    return REJECTED_NOTICE if item.status == Status.REJECTED.value else HIDDEN_NOTICE


def not_found(reference: str) -> DomainError:
    return DomainError(
        ModerationErrorCode.NOT_FOUND,
        N_("No public item has the reference %(reference)s."),
        field="reference",
        reference=reference,
    )


def flag_errors(device_key: str, comment: str | None) -> list[DomainError]:
    errors = items.text_errors(comment, field="comment", maximum=MAX_COMMENT)
    return errors + items.device_key_errors(device_key)


async def _publicly_readable(
    session: AsyncSession, reference: ReferenceData, item: Item | None
) -> bool:
    if item is None:
        return False
    if item.kind != ItemKind.SERVICE_REQUEST.value:
        return True
    detail = await session.get(ServiceRequestDetail, item.id)
    return detail is not None and is_public(
        reference.services.services.get(detail.service_code), detail
    )


@dataclass(frozen=True)
class Flagged:
    item: Item
    counted: bool  # False when this device had flagged it already


async def flag_item(
    db: Database,
    reference_data: ReferenceData,
    reference: str,
    *,
    device_hash: str,
    reason: FlagReason,
    comment: str | None,
    threshold: int,
    now: datetime,
) -> Flagged:
    """Record a flag from the public (once per device); past ``threshold`` open flags the
    item's public text is withheld until staff review it."""
    async with db.writing() as session:
        item = await items.get_by_reference(session, reference)
        if item is None or not await _publicly_readable(session, reference_data, item):
            raise ValidationFailed([not_found(reference)])
        inserted = (
            await session.exec(  # type: ignore[call-overload]
                text(
                    "INSERT INTO item_flag (item_id, device_hash, reason, comment, created_at) "
                    "VALUES (:item, :device, :reason, :comment, :now) "
                    "ON CONFLICT (item_id, device_hash) DO NOTHING RETURNING id"
                ),
                params={
                    "item": item.id,
                    "device": device_hash,
                    "reason": reason.value,
                    "comment": mask_personal_data(comment.strip()) if comment else None,
                    "now": now,
                },
            )
        ).first()
        if inserted is None:
            return Flagged(item, counted=False)
        # Counted and compared in the database: concurrent flags (PostgreSQL) lose no count,
        # and only one of them withholds the text.
        count = (
            await session.exec(  # type: ignore[call-overload]
                text(
                    "UPDATE item SET open_flags = open_flags + 1 WHERE id = :item "
                    "RETURNING open_flags"
                ),
                params={"item": item.id},
            )
        ).scalar_one()
        withheld = 0
        if count >= threshold:
            withheld = (
                await session.exec(  # type: ignore[call-overload]
                    text(
                        "UPDATE item SET moderation = :flagged "
                        "WHERE id = :item AND moderation IN (:visible, :edited)"
                    ),
                    params={
                        "item": item.id,
                        "flagged": Moderation.FLAGGED.value,
                        "visible": Moderation.VISIBLE.value,
                        "edited": Moderation.EDITED.value,
                    },
                )
            ).rowcount
        if withheld:
            items.add_event(
                session, item, EventKind.MODERATED, items.Audience.STAFF, actor="system", now=now
            )
            outbox.append(session, MODERATED, item_id=item.id, now=now, payload={"public": False})
        await session.refresh(item)
        return Flagged(item, counted=True)


def decision_errors(
    action: ModerationAction, reason: str, new_public_text: str | None
) -> list[DomainError]:
    """Why a decision is refused before it is tried: a reason is required (it is audited);
    an edit needs the new public text, and only an edit takes one."""
    errors = items.text_errors(reason, field="reason", maximum=MAX_COMMENT, required=True)
    if action is ModerationAction.EDIT:
        errors += items.text_errors(
            new_public_text, field="publicText", maximum=MAX_PUBLIC_TEXT, required=True
        )
    elif new_public_text is not None:
        errors.append(
            DomainError(
                ModerationErrorCode.TEXT_NOT_EXPECTED,
                N_("Only an edit takes a new public text."),
                field="publicText",
            )
        )
    return errors


async def decide(
    session: AsyncSession,
    identity: StaffIdentity,
    item: Item,
    action: ModerationAction,
    *,
    reason: str,
    new_public_text: str | None,
    now: datetime,
) -> None:
    """Apply a staff decision on an item's public text, audited with its reason; the
    resident is told when their text is hidden, edited or published again."""
    raise_errors = decision_errors(action, reason, new_public_text)
    if raise_errors:
        raise ValidationFailed(raise_errors)
    before = Moderation(item.moderation)
    if action is ModerationAction.HIDE:
        after = Moderation.HIDDEN
    elif action is ModerationAction.EDIT:
        after = Moderation.EDITED
        item.public_description = mask_personal_data((new_public_text or "").strip())
        item.public_text_edited = True
    elif action is ModerationAction.RELEASE:
        after = Moderation.VISIBLE
        item.public_description = mask_personal_data(item.description)
        item.public_text_edited = False
    elif before is Moderation.FLAGGED:
        # Dismissing flags publishes again the text they withheld (staff's edit, if it was).
        after = Moderation.EDITED if item.public_text_edited else Moderation.VISIBLE
    else:
        after = before
    item.moderation = after.value
    item.open_flags = 0
    item.updated_at = now
    session.add(item)
    await session.exec(
        update(ItemFlag)
        .where(col(ItemFlag.item_id) == item.id, col(ItemFlag.reviewed_at).is_(None))
        .values(reviewed_at=now)
    )
    session.add(
        AuditEntry(
            at=now,
            staff_id=identity.staff_id,
            body_code=identity.body_code,
            action=f"moderation_{action.value}",
            item_id=item.id,
            detail=reason.strip()[:500],
        )
    )
    if after is not before or action is ModerationAction.EDIT:
        items.add_event(
            session,
            item,
            EventKind.MODERATED,
            items.Audience.RESIDENT,
            actor=identity.actor,
            now=now,
        )
        outbox.append(
            session,
            MODERATED,
            item_id=item.id,
            now=now,
            payload={"public": after not in WITHHELD},
        )


async def moderate(
    db: Database,
    caller: StaffIdentity | None,
    reference: str,
    data: ReferenceData,
    action: ModerationAction,
    *,
    reason: str,
    new_public_text: str | None,
    now: datetime,
) -> Item:
    """A decision as any door takes it (GraphQL, the console): who may decide (the handling
    body's staff who work items, with a token scope that writes), the item in their bodies,
    then ``decide``, in its own write transaction."""
    identity = require_item_work(caller, "items:write")
    async with db.writing() as session:
        item = await triage.item_in_scope(session, reference, covered_bodies(identity, data))
        await decide(
            session, identity, item, action, reason=reason, new_public_text=new_public_text, now=now
        )
        return item


QUEUE_CURSOR = "mq"  # a moderation queue cursor holds the item's id (the API's and the console's)


def queue_cursor(item_id: int) -> str:
    return encode_cursor(QUEUE_CURSOR, item_id)


def queue_after(cursor: str | None) -> int | None:
    """The item id a moderation queue cursor holds (None: the first page); INVALID_CURSOR
    else."""
    return decode_cursor(cursor, QUEUE_CURSOR)


async def queue(
    session: AsyncSession,
    bodies: frozenset[str],
    *,
    first: int,
    after_id: int | None,
) -> tuple[list[Item], bool]:
    """The items of these bodies awaiting a decision (held, withheld by flags, or with flags
    not yet reviewed), oldest first, a page at a time."""
    flagged = select(ItemFlag.item_id).where(col(ItemFlag.reviewed_at).is_(None))
    # (« not visible » spelled out: the planner then reads the partial index of pending items)
    pending = col(Item.moderation).in_(AWAITING) & (col(Item.moderation) != "visible")
    statement = select(Item).where(
        col(Item.body_code).in_(sorted(bodies)), pending | col(Item.id).in_(flagged)
    )
    if after_id is not None:
        statement = statement.where(col(Item.id) > after_id)
    rows = list((await session.exec(statement.order_by(col(Item.id)).limit(first + 1))).all())
    return rows[:first], len(rows) > first


async def open_flags_of(session: AsyncSession, item_ids: list[int]) -> dict[int, list[ItemFlag]]:
    """The flags not yet reviewed of several items, oldest first, in one statement."""
    found: dict[int, list[ItemFlag]] = {i: [] for i in item_ids}
    if not item_ids:
        return found
    statement = (
        select(ItemFlag)
        .where(col(ItemFlag.item_id).in_(item_ids), col(ItemFlag.reviewed_at).is_(None))
        .order_by(col(ItemFlag.id))
    )
    for flag in (await session.exec(statement)).all():
        found[flag.item_id].append(flag)
    return found


@dataclass(frozen=True)
class TakedownReport:
    """Notice and takedown, for the transparency report: what the public flagged, what
    staff withheld, and how long a decision took."""

    flags_received: int
    items_flagged: int
    items_held: int
    items_hidden: int
    items_edited: int
    items_released: int
    median_hours_to_decide: float | None


async def takedown_report(
    session: AsyncSession, bodies: frozenset[str], since: datetime, until: datetime
) -> TakedownReport:
    """Counts of a period for these bodies (flags by when they came, decisions by when
    they were taken)."""
    in_bodies = col(Item.body_code).in_(sorted(bodies))
    flags = (
        await session.exec(
            select(ItemFlag.created_at, ItemFlag.reviewed_at, ItemFlag.item_id)
            .join(Item, col(Item.id) == col(ItemFlag.item_id))
            .where(in_bodies, col(ItemFlag.created_at) >= since, col(ItemFlag.created_at) < until)
        )
    ).all()
    waits = [
        (items.as_utc(reviewed) - items.as_utc(created)).total_seconds() / 3600
        for created, reviewed, _ in flags
        if reviewed is not None
    ]
    decisions = dict(
        (
            await session.exec(
                select(AuditEntry.action, func.count())
                .join(Item, col(Item.id) == col(AuditEntry.item_id))
                .where(
                    in_bodies,
                    col(AuditEntry.action).startswith("moderation_"),
                    col(AuditEntry.at) >= since,
                    col(AuditEntry.at) < until,
                )
                .group_by(AuditEntry.action)
            )
        ).all()
    )
    held = (
        await session.exec(
            select(func.count()).where(
                in_bodies,
                Item.moderation == Moderation.HELD.value,
                col(Item.created_at) >= since,
                col(Item.created_at) < until,
            )
        )
    ).one()
    return TakedownReport(
        flags_received=len(flags),
        items_flagged=len({item_id for _, _, item_id in flags}),
        items_held=held,
        items_hidden=decisions.get("moderation_hide", 0),
        items_edited=decisions.get("moderation_edit", 0),
        items_released=decisions.get("moderation_release", 0),
        median_hours_to_decide=round(statistics.median(waits), 2) if waits else None,
    )


REMASK_BATCH = 500


def remasked(item: Item) -> str:
    """The public copy the masking rules make now: from the resident's text, or, once staff
    edited it, from their edit (masking only ever takes more away from it)."""
    if item.public_text_edited:
        return mask_personal_data(item.public_description)
    return mask_personal_data(item.description)


async def remask_all(
    db: Database, now: datetime, progress: Callable[[int, int], None] | None = None
) -> int:
    """Apply the current masking rules to every stored public copy, a batch per transaction;
    each copy that changes tells the outbox (``item.redacted``: search indexes, the change
    feed, webhooks). Returns how many changed. Safe to stop and run again."""
    async with db.reading() as session:
        total = (await session.exec(select(func.count()).select_from(Item))).one()
    done = changed = 0
    last_id = 0
    while True:
        async with db.writing() as session:
            rows = list(
                (
                    await session.exec(
                        select(Item)
                        .where(col(Item.id) > last_id)
                        .order_by(col(Item.id))
                        .limit(REMASK_BATCH)
                    )
                ).all()
            )
            for row in rows:
                fresh = remasked(row)
                if fresh != row.public_description:
                    row.public_description = fresh
                    session.add(row)
                    outbox.append(session, "item.redacted", item_id=row.id, now=now)
                    changed += 1
        if not rows:
            return changed
        last_id = rows[-1].id or last_id
        done += len(rows)
        if progress is not None:
            progress(done, total)
