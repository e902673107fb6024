"""Reading the slices: whole months from the monthly rows, the days at the edges from the
daily rows, one dimension at a time, for all communes or one.

A one-year breakdown with its previous year reads 24 months x the values of one dimension
(a few hundred rows), whatever the number of items; the roll-ups (``trends_daily``) are
only read for scopes the slices do not cover (a kind, a category or a body)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.trends.models import TrendsSlice, TrendsSliceDuration
from service.trends.rollup import _run

ALL = "*"
_slices = TrendsSlice.__table__  # type: ignore[attr-defined]
_slice_durations = TrendsSliceDuration.__table__  # type: ignore[attr-defined]

Range = tuple[str, date, date]  # grain, first start, last start


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def ranges(start: date, end: date, *, months: bool = True) -> list[Range]:
    """The slices covering [start, end]: whole months at month grain, other days at day grain."""
    first_month = start if start.day == 1 else _next_month(start)
    # The first day after the last whole month of the period.
    day_after = end + timedelta(days=1)
    after_last_month = day_after if day_after.day == 1 else end.replace(day=1)
    if not months or first_month >= after_last_month:
        return [("d", start, end)]
    found: list[Range] = []
    if start < first_month:
        found.append(("d", start, first_month - timedelta(days=1)))
    last_month = (after_last_month - timedelta(days=1)).replace(day=1)
    found.append(("m", first_month, last_month))
    if after_last_month <= end:
        found.append(("d", after_last_month, end))
    return found


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
    months: bool = True,
) -> dict[tuple[date | None, str], list[int]]:
    """Sums of counters per value (and per slice start, for series)."""
    keys = ([_slices.c.start] if by_start else []) + [_slices.c.value]
    statement = (
        select(*keys, *(func.sum(_slices.c[c]) for c in columns))
        .where(
            _slices.c.dimension == dimension,
            _slices.c.commune_code == (commune or ALL),
            _covering(_slices, ranges(start, end, months=months)),
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
    """(value, measure, bin, count) of the duration histograms."""
    table = _slice_durations
    statement = (
        select(table.c.value, table.c.measure, table.c.bin, func.sum(table.c.count))
        .where(
            table.c.dimension == dimension,
            table.c.commune_code == (commune or ALL),
            _covering(table, ranges(start, end)),
        )
        .group_by(table.c.value, table.c.measure, table.c.bin)
    )
    return [(v, m, int(b), int(n)) for v, m, b, n in (await _run(session, statement)).all()]
