"""The change feed: public changes of public items, in a resumable order, from the outbox.

Order. Outbox ids come from a sequence and are taken when a row is inserted, not when its
transaction commits: under concurrent writers on PostgreSQL, id 11 can be visible while id 10
is still in flight, and a reader that moved its cursor past 11 would never see 10. So each
entry carries the id of the transaction that wrote it (``txid``), the feed is ordered by
``(txid, id)``, and it only returns entries whose transaction is older than the oldest one
still in flight in this database (see ``HORIZON``): every transaction that can still commit
has a larger txid, so nothing can appear behind a cursor. A change shows once its
own transaction and every older one have finished (milliseconds, unless a transaction hangs).
SQLite serialises writers (BEGIN IMMEDIATE), so ids are commit order there and txid is 0.

Privacy. Only reports and public service requests (never one at a home address, never a
private service) appear, with their public reference, kind, commune, category and status:
no description, no location, no contact. Consumers read the item for the rest, with the
same public rules.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text, tuple_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.inputs import MAX_BIGINT, MAX_ID
from service.items.models import Item, ItemKind
from service.outbox.models import OutboxEntry
from service.pagination import decode_cursor_pair
from service.pagination import encode_cursor as encode_page_cursor
from service.reference import ReferenceData
from service.service_requests.models import ServiceRequestDetail
from service.service_requests.rules import is_public


class ChangeKind(enum.Enum):
    CREATED = "created"
    STATUS_CHANGED = "status_changed"
    ANSWERED = "answered"
    MERGED = "merged"
    REROUTED = "rerouted"
    REDACTED = "redacted"
    REPUBLISHED = "republished"


TOPICS = {
    "item.created": ChangeKind.CREATED,
    "item.status_changed": ChangeKind.STATUS_CHANGED,
    "item.answered": ChangeKind.ANSWERED,
    "item.rerouted": ChangeKind.REROUTED,
    "item.redacted": ChangeKind.REDACTED,
    # Moderation withheld or edited the public text: for consumers, as good as redacted
    # (they read the item again and get what the public may read). A text published again
    # is REPUBLISHED.
    "item.moderated": ChangeKind.REDACTED,
}
FEED_ITEM_KINDS = (ItemKind.REPORT.value, ItemKind.SERVICE_REQUEST.value)

# The oldest transaction that may still commit outbox entries, as seen by this statement's own
# snapshot (pg_current_snapshot() is the active snapshot): the smallest id among those in
# progress (xip), leaving out only those known to belong to another database of the cluster
# (transaction ids are cluster-wide; pg_stat_activity names their database), else the
# snapshot's xmax. A transaction that ended between the snapshot and the pg_stat_activity read
# is not in the list, so it is kept: conservative. Other roles' backends show no xid: kept too.
HORIZON = """
SELECT coalesce(min(running.x), pg_snapshot_xmax(pg_current_snapshot())::text::bigint)
FROM (SELECT xip::text::bigint AS x FROM pg_snapshot_xip(pg_current_snapshot()) AS xip) running
WHERE running.x % 4294967296 NOT IN (
    SELECT backend_xid::text::bigint FROM pg_stat_activity
    WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database()
)
"""
BEGINNING = (0, 0)


@dataclass(frozen=True)
class Change:
    position: tuple[int, int]  # (txid, outbox id)
    outbox_id: int
    kind: ChangeKind
    reference: str
    item_kind: str
    status: str | None  # after this change, when the change is about status
    commune_code: str
    category_code: str | None
    occurred_at: datetime


@dataclass(frozen=True)
class ChangePage:
    changes: list[Change]
    position: tuple[int, int]  # resume from here (unchanged when nothing was new)
    has_more: bool


CURSOR_KIND = "c1"  # the feed's cursors, version 1: transaction id and outbox entry id


def encode_cursor(position: tuple[int, int]) -> str:
    return encode_page_cursor(CURSOR_KIND, *position)


def decode_cursor(cursor: str | None) -> tuple[int, int]:
    """The position after a cursor (the beginning without one); INVALID_CURSOR else."""
    maxima = (MAX_BIGINT, MAX_ID)  # a transaction id, an outbox entry id
    return decode_cursor_pair(cursor, CURSOR_KIND, argument="since", maxima=maxima) or BEGINNING


def kind_of(entry: OutboxEntry) -> ChangeKind | None:
    kind = TOPICS.get(entry.topic)
    if kind is ChangeKind.STATUS_CHANGED and _payload(entry).get("to") == "duplicate":
        return ChangeKind.MERGED
    if entry.topic == "item.moderated" and _payload(entry).get("public") is True:
        return ChangeKind.REPUBLISHED
    return kind


def _payload(entry: OutboxEntry) -> dict[str, object]:
    try:
        value = json.loads(entry.payload)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


async def read_changes(
    session: AsyncSession,
    reference: ReferenceData,
    after: tuple[int, int],
    first: int,
    kinds: Iterable[ChangeKind] | None = None,
    *,
    postgres: bool,
) -> ChangePage:
    """Up to ``first`` public changes after the position, oldest first."""
    wanted = set(kinds) if kinds else set(ChangeKind)
    topics = [
        t
        for t, k in TOPICS.items()
        if k in wanted
        or (k is ChangeKind.STATUS_CHANGED and ChangeKind.MERGED in wanted)
        or (t == "item.moderated" and ChangeKind.REPUBLISHED in wanted)
    ]
    statement = (
        select(OutboxEntry, Item)
        .join(Item, col(Item.id) == col(OutboxEntry.item_id))
        .where(
            tuple_(col(OutboxEntry.txid), col(OutboxEntry.id)) > tuple_(*after),
            col(OutboxEntry.topic).in_(topics),
            col(Item.kind).in_(FEED_ITEM_KINDS),
        )
        .order_by(col(OutboxEntry.txid), col(OutboxEntry.id))
        .limit(first + 1)
    )
    if postgres:
        statement = statement.where(col(OutboxEntry.txid) < text(f"({HORIZON})"))
    rows = list((await session.exec(statement)).all())
    has_more = len(rows) > first
    rows = rows[:first]
    details = await _details(session, [item.id for _, item in rows if item.id is not None])
    changes: list[Change] = []
    for entry, item in rows:
        kind = kind_of(entry)
        if kind is None or kind not in wanted or not _public(item, details, reference):
            continue
        # narrowing: both are NOT NULL columns of a row read from the table
        assert entry.id is not None and entry.txid is not None
        payload = _payload(entry)
        status = (
            payload.get("to") if kind in (ChangeKind.STATUS_CHANGED, ChangeKind.MERGED) else None
        )
        changes.append(
            Change(
                position=(entry.txid, entry.id),
                outbox_id=entry.id,
                kind=kind,
                reference=item.reference,
                item_kind=item.kind,
                status=str(status) if status else None,
                commune_code=item.commune_code,
                category_code=item.category_code,
                occurred_at=entry.created_at,
            )
        )
    # The position moves past skipped (private, filtered) entries too: they are never due.
    last = rows[-1][0] if rows else None
    position = (last.txid or 0, last.id or 0) if last is not None else after
    return ChangePage(changes, position, has_more)


async def _details(session: AsyncSession, item_ids: list[int]) -> dict[int, ServiceRequestDetail]:
    if not item_ids:
        return {}
    statement = select(ServiceRequestDetail).where(col(ServiceRequestDetail.item_id).in_(item_ids))
    return {d.item_id: d for d in (await session.exec(statement)).all()}


def _public(item: Item, details: dict[int, ServiceRequestDetail], reference: ReferenceData) -> bool:
    if item.kind == ItemKind.REPORT.value:
        return True
    detail = details.get(item.id or 0)
    return detail is not None and is_public(
        reference.services.services.get(detail.service_code), detail
    )
