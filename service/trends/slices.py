"""Reading the slices: whole months from the monthly rows, the days at the edges from the
daily rows, one dimension at a time, for all communes or one.

A one-year breakdown with its previous year reads 24 months x the values of one dimension
(a few hundred rows), whatever the number of items; the roll-ups (``trends_daily``) are
only read for scopes the slices do not cover (a kind, a category or a body)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.trends.histograms import add_packed
from service.trends.models import (
    TrendsDaily,
    TrendsDuration,
    TrendsPosition,
    TrendsScopedSlice,
    TrendsScopedSliceHistogram,
    TrendsSlice,
    TrendsSliceHistogram,
)
from service.trends.rollup import ASSISTED_CHANNELS, SCOPED_READY, _run

ALL = "*"
_slices = TrendsSlice.__table__  # type: ignore[attr-defined]
_slice_histograms = TrendsSliceHistogram.__table__  # type: ignore[attr-defined]
_daily_durations = TrendsDuration.__table__  # type: ignore[attr-defined]
_scoped = TrendsScopedSlice.__table__  # type: ignore[attr-defined]
_scoped_histograms = TrendsScopedSliceHistogram.__table__  # type: ignore[attr-defined]
_daily = TrendsDaily.__table__  # type: ignore[attr-defined]
_positions = TrendsPosition.__table__  # type: ignore[attr-defined]

# One kind, subject or body: (roll-up column, value).
Scoped = tuple[str, str] | None
# Databases whose scoped slices are complete (they stay so once built): by engine URL.
_ready: set[str] = set()


async def scoped_ready(session: AsyncSession) -> bool:
    """Whether the scoped slices hold every item: a database migrated with trends already
    counted has a row ``scoped`` at 0 until ``trends rebuild`` (scoped periods read the
    roll-ups meanwhile); no row, or 1, means complete."""
    bind = session.get_bind()
    key = str(bind.engine.url)
    if key in _ready:
        return True
    found = (
        await _run(session, select(_positions.c.position).where(_positions.c.name == SCOPED_READY))
    ).scalar()
    if found is None or found == 1:  # no row: migrated before anything was counted
        _ready.add(key)
        return True
    return False


def _scope_conditions(table: Any, scoped: Scoped) -> list[Any]:
    return [] if scoped is None else [table.c.scope == scoped[0], table.c.scope_value == scoped[1]]


def _daily_value(dimension: str) -> tuple[Any, list[Any]]:
    """The roll-ups' column for a slice dimension, and the condition it needs."""
    if dimension == ALL:
        return literal(ALL), []
    if dimension == "service":
        return _daily.c.subject, [_daily.c.kind == "service_request"]
    return _daily.c[dimension], []


def _daily_counter(name: str) -> Any:
    if name == "assisted":
        return case((_daily.c.channel.in_(ASSISTED_CHANNELS), _daily.c.created), else_=0)
    return _daily.c[name]


def _daily_where(low: date, high: date, commune: str | None, scoped: Scoped) -> list[Any]:
    found = [_daily.c.day >= low, _daily.c.day <= high]
    if commune is not None:
        found.append(_daily.c.commune_code == commune)
    if scoped is not None:
        found.append(_daily.c[scoped[0]] == scoped[1])
    return found


def _split(spans: list[Range]) -> tuple[list[Range], list[Range]]:
    """(whole years and months, days) of a period's spans."""
    return [s for s in spans if s[0] != "d"], [s for s in spans if s[0] == "d"]


Range = tuple[str, date, date]  # grain, first start, last start


def _whole(start: date, end: date, grain: str) -> tuple[date, date] | None:
    """The first start and the day after the last whole year or month inside [start, end]."""
    if grain == "y":
        first = start if (start.month, start.day) == (1, 1) else date(start.year + 1, 1, 1)
        after = end + timedelta(days=1)
        after = after if (after.month, after.day) == (1, 1) else date(end.year, 1, 1)
    else:
        first = (
            start if start.day == 1 else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        )
        after = end + timedelta(days=1)
        after = after if after.day == 1 else end.replace(day=1)
    return (first, after) if first < after else None


def ranges(start: date, end: date, grains: str = "ymd") -> list[Range]:
    """The slices covering [start, end] exactly: whole years, then whole months, then days
    (only the grains given; "d" is always allowed)."""
    if start > end:
        return []
    for grain in grains:
        if grain == "d":
            break
        whole = _whole(start, end, grain)
        if whole is None:
            continue
        first, after = whole
        last_start = (after - timedelta(days=1)).replace(day=1)
        if grain == "y":
            last_start = last_start.replace(month=1)
        rest = grains[grains.index(grain) + 1 :]
        return [
            *ranges(start, first - timedelta(days=1), rest),
            (grain, first, last_start),
            *ranges(after, end, rest),
        ]
    return [("d", start, end)]


def _covering(table: Any, spans: list[Range]) -> Any:
    return or_(
        *(
            and_(table.c.grain == grain, table.c.start >= low, table.c.start <= high)
            for grain, low, high in spans
        )
    )


async def breakdown(
    session: AsyncSession,
    current: tuple[date, date],
    previous: tuple[date, date],
    commune: str | None,
    dimensions: list[str],
    scoped: Scoped = None,
) -> list[tuple[str, str, int, int]]:
    """(dimension, value, items in the current period, items in the previous one) per value
    of each dimension: every dimension in one statement."""
    whole, days = _split(ranges(*previous) + ranges(*current))
    if scoped is None:
        table, whole, days = _slices, whole + days, []
    else:  # scoped slices: whole months and years; the edge days from the roll-ups
        table = _scoped
    found: dict[tuple[str, str], list[int]] = {}

    def add(rows: Any) -> None:
        for dimension, value, now, before in rows:
            cell = found.setdefault((dimension, value), [0, 0])
            cell[0] += int(now or 0)
            cell[1] += int(before or 0)

    if whole:
        in_current = table.c.start >= current[0]
        add(
            (
                await _run(
                    session,
                    select(
                        table.c.dimension,
                        table.c.value,
                        func.sum(case((in_current, table.c.created), else_=0)),
                        func.sum(case((in_current, 0), else_=table.c.created)),
                    )
                    .where(
                        *_scope_conditions(table, scoped),
                        table.c.dimension.in_(dimensions),
                        table.c.commune_code == (commune or ALL),
                        _covering(table, whole),
                    )
                    .group_by(table.c.dimension, table.c.value),
                )
            ).all()
        )
    for dimension in dimensions if days else []:
        value, needed = _daily_value(dimension)
        for _, low, high in days:
            in_current = _daily.c.day >= current[0]
            add(
                (
                    await _run(
                        session,
                        select(
                            literal(dimension),
                            value,
                            func.sum(case((in_current, _daily.c.created), else_=0)),
                            func.sum(case((in_current, 0), else_=_daily.c.created)),
                        )
                        .where(*_daily_where(low, high, commune, scoped), *needed)
                        .group_by(value),
                    )
                ).all()
            )
    return [(d, v, now, before) for (d, v), (now, before) in found.items()]


async def sums(
    session: AsyncSession,
    start: date,
    end: date,
    commune: str | None,
    dimension: str,
    columns: tuple[str, ...],
    *,
    by_start: bool = False,
    grains: str = "ymd",
    scoped: Scoped = None,
) -> dict[tuple[date | None, str], list[int]]:
    """Sums of counters per value (and per slice start, for series). Scoped: whole months
    and years from the scoped slices, the edge days from the roll-ups."""
    spans = ranges(start, end, grains)
    table = _slices if scoped is None else _scoped
    whole, days = (spans, []) if scoped is None else _split(spans)
    found: dict[tuple[date | None, str], list[int]] = {}

    def add(rows: Any, width: int) -> None:
        for row in rows:
            key = (row[0], row[1]) if by_start else (None, row[0])
            values = [int(v or 0) for v in row[width:]]
            if key in found:
                values = [a + b for a, b in zip(found[key], values, strict=True)]
            found[key] = values

    if whole:
        keys = ([table.c.start] if by_start else []) + [table.c.value]
        statement = (
            select(*keys, *(func.sum(table.c[c]) for c in columns))
            .where(
                *_scope_conditions(table, scoped),
                table.c.dimension == dimension,
                table.c.commune_code == (commune or ALL),
                _covering(table, whole),
            )
            .group_by(*keys)
        )
        add((await _run(session, statement)).all(), len(keys))
    value, needed = _daily_value(dimension)
    for _, low, high in days:
        keys = ([_daily.c.day] if by_start else []) + [value]
        statement = (
            select(*keys, *(func.sum(_daily_counter(c)) for c in columns))
            .where(*_daily_where(low, high, commune, scoped), *needed)
            .group_by(*keys)
        )
        add((await _run(session, statement)).all(), len(keys))
    return found


Histograms = dict[tuple[str, str], dict[int, int]]


async def bins(
    session: AsyncSession,
    start: date,
    end: date,
    commune: str | None,
    dimension: str,
    scoped: Scoped = None,
) -> Histograms:
    """(value, measure) -> bin -> count of the duration histograms: whole years and months
    from the packed histogram slices (one row per value and measure and slice; scoped ones
    for a scope), the days at the edges from the daily histograms."""
    spans = ranges(start, end)
    found: Histograms = {}
    table = _slice_histograms if scoped is None else _scoped_histograms
    sliced = [s for s in spans if s[0] != "d"]
    if sliced:
        statement = select(table.c.value, table.c.measure, table.c.bins).where(
            *_scope_conditions(table, scoped),
            table.c.dimension == dimension,
            table.c.commune_code == (commune or ALL),
            _covering(table, sliced),
        )
        for value, measure, packed in (await _run(session, statement)).all():
            add_packed(found.setdefault((value, measure), {}), packed)
    days = _daily_durations
    value = days.c[dimension] if dimension != ALL else literal(ALL)
    for _, low, high in (s for s in spans if s[0] == "d"):
        conditions = [days.c.day >= low, days.c.day <= high]
        if commune is not None:
            conditions.append(days.c.commune_code == commune)
        if scoped is not None:
            conditions.append(days.c[scoped[0]] == scoped[1])
        statement = (
            select(value, days.c.measure, days.c.bin, func.sum(days.c.count))
            .where(*conditions)
            .group_by(value, days.c.measure, days.c.bin)
        )
        for v, m, b, n in (await _run(session, statement)).all():
            target = found.setdefault((v, m), {})
            target[int(b)] = target.get(int(b), 0) + int(n)
    return found
