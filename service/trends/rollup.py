"""Keep the daily roll-ups in step with the items, from the outbox; rebuild them from scratch.

Each outbox entry names an item that changed. The consumer reads the item as it is now,
takes its previous contribution (``trends_item_state``) out of the roll-ups and adds the new
one. Replays and out-of-order batches are harmless: the result only depends on the items'
current rows, so a rebuild gives exactly what incremental maintenance gives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, and_, bindparam, column, delete, func, select, text, values
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import Database
from service.i18n.translator import LOCAL_TIMEZONE
from service.items.models import DeliveryState, Item
from service.outbox.models import OutboxEntry
from service.service_requests.models import ServiceRequestDetail
from service.trends.bins import bin_of
from service.trends.histograms import merged, pack
from service.trends.models import (
    DURATION_KEY,
    ROLLUP_COUNTERS,
    ROLLUP_KEY,
    SCOPED_SLICE_HISTOGRAM_KEY,
    SCOPED_SLICE_KEY,
    SCOPES,
    SLICE_COUNTERS,
    SLICE_HISTOGRAM_KEY,
    SLICE_KEY,
    TrendsDaily,
    TrendsDuration,
    TrendsItemState,
    TrendsPosition,
    TrendsScopedSlice,
    TrendsScopedSliceHistogram,
    TrendsSlice,
    TrendsSliceHistogram,
)

logger = logging.getLogger("service.trends")

CONSUMER = "rollup"
# A row of trends_position: 1 once the scoped slices count every item (see slices.scoped_ready).
SCOPED_READY = "scoped"
BATCH = 500
ASSISTED_CHANNELS = ("counter", "phone", "letter")
MEASURES = ("acknowledge", "resolve")

RollupKey = tuple[Any, ...]
DurationKey = tuple[Any, ...]


@dataclass(frozen=True)
class Contribution:
    """What one item adds to the roll-ups."""

    key: RollupKey  # values of ROLLUP_KEY
    counters: tuple[int, ...]  # values of ROLLUP_COUNTERS
    acknowledge_bin: int | None
    resolve_bin: int | None

    def durations(self) -> list[DurationKey]:
        day, kind, subject, commune, _channel, body, _status = self.key
        found = []
        for measure, bin_index in zip(
            MEASURES, (self.acknowledge_bin, self.resolve_bin), strict=True
        ):
            if bin_index is not None:
                found.append((day, kind, subject, commune, body, measure, bin_index))
        return found


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local_day(moment: datetime) -> date:
    """The day in Angers an instant belongs to (councils think in local days)."""
    return _utc(moment).astimezone(LOCAL_TIMEZONE).date()


def channel_group(channel: str) -> str:
    return "api" if channel.startswith("api") else channel


def contribution_of(item: Item, service_code: str | None) -> Contribution:
    """The roll-up cell, counters and duration bins of an item as it is now."""
    created = _utc(item.created_at)
    acknowledged = _utc(item.acknowledged_at) if item.acknowledged_at else None
    resolved = _utc(item.resolved_at) if item.resolved_at else None
    to_resolve = resolved - created if resolved else None
    counters = (
        1,
        int(acknowledged is not None),
        int(resolved is not None),
        int(item.closed_at is not None),
        int(to_resolve is not None and to_resolve <= timedelta(days=7)),
        int(to_resolve is not None and to_resolve <= timedelta(days=30)),
        int(item.delivery_state == DeliveryState.UNROUTED.value),
        int(item.delivery_state == DeliveryState.FAILED.value),
        int(item.feedback_fixed is not None),
        int(item.feedback_fixed is True),
        int(item.feedback_rating is not None),
        item.feedback_rating or 0,
    )
    key = (
        local_day(created),
        item.kind,
        service_code or item.category_code or "",
        item.commune_code,
        channel_group(item.channel),
        item.body_code,
        item.status,
    )
    return Contribution(
        key=key,
        counters=counters,
        acknowledge_bin=bin_of((acknowledged - created).total_seconds()) if acknowledged else None,
        resolve_bin=bin_of(to_resolve.total_seconds()) if to_resolve is not None else None,
    )


def _from_state(state: TrendsItemState) -> Contribution:
    return Contribution(
        key=(
            state.day,
            state.kind,
            state.subject,
            state.commune_code,
            state.channel,
            state.body_code,
            state.status,
        ),
        counters=tuple(int(v) for v in state.counters.split()),
        acknowledge_bin=state.acknowledge_bin,
        resolve_bin=state.resolve_bin,
    )


def _state_row(item_id: int, contribution: Contribution) -> dict[str, Any]:
    row = dict(zip(ROLLUP_KEY, contribution.key, strict=True))
    row.update(
        item_id=item_id,
        counters=" ".join(str(v) for v in contribution.counters),
        acknowledge_bin=contribution.acknowledge_bin,
        resolve_bin=contribution.resolve_bin,
    )
    return row


SLICE_DIMENSIONS = ("kind", "subject", "commune_code", "channel", "status", "body_code")
SLICE_DURATION_DIMENSIONS = ("kind", "subject", "commune_code", "body_code")


def _grains(day: date, grains: str) -> list[tuple[str, date]]:
    starts = {"d": day, "m": day.replace(day=1), "y": day.replace(month=1, day=1)}
    return [(grain, starts[grain]) for grain in grains]


def _slice_cells(contribution: Contribution) -> list[tuple[str, str, str, date, str]]:
    """The slices an item counts in: its day, month and year, all communes and its own, each
    dimension (and "service" for service requests), and "*" (everything)."""
    values = dict(zip(ROLLUP_KEY, contribution.key, strict=True))
    dimensions = [("*", "*")] + [(d, values[d]) for d in SLICE_DIMENSIONS]
    if values["kind"] == "service_request":
        dimensions.append(("service", values["subject"]))
    return [
        (dimension, commune, grain, start, value)
        for grain, start in _grains(values["day"], "dmy")
        for commune in ("*", values["commune_code"])
        for dimension, value in dimensions
    ]


def _slice_duration_cells(
    contribution: Contribution,
) -> list[tuple[str, str, str, date, str, str, int]]:
    """Histogram slices (their key, then the bin): months and years only (days are read from
    ``trends_duration``)."""
    values = dict(zip(ROLLUP_KEY, contribution.key, strict=True))
    found = []
    for measure, bin_index in zip(
        MEASURES, (contribution.acknowledge_bin, contribution.resolve_bin), strict=True
    ):
        if bin_index is None:
            continue
        for grain, start in _grains(values["day"], "my"):
            for commune in ("*", values["commune_code"]):
                for dimension, value in [("*", "*")] + [
                    (d, values[d]) for d in SLICE_DURATION_DIMENSIONS
                ]:
                    found.append((dimension, commune, grain, start, value, measure, bin_index))
    return found


class Deltas:
    """Changes to the roll-ups and slices, summed in memory, written in a few statements."""

    def __init__(self) -> None:
        self.rollups: dict[RollupKey, list[int]] = defaultdict(lambda: [0] * len(ROLLUP_COUNTERS))
        self.durations: dict[DurationKey, int] = defaultdict(int)
        self.slices: dict[tuple[Any, ...], list[int]] = defaultdict(
            lambda: [0] * len(SLICE_COUNTERS)
        )
        # Packed histograms: slice key and measure -> bin -> change.
        self.slice_histograms: dict[tuple[Any, ...], dict[int, int]] = defaultdict(
            lambda: defaultdict(int)
        )
        self.scoped_slices: dict[tuple[Any, ...], list[int]] = defaultdict(
            lambda: [0] * len(SLICE_COUNTERS)
        )
        self.scoped_slice_histograms: dict[tuple[Any, ...], dict[int, int]] = defaultdict(
            lambda: defaultdict(int)
        )

    def add(self, contribution: Contribution, sign: int) -> None:
        cell = self.rollups[contribution.key]
        for index, value in enumerate(contribution.counters):
            cell[index] += sign * value
        for key in contribution.durations():
            self.durations[key] += sign
        assisted = int(dict(zip(ROLLUP_KEY, contribution.key, strict=True))["channel"]
                       in ASSISTED_CHANNELS)  # fmt: skip
        counters = (*contribution.counters, assisted)
        values = dict(zip(ROLLUP_KEY, contribution.key, strict=True))
        for key in _slice_cells(contribution):
            target = self.slices[key]
            for index, value in enumerate(counters):
                target[index] += sign * value
            if key[2] != "d":  # scoped slices: months and years only
                for scope in SCOPES:
                    scoped = self.scoped_slices[(scope, values[scope], *key)]
                    for index, value in enumerate(counters):
                        scoped[index] += sign * value
        for *histogram_key, bin_index in _slice_duration_cells(contribution):
            self.slice_histograms[tuple(histogram_key)][bin_index] += sign
            for scope in SCOPES:
                key = (scope, values[scope], *histogram_key)
                self.scoped_slice_histograms[key][bin_index] += sign

    async def write(self, session: AsyncSession) -> None:
        await _upsert(session, "trends_daily", ROLLUP_KEY, ROLLUP_COUNTERS, self.rollups)
        await _upsert(
            session,
            "trends_duration",
            DURATION_KEY,
            ("count",),
            {k: [v] for k, v in self.durations.items()},
        )
        await _upsert(session, "trends_slice", SLICE_KEY, SLICE_COUNTERS, self.slices)
        await _merge_histograms(
            session, TrendsSliceHistogram, SLICE_HISTOGRAM_KEY, self.slice_histograms
        )
        await _upsert(
            session, "trends_scoped_slice", SCOPED_SLICE_KEY, SLICE_COUNTERS, self.scoped_slices
        )
        await _merge_histograms(
            session,
            TrendsScopedSliceHistogram,
            SCOPED_SLICE_HISTOGRAM_KEY,
            self.scoped_slice_histograms,
        )


async def _upsert(
    session: AsyncSession,
    table: str,
    key: tuple[str, ...],
    counters: tuple[str, ...],
    changes: dict[tuple[Any, ...], list[int]],
) -> None:
    """Add ``changes`` to the counters of the rows with these keys (created when missing)."""
    rows = [
        dict(zip(key, cell, strict=True)) | dict(zip(counters, values, strict=True))
        for cell, values in changes.items()
        if any(values)
    ]
    if not rows:
        return
    columns = key + counters
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in counters)
    date_column = "day" if "day" in key else "start"
    await _run(
        session,
        text(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join(':' + c for c in columns)}) "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
        ).bindparams(bindparam(date_column, type_=Date())),
        rows,
    )


# Keys looked up per statement when merging histograms (8 parameters each, well under the
# 32,766 bound parameters SQLite allows and PostgreSQL's 65,535).
MERGE_CHUNK = 1000


async def _merge_histograms(
    session: AsyncSession,
    model: Any,
    key: tuple[str, ...],
    changes: dict[tuple[Any, ...], dict[int, int]],
) -> None:
    """Add ``changes`` (key -> bin -> change) to the packed histograms of ``model``.

    Read, merged, written back: the caller holds the roll-ups' lock (``_locked_position``; on
    SQLite the write transaction), so no other writer changes these rows meanwhile."""
    pending = {k: v for k, v in changes.items() if any(v.values())}
    if not pending:
        return
    table = model.__table__
    wanted = list(pending)
    existing: dict[tuple[Any, ...], tuple[int, str]] = {}
    for first in range(0, len(wanted), MERGE_CHUNK):
        keys = (
            values(*(column(name, table.c[name].type) for name in key), name="wanted")
            .data(wanted[first : first + MERGE_CHUNK])
            .cte("wanted")  # SQLite names a VALUES' columns only in a WITH
        )
        statement = select(table.c.id, *(table.c[name] for name in key), table.c.bins).join(
            keys, and_(*(table.c[name] == keys.c[name] for name in key))
        )
        for row in (await _run(session, statement)).all():
            existing[tuple(row[1:-1])] = (row[0], row[-1])
    rows, emptied = [], []
    for cell, change in pending.items():
        found = existing.get(cell)
        histogram = merged(found[1] if found else "", change.items())
        if histogram:
            row = dict(zip(key, cell, strict=True))
            row.update(bins=pack(histogram), count=sum(histogram.values()))
            rows.append(row)
        elif found:
            emptied.append(found[0])
    if rows:
        columns = (*key, "bins", "count")
        await _run(
            session,
            text(
                f"INSERT INTO {table.name} ({', '.join(columns)}) "
                f"VALUES ({', '.join(':' + c for c in columns)}) "
                f"ON CONFLICT ({', '.join(key)}) DO UPDATE "
                "SET bins = excluded.bins, count = excluded.count"
            ).bindparams(bindparam("start", type_=Date())),
            rows,
        )
    for first in range(0, len(emptied), MERGE_CHUNK):
        await _run(
            session, delete(table).where(table.c.id.in_(emptied[first : first + MERGE_CHUNK]))
        )


async def _run(session: AsyncSession, statement: Any, params: Any = None) -> Any:
    """Execute a Core statement (SQLModel's ``exec`` types only ORM selects)."""
    return await session.exec(statement, params=params)


async def _service_codes(session: AsyncSession, item_ids: Sequence[int]) -> dict[int, str]:
    detail = ServiceRequestDetail.__table__  # type: ignore[attr-defined]
    rows = await _run(
        session,
        select(detail.c.item_id, detail.c.service_code).where(detail.c.item_id.in_(item_ids)),
    )
    return {item_id: code for item_id, code in rows.all()}


async def refresh_items(session: AsyncSession, item_ids: Iterable[int]) -> int:
    """Bring the roll-ups in step with these items as they are now; returns how many."""
    ids = sorted(set(item_ids))
    if not ids:
        return 0
    items = {
        item.id: item
        for item in (await _run(session, select(Item).where(col(Item.id).in_(ids)))).scalars()
    }
    states = {
        state.item_id: state
        for state in (
            await _run(
                session, select(TrendsItemState).where(col(TrendsItemState.item_id).in_(ids))
            )
        ).scalars()
    }
    services = await _service_codes(session, ids)
    deltas = Deltas()
    new_states: list[dict[str, Any]] = []
    for item_id in ids:
        old = states.get(item_id)
        if old is not None:
            deltas.add(_from_state(old), -1)
        item = items.get(item_id)
        if item is not None:  # a purged item leaves the roll-ups
            contribution = contribution_of(item, services.get(item_id))
            deltas.add(contribution, +1)
            new_states.append(_state_row(item_id, contribution))
    await deltas.write(session)
    state_table = TrendsItemState.__table__  # type: ignore[attr-defined]
    await _run(session, delete(state_table).where(state_table.c.item_id.in_(ids)))
    if new_states:
        await _run(session, state_table.insert(), new_states)
    return len(ids)


async def applied_position(session: AsyncSession) -> int:
    row = await session.get(TrendsPosition, CONSUMER)
    return row.position if row else 0


async def _locked_position(session: AsyncSession) -> int:
    """The applied position, its row locked until the transaction ends (PostgreSQL).

    Two workers (or a worker and a rebuild) refreshing the same item at once would both take
    out its old contribution: the lock makes them take turns. SQLite writers already do
    (BEGIN IMMEDIATE); SQLAlchemy leaves FOR UPDATE out there."""
    positions = TrendsPosition.__table__  # type: ignore[attr-defined]
    await _run(  # the row to lock must exist, even before the first entry
        session,
        text(
            "INSERT INTO trends_position (name, position) VALUES (:name, 0) "
            "ON CONFLICT (name) DO NOTHING"
        ),
        {"name": CONSUMER},
    )
    found = (
        await _run(
            session,
            select(positions.c.position).where(positions.c.name == CONSUMER).with_for_update(),
        )
    ).scalar()
    return int(found or 0)


async def _set_position(session: AsyncSession, position: int) -> None:
    row = await session.get(TrendsPosition, CONSUMER)
    if row is None:
        session.add(TrendsPosition(name=CONSUMER, position=position))
    else:
        row.position = position
        session.add(row)


async def apply_outbox_batch(db: Database, limit: int = BATCH) -> int:
    """Apply the next outbox entries to the roll-ups (one write transaction); how many."""
    async with db.writing() as session:
        position = await _locked_position(session)
        entries = (
            await _run(
                session,
                select(col(OutboxEntry.id), col(OutboxEntry.item_id))
                .where(col(OutboxEntry.id) > position)
                .order_by(col(OutboxEntry.id))
                .limit(limit),
            )
        ).all()
        if not entries:
            return 0
        await refresh_items(session, [i for _, i in entries if i is not None])
        await _set_position(session, entries[-1][0])
        return len(entries)


async def apply_outbox(db: Database) -> int:
    """Apply every pending outbox entry; how many."""
    total = 0
    while applied := await apply_outbox_batch(db):
        total += applied
    return total


async def rebuild(db: Database, progress: Callable[[int, int], None] | None = None) -> int:
    """Recompute the roll-ups from the items; returns how many items were counted.

    The outbox position is taken first: changes made while this runs are applied after it by
    the consumer, which is harmless (it recomputes those items from their current rows)."""
    async with db.writing() as session:
        await _locked_position(session)
        last = (await _run(session, select(func.max(col(OutboxEntry.id))))).scalar() or 0
        total = (await _run(session, select(func.count()).select_from(Item))).scalar() or 0
        for table in (
            TrendsDaily,
            TrendsDuration,
            TrendsSlice,
            TrendsSliceHistogram,
            TrendsScopedSlice,
            TrendsScopedSliceHistogram,
            TrendsItemState,
        ):
            await _run(session, delete(table.__table__))  # type: ignore[union-attr]
        await _set_position(session, last)
    done, after = 0, 0
    if progress:
        progress(0, total)
    while True:
        async with db.writing() as session:
            ids = (
                (
                    await _run(
                        session,
                        select(col(Item.id))
                        .where(col(Item.id) > after)
                        .order_by(col(Item.id))
                        .limit(BATCH * 4),
                    )
                )
                .scalars()
                .all()
            )
            if not ids:
                break
            await _locked_position(session)  # takes turns with the workers
            await refresh_items(session, ids)
        after = ids[-1]
        done += len(ids)
        if progress:
            progress(done, max(total, done))
    async with db.writing() as session:  # the scoped slices now count every item
        await _run(
            session,
            text(
                "INSERT INTO trends_position (name, position) VALUES (:name, 1) "
                "ON CONFLICT (name) DO UPDATE SET position = 1"
            ),
            {"name": SCOPED_READY},
        )
    return done


async def run_rollup_worker(db: Database, poll_seconds: float, stop: asyncio.Event) -> None:
    """Apply the outbox to the roll-ups every ``poll_seconds`` until ``stop`` is set."""
    while not stop.is_set():
        try:
            await apply_outbox(db)
        except Exception as error:  # one bad round must not stop the roll-ups for good
            logger.error("trends round failed: %s", type(error).__name__)
            logger.debug("trends round failure", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), poll_seconds)
