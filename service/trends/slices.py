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

from service.trends.models import TrendsDuration, TrendsSlice, TrendsSliceDuration
from service.trends.rollup import _run

ALL = "*"
_slices = TrendsSlice.__table__  # type: ignore[attr-defined]
_slice_durations = TrendsSliceDuration.__table__  # type: ignore[attr-defined]
_daily_durations = TrendsDuration.__table__  # type: ignore[attr-defined]

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
    dimension: str,
) -> list[tuple[str, int, int]]:
    """(value, items in the current period, items in the previous one) per value."""
    in_current = _slices.c.start >= current[0]
    statement = (
        select(
            _slices.c.value,
            func.sum(case((in_current, _slices.c.created), else_=0)),
            func.sum(case((in_current, 0), else_=_slices.c.created)),
        )
        .where(
            _slices.c.dimension == dimension,
            _slices.c.commune_code == (commune or ALL),
            _covering(_slices, ranges(*previous) + ranges(*current)),
        )
        .group_by(_slices.c.value)
    )
    return [(v, int(c or 0), int(p or 0)) for v, c, p in (await _run(session, statement)).all()]


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
) -> dict[tuple[date | None, str], list[int]]:
    """Sums of counters per value (and per slice start, for series)."""
    keys = ([_slices.c.start] if by_start else []) + [_slices.c.value]
    statement = (
        select(*keys, *(func.sum(_slices.c[c]) for c in columns))
        .where(
            _slices.c.dimension == dimension,
            _slices.c.commune_code == (commune or ALL),
            _covering(_slices, ranges(start, end, grains)),
        )
        .group_by(*keys)
    )
    found: dict[tuple[date | None, str], list[int]] = {}
    width = len(keys)
    for row in (await _run(session, statement)).all():
        key = (row[0], row[1]) if by_start else (None, row[0])
        values = [int(v or 0) for v in row[width:]]
        if key in found:  # pragma: no cover - keys are grouped
            values = [a + b for a, b in zip(found[key], values, strict=True)]
        found[key] = values
    return found


async def bins(
    session: AsyncSession, start: date, end: date, commune: str | None, dimension: str
) -> list[tuple[str, str, int, int]]:
    """(value, measure, bin, count) of the duration histograms: whole years and months from
    the histogram slices, the days at the edges from the daily histograms."""
    spans = ranges(start, end)
    found: list[tuple[str, str, int, int]] = []
    table = _slice_durations
    sliced = [s for s in spans if s[0] != "d"]
    if sliced:
        statement = (
            select(table.c.value, table.c.measure, table.c.bin, func.sum(table.c.count))
            .where(
                table.c.dimension == dimension,
                table.c.commune_code == (commune or ALL),
                _covering(table, sliced),
            )
            .group_by(table.c.value, table.c.measure, table.c.bin)
        )
        found += [(v, m, int(b), int(n)) for v, m, b, n in (await _run(session, statement)).all()]
    days = _daily_durations
    value = days.c[dimension] if dimension != ALL else literal(ALL)
    for _, low, high in (s for s in spans if s[0] == "d"):
        conditions = [days.c.day >= low, days.c.day <= high]
        if commune is not None:
            conditions.append(days.c.commune_code == commune)
        statement = (
            select(value, days.c.measure, days.c.bin, func.sum(days.c.count))
            .where(*conditions)
            .group_by(value, days.c.measure, days.c.bin)
        )
        found += [(v, m, int(b), int(n)) for v, m, b, n in (await _run(session, statement)).all()]
    return found
