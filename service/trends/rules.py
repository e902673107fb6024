"""Trends read from the roll-ups: plain numbers per cell, before suppression and labels.

Every function here reads aggregates (``trends_daily``, ``trends_duration``) or, for sensor
opinions, groups the opinions of each sensor; none reads an item's text or a person."""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.errors import N_, DomainError
from service.sensors.models import Sensor, SensorElement, SensorOpinion
from service.trends import slices
from service.trends.errors import TrendsErrorCode
from service.trends.models import TrendsDaily, TrendsDuration, TrendsPosition
from service.trends.rollup import ASSISTED_CHANNELS, CONSUMER, _run

MAX_DAYS = 3 * 366 + 1
MAX_BUCKETS = 400
# The days a period may cover: far wider than any data, and far enough from the ends of
# Python's calendar (years 1 and 9999) that the period before it and its buckets exist.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


class Granularity(enum.Enum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Dimension(enum.Enum):
    """What a breakdown groups by (a column of the roll-ups)."""

    KIND = "kind"
    CATEGORY = "subject"  # category of reports and questions, service of service requests
    COMMUNE = "commune_code"
    CHANNEL = "channel"
    STATUS = "status"
    BODY = "body_code"


# Dimensions anyone may see; the others (who handles what, through which channel, and the
# health of deliveries) are for council members and staff.
PUBLIC_DIMENSIONS = frozenset(
    {Dimension.KIND, Dimension.CATEGORY, Dimension.COMMUNE, Dimension.STATUS}
)


class SensorGrouping(enum.Enum):
    SENSOR = "sensor"
    PLACE = "place"
    PURPOSE = "purpose"


@dataclass(frozen=True)
class Period:
    """Days ``start`` to ``end`` included (Angers days), and the same span just before."""

    start: date
    end: date
    granularity: Granularity = Granularity.DAY

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> Period:
        return Period(
            self.start - timedelta(days=self.days),
            self.start - timedelta(days=1),
            self.granularity,
        )

    def bucket(self, day: date) -> date:
        if self.granularity is Granularity.WEEK:
            return day - timedelta(days=day.weekday())
        if self.granularity is Granularity.MONTH:
            return day.replace(day=1)
        return day

    def buckets(self) -> list[date]:
        found: list[date] = []
        day = self.start
        while day <= self.end:
            bucket = self.bucket(day)
            if not found or found[-1] != bucket:
                found.append(bucket)
            day += timedelta(days=1)
        return found


def checked_period(start: date, end: date, granularity: Granularity) -> Period:
    for day, name in ((start, "start"), (end, "end")):
        if not FIRST_DAY <= day <= LAST_DAY:
            raise DomainError(
                TrendsErrorCode.INVALID_PERIOD,
                N_("Please choose a date between %(first)s and %(last)s."),
                field=name,
                first=FIRST_DAY,  # written by the translator in the reader's language
                last=LAST_DAY,
            )
    if end < start:
        raise DomainError(
            TrendsErrorCode.INVALID_PERIOD, N_("The period ends before it starts."), field="to"
        )
    period = Period(start, end, granularity)
    if period.days > MAX_DAYS:
        raise DomainError(
            TrendsErrorCode.PERIOD_TOO_LONG,
            N_("A period covers at most %(days)s days."),
            field="to",
            days=MAX_DAYS,
        )
    if len(period.buckets()) > MAX_BUCKETS:
        raise DomainError(
            TrendsErrorCode.PERIOD_TOO_LONG,
            N_("Choose a coarser granularity: at most %(count)s points per series."),
            field="granularity",
            count=MAX_BUCKETS,
        )
    return period


@dataclass(frozen=True)
class Scope:
    """Optional restrictions of every indicator."""

    kind: str | None = None
    commune_code: str | None = None
    subject: str | None = None
    body_code: str | None = None

    @property
    def sliced(self) -> bool:
        """Whether the slices answer (all communes or one); else the roll-ups are read."""
        return self.kind is None and self.subject is None and self.body_code is None

    @property
    def scoped_by(self) -> tuple[str, str] | None:
        """The one kind, subject or body the scoped slices answer for (with a commune or
        not); None for none or for two of them (then the roll-ups are read)."""
        given = [
            (column, value)
            for column, value in (
                ("kind", self.kind),
                ("subject", self.subject),
                ("body_code", self.body_code),
            )
            if value is not None
        ]
        return given[0] if len(given) == 1 else None

    async def slices_for(self, session: AsyncSession) -> tuple[bool, tuple[str, str] | None]:
        """(whether the slices answer, the scope they answer for)."""
        if self.sliced:
            return True, None
        scoped = self.scoped_by
        if scoped is not None and await slices.scoped_ready(session):
            return True, scoped
        return False, None

    def conditions(self, table: Any) -> list[Any]:
        found = []
        for column, value in (
            ("kind", self.kind),
            ("commune_code", self.commune_code),
            ("subject", self.subject),
            ("body_code", self.body_code),
        ):
            if value is not None and column in table.c:
                found.append(table.c[column] == value)
        return found


_daily = TrendsDaily.__table__  # type: ignore[attr-defined]
_durations = TrendsDuration.__table__  # type: ignore[attr-defined]


@dataclass
class Breakdown:
    """Items submitted in the period and in the previous one, per value of a dimension."""

    current: dict[str, int] = field(default_factory=dict)
    previous: dict[str, int] = field(default_factory=dict)


async def breakdowns(
    session: AsyncSession, period: Period, scope: Scope, dimensions: list[Dimension]
) -> dict[Dimension, Breakdown]:
    """The breakdowns of several dimensions (from the slices: in one statement)."""
    previous = period.previous
    use_slices, scoped = await scope.slices_for(session)
    if not use_slices:
        return {d: await breakdown(session, period, scope, d) for d in dimensions}
    found = {d: Breakdown() for d in dimensions}
    for name, key, current_count, previous_count in await slices.breakdown(
        session,
        (period.start, period.end),
        (previous.start, previous.end),
        scope.commune_code,
        [d.value for d in dimensions],
        scoped,
    ):
        sliced = found[Dimension(name)]
        sliced.current[key], sliced.previous[key] = current_count, previous_count
    return found


async def breakdown(
    session: AsyncSession, period: Period, scope: Scope, dimension: Dimension
) -> Breakdown:
    previous = period.previous
    use_slices, _ = await scope.slices_for(session)
    if use_slices:
        return (await breakdowns(session, period, scope, [dimension]))[dimension]
    column = _daily.c[dimension.value]
    in_current = _daily.c.day >= period.start
    statement = (
        select(
            column,
            func.sum(case((in_current, _daily.c.created), else_=0)),
            func.sum(case((in_current, 0), else_=_daily.c.created)),
        )
        .where(
            _daily.c.day >= previous.start, _daily.c.day <= period.end, *scope.conditions(_daily)
        )
        .group_by(column)
    )
    found = Breakdown()
    for key, current, before in (await _run(session, statement)).all():
        found.current[key] = int(current or 0)
        found.previous[key] = int(before or 0)
    return found


async def series(session: AsyncSession, period: Period, scope: Scope) -> dict[date, int]:
    """Items submitted per day, week or month of the period (every bucket, zeros included)."""
    found = dict.fromkeys(period.buckets(), 0)
    use_slices, scoped = await scope.slices_for(session)
    if use_slices:
        grains = "md" if period.granularity is Granularity.MONTH else "d"
        for (start, _), (count,) in (
            await slices.sums(
                session, period.start, period.end, scope.commune_code, slices.ALL,
                ("created",), by_start=True, grains=grains, scoped=scoped,
            )
        ).items():  # fmt: skip
            assert start is not None  # narrowing: by_start=True keys every sum by its start
            found[period.bucket(start)] += count
        return found
    statement = (
        select(_daily.c.day, func.sum(_daily.c.created))
        .where(_daily.c.day >= period.start, _daily.c.day <= period.end, *scope.conditions(_daily))
        .group_by(_daily.c.day)
    )
    for day, count in (await _run(session, statement)).all():
        found[period.bucket(day)] += int(count or 0)
    return found


@dataclass
class Resolution:
    """How the items of one group submitted in the period were handled."""

    created: int = 0
    acknowledged: int = 0
    resolved: int = 0
    resolved_7d: int = 0
    resolved_30d: int = 0
    acknowledge_bins: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    resolve_bins: dict[int, int] = field(default_factory=lambda: defaultdict(int))


async def resolution(
    session: AsyncSession, period: Period, scope: Scope, dimension: Dimension
) -> dict[str, Resolution]:
    found: dict[str, Resolution] = defaultdict(Resolution)
    use_slices, scoped = await scope.slices_for(session)
    if use_slices:
        counters = ("created", "acknowledged", "resolved", "resolved_7d", "resolved_30d")
        for (_, key), values in (
            await slices.sums(
                session,
                period.start,
                period.end,
                scope.commune_code,
                dimension.value,
                counters,
                scoped=scoped,
            )
        ).items():
            row = found[key]
            row.created, row.acknowledged, row.resolved, row.resolved_7d, row.resolved_30d = values
        for (key, measure), histogram in (
            await slices.bins(
                session, period.start, period.end, scope.commune_code, dimension.value, scoped
            )
        ).items():
            target = (
                found[key].acknowledge_bins if measure == "acknowledge" else found[key].resolve_bins
            )
            for bin_index, count in histogram.items():
                target[bin_index] += count
        return dict(found)
    column = _daily.c[dimension.value]
    counts = (
        select(
            column,
            func.sum(_daily.c.created),
            func.sum(_daily.c.acknowledged),
            func.sum(_daily.c.resolved),
            func.sum(_daily.c.resolved_7d),
            func.sum(_daily.c.resolved_30d),
        )
        .where(_daily.c.day >= period.start, _daily.c.day <= period.end, *scope.conditions(_daily))
        .group_by(column)
    )
    for key, created, acknowledged, resolved, within_7, within_30 in (
        await _run(session, counts)
    ).all():
        row = found[key]
        row.created, row.acknowledged, row.resolved = int(created), int(acknowledged), int(resolved)
        row.resolved_7d, row.resolved_30d = int(within_7), int(within_30)
    duration_column = _durations.c[dimension.value]
    bins = (
        select(
            duration_column, _durations.c.measure, _durations.c.bin, func.sum(_durations.c.count)
        )
        .where(
            _durations.c.day >= period.start,
            _durations.c.day <= period.end,
            *scope.conditions(_durations),
        )
        .group_by(duration_column, _durations.c.measure, _durations.c.bin)
    )
    for key, measure, bin_index, count in (await _run(session, bins)).all():
        target = (
            found[key].acknowledge_bins if measure == "acknowledge" else found[key].resolve_bins
        )
        target[int(bin_index)] += int(count)
    return dict(found)


@dataclass
class Totals:
    """Sums of the roll-up counters over the period."""

    created: int = 0
    unrouted: int = 0
    delivery_failed: int = 0
    feedback_count: int = 0
    feedback_fixed: int = 0
    rating_count: int = 0
    rating_sum: int = 0
    assisted: int = 0


async def totals(session: AsyncSession, period: Period, scope: Scope) -> Totals:
    use_slices, scoped = await scope.slices_for(session)
    if use_slices:
        columns = ("created", "unrouted", "delivery_failed", "feedback_count", "feedback_fixed",
                   "rating_count", "rating_sum", "assisted")  # fmt: skip
        found = await slices.sums(
            session,
            period.start,
            period.end,
            scope.commune_code,
            slices.ALL,
            columns,
            scoped=scoped,
        )
        return Totals(*found.get((None, slices.ALL), [0] * len(columns)))
    assisted = case((_daily.c.channel.in_(ASSISTED_CHANNELS), _daily.c.created), else_=0)
    statement = select(
        func.sum(_daily.c.created),
        func.sum(_daily.c.unrouted),
        func.sum(_daily.c.delivery_failed),
        func.sum(_daily.c.feedback_count),
        func.sum(_daily.c.feedback_fixed),
        func.sum(_daily.c.rating_count),
        func.sum(_daily.c.rating_sum),
        func.sum(assisted),
    ).where(_daily.c.day >= period.start, _daily.c.day <= period.end, *scope.conditions(_daily))
    row = (await _run(session, statement)).one()
    return Totals(*(int(v or 0) for v in row))


async def service_requests(
    session: AsyncSession, period: Period, scope: Scope
) -> dict[str, tuple[int, int]]:
    """Per service: service requests submitted in the period, and how many through an agent."""
    use_slices, scoped = await scope.slices_for(session)
    if use_slices:
        found = await slices.sums(
            session, period.start, period.end, scope.commune_code, "service",
            ("created", "assisted"), scoped=scoped,
        )  # fmt: skip
        return {key: (n, a) for (_, key), (n, a) in found.items()}
    assisted = case((_daily.c.channel.in_(ASSISTED_CHANNELS), _daily.c.created), else_=0)
    statement = (
        select(_daily.c.subject, func.sum(_daily.c.created), func.sum(assisted))
        .where(
            _daily.c.day >= period.start,
            _daily.c.day <= period.end,
            _daily.c.kind == "service_request",
            *scope.conditions(_daily),
        )
        .group_by(_daily.c.subject)
    )
    return {key: (int(n), int(a)) for key, n, a in (await _run(session, statement)).all()}


@dataclass
class Opinions:
    """Opinions given on sensors of one group (sensor, place or purpose) in the period."""

    count: int = 0
    acceptance_sum: int = 0
    understood: int = 0
    partly: int = 0


async def sensor_opinions(
    session: AsyncSession, period: Period, scope: Scope, grouping: SensorGrouping
) -> dict[str, Opinions]:
    """Opinions are few (one per device and sensor): grouped directly, not rolled up.

    An opinion counts in the period it was last given (residents may change their mind)."""
    from datetime import datetime, time

    from service.i18n.translator import LOCAL_TIMEZONE

    start = datetime.combine(period.start, time(), LOCAL_TIMEZONE)
    end = datetime.combine(period.end + timedelta(days=1), time(), LOCAL_TIMEZONE)
    opinion, sensor, element = (
        SensorOpinion.__table__,  # type: ignore[attr-defined]
        Sensor.__table__,  # type: ignore[attr-defined]
        SensorElement.__table__,  # type: ignore[attr-defined]
    )
    key: Any
    joined: Any = opinion.join(sensor, sensor.c.id == opinion.c.sensor_id)
    if grouping is SensorGrouping.SENSOR:
        key = sensor.c.slug
    elif grouping is SensorGrouping.PLACE:
        key = func.coalesce(sensor.c.place_name, "")
    else:
        joined = joined.join(
            element,
            and_(element.c.sensor_id == sensor.c.id, element.c.category_id == "purpose"),
        )
        key = element.c.element_id
    conditions = [opinion.c.updated_at >= start, opinion.c.updated_at < end]
    if scope.commune_code is not None:
        conditions.append(sensor.c.commune_code == scope.commune_code)
    statement = (
        select(
            key,
            func.count(),
            func.sum(opinion.c.acceptance),
            func.sum(case((opinion.c.understood == "yes", 1), else_=0)),
            func.sum(case((opinion.c.understood == "partly", 1), else_=0)),
        )
        .select_from(joined)
        .where(*conditions)
        .group_by(key)
    )
    return {
        k: Opinions(int(n), int(s or 0), int(u or 0), int(p or 0))
        for k, n, s, u, p in (await _run(session, statement)).all()
    }


async def per_bucket(
    session: AsyncSession,
    period: Period,
    scope: Scope,
    dimension: Dimension | None,
    columns: tuple[str, ...] = ("created",),
) -> dict[tuple[date, str], list[int]]:
    """Sums of roll-up counters per bucket of the period (and per value of ``dimension``).

    ``assisted`` is a virtual counter: items submitted through an agent."""
    found: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0] * len(columns))
    use_slices, scoped = await scope.slices_for(session)
    if use_slices:
        sliced = await slices.sums(
            session,
            period.start,
            period.end,
            scope.commune_code,
            dimension.value if dimension else slices.ALL,
            columns,
            by_start=True,
            grains="md" if period.granularity is Granularity.MONTH else "d",
            scoped=scoped,
        )
        for (start, key), values in sliced.items():
            assert start is not None  # narrowing: by_start=True keys every sum by its start
            target = found[(period.bucket(start), key if dimension else "")]
            for index, value in enumerate(values):
                target[index] += value
        return dict(found)
    assisted = case((_daily.c.channel.in_(ASSISTED_CHANNELS), _daily.c.created), else_=0)
    sums = [func.sum(assisted if name == "assisted" else _daily.c[name]) for name in columns]
    key_columns = [_daily.c.day] + ([_daily.c[dimension.value]] if dimension else [])
    statement = (
        select(*key_columns, *sums)
        .where(_daily.c.day >= period.start, _daily.c.day <= period.end, *scope.conditions(_daily))
        .group_by(*key_columns)
    )
    width = len(key_columns)
    for row in (await _run(session, statement)).all():
        cell = (period.bucket(row[0]), row[1] if dimension else "")
        target = found[cell]
        for index, value in enumerate(row[width:]):
            target[index] += int(value or 0)
    return dict(found)


async def rollup_version(session: AsyncSession) -> tuple[int, str]:
    """Changes whenever the trends may: the outbox position applied, the last opinion."""
    positions = TrendsPosition.__table__  # type: ignore[attr-defined]
    position = (
        await _run(session, select(positions.c.position).where(positions.c.name == CONSUMER))
    ).scalar()
    opinion = SensorOpinion.__table__  # type: ignore[attr-defined]
    last = (await _run(session, select(func.max(opinion.c.updated_at), func.count()))).one()
    return int(position or 0), f"{last[0]}/{last[1]}"
