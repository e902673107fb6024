"""The published indicators of a period: k-anonymous cells with their labels, read by the
``trends`` query and by the dashboard pages alike (one suppression, one access rule)."""

from __future__ import annotations

from dataclasses import dataclass

from service.db import Database
from service.errors import N_, DomainError
from service.i18n.translator import Translator
from service.reference import ReferenceData
from service.trends import labels, rules
from service.trends.anonymity import is_small, suppressed_cells
from service.trends.errors import TrendsErrorCode
from service.trends.types import (
    TrendsBreakdown,
    TrendsBreakdownRow,
    TrendsCount,
    TrendsDimension,
    TrendsDuration,
    TrendsMean,
    TrendsPoint,
    TrendsResolutionRow,
    TrendsRouting,
    TrendsSatisfaction,
    TrendsSensorGrouping,
    TrendsSensorRow,
    TrendsServiceRequests,
    TrendsServiceRow,
    TrendsShare,
)


def not_public() -> DomainError:
    return DomainError(
        TrendsErrorCode.NOT_PUBLIC,
        N_("This indicator is for council members and staff: please log in."),
    )


@dataclass(frozen=True)
class Indicators:
    """The indicators of one period and scope, for one reader (``full``: council, staff)."""

    db: Database
    translator: Translator
    reference: ReferenceData
    period: rules.Period
    scope: rules.Scope
    full: bool

    def allow(self, public: bool) -> None:
        """Refuses a staff-and-council indicator to anyone else (NOT_PUBLIC)."""
        if not public and not self.full:
            raise not_public()

    async def breakdown(self, by: TrendsDimension) -> TrendsBreakdown:
        return (await self.breakdowns([by]))[by]

    async def breakdowns(
        self, dimensions: list[TrendsDimension]
    ) -> dict[TrendsDimension, TrendsBreakdown]:
        """Several breakdowns read together (one statement from the slices)."""
        wanted = {by: rules.Dimension(by.value) for by in dimensions}
        for dimension in wanted.values():
            self.allow(dimension in rules.PUBLIC_DIMENSIONS)
        async with self.db.reading() as session:
            found = await rules.breakdowns(session, self.period, self.scope, list(wanted.values()))
        return {by: self._breakdown(by, d, found[d]) for by, d in wanted.items()}

    def _breakdown(
        self, by: TrendsDimension, dimension: rules.Dimension, found: rules.Breakdown
    ) -> TrendsBreakdown:
        translator = self.translator
        keys = sorted(found.current, key=lambda k: (-found.current[k], k))
        current = [found.current[k] for k in keys]
        previous = [found.previous[k] for k in keys]
        hide_current, hide_previous = suppressed_cells(current), suppressed_cells(previous)
        rows = [
            TrendsBreakdownRow(
                key=key,
                label=labels.dimension_value(dimension, key, translator, self.reference),
                count=TrendsCount.of(now, translator, hide=hide_now),
                previous=TrendsCount.of(before, translator, hide=hide_before),
            )
            for key, now, before, hide_now, hide_before in zip(
                keys, current, previous, hide_current, hide_previous, strict=True
            )
        ]
        return TrendsBreakdown(
            dimension=by,
            total=TrendsCount.of(sum(current), translator),
            previous_total=TrendsCount.of(sum(previous), translator),
            rows=rows,
        )

    async def series(self) -> list[TrendsPoint]:
        period = self.period
        async with self.db.reading() as session:
            found = await rules.series(session, period, self.scope)
        starts = list(found)
        hidden = suppressed_cells([found[s] for s in starts])
        return [
            TrendsPoint(
                start=start,
                label=labels.bucket(start, period.granularity, self.translator),
                count=TrendsCount.of(found[start], self.translator, hide=hide),
            )
            for start, hide in zip(starts, hidden, strict=True)
        ]

    async def resolution(self, by: TrendsDimension) -> list[TrendsResolutionRow]:
        dimension = rules.Dimension(by.value)
        if dimension in (rules.Dimension.CHANNEL, rules.Dimension.STATUS):
            raise DomainError(
                TrendsErrorCode.INVALID_PERIOD,
                N_("Resolution is given per kind, category, commune or body."),
                field="by",
            )
        self.allow(dimension in rules.PUBLIC_DIMENSIONS)
        translator = self.translator
        async with self.db.reading() as session:
            found = await rules.resolution(session, self.period, self.scope, dimension)
        keys = sorted(found, key=lambda k: (-found[k].created, k))
        hidden = suppressed_cells([found[k].created for k in keys])
        rows = []
        for key, hide in zip(keys, hidden, strict=True):
            row = found[key]
            if hide:  # everything of a withheld group is withheld, durations included
                row = rules.Resolution(created=row.created)
            rows.append(
                TrendsResolutionRow(
                    key=key,
                    label=labels.dimension_value(dimension, key, translator, self.reference),
                    items=TrendsCount.of(row.created, translator, hide=hide),
                    median_to_acknowledge=TrendsDuration.of(row.acknowledge_bins, 0.5, translator),
                    p90_to_acknowledge=TrendsDuration.of(row.acknowledge_bins, 0.9, translator),
                    median_to_resolve=TrendsDuration.of(row.resolve_bins, 0.5, translator),
                    p90_to_resolve=TrendsDuration.of(row.resolve_bins, 0.9, translator),
                    resolved_within_7_days=TrendsShare.of(
                        row.resolved_7d, 0 if hide else row.created, translator
                    ),
                    resolved_within_30_days=TrendsShare.of(
                        row.resolved_30d, 0 if hide else row.created, translator
                    ),
                )
            )
        return rows

    async def routing(self) -> TrendsRouting:
        self.allow(False)
        translator = self.translator
        async with self.db.reading() as session:
            found = await rules.totals(session, self.period, self.scope)
        return TrendsRouting(
            items=TrendsCount.of(found.created, translator),
            unrouted_share=TrendsShare.of(found.unrouted, found.created, translator),
            delivery_failed_share=TrendsShare.of(found.delivery_failed, found.created, translator),
        )

    async def satisfaction(self) -> TrendsSatisfaction:
        translator = self.translator
        async with self.db.reading() as session:
            found = await rules.totals(session, self.period, self.scope)
        return TrendsSatisfaction(
            answers=TrendsCount.of(found.feedback_count, translator),
            fixed_rate=TrendsShare.of(found.feedback_fixed, found.feedback_count, translator),
            ratings=TrendsCount.of(found.rating_count, translator),
            mean_rating=TrendsMean.of(found.rating_sum, found.rating_count, translator),
        )

    async def sensors(self, by: TrendsSensorGrouping) -> list[TrendsSensorRow]:
        translator = self.translator
        async with self.db.reading() as session:
            found = await rules.sensor_opinions(
                session, self.period, self.scope, rules.SensorGrouping(by.value)
            )
        keys = sorted(found, key=lambda k: (-found[k].count, k))
        # Groups of purposes overlap (a sensor has several): no total is published with them,
        # and each group stands alone; sensors and places do add up, so complement those.
        counts = [found[k].count for k in keys]
        hidden = (
            [is_small(c) for c in counts]
            if by is TrendsSensorGrouping.PURPOSE
            else suppressed_cells(counts)
        )
        rows = []
        for key, hide in zip(keys, hidden, strict=True):
            row = found[key] if not hide else rules.Opinions()
            rows.append(
                TrendsSensorRow(
                    key=key,
                    label=key or translator.gettext(N_("Other")),
                    opinions=TrendsCount.of(found[key].count, translator, hide=hide),
                    mean_acceptance=TrendsMean.of(row.acceptance_sum, row.count, translator),
                    understood_rate=TrendsShare.of(row.understood, row.count, translator),
                )
            )
        return rows

    async def service_requests(self) -> TrendsServiceRequests:
        translator = self.translator
        async with self.db.reading() as session:
            found = await rules.service_requests(session, self.period, self.scope)
        keys = sorted(found, key=lambda k: (-found[k][0], k))
        hidden = suppressed_cells([found[k][0] for k in keys])
        total = sum(n for n, _ in found.values())
        assisted = sum(a for _, a in found.values())
        return TrendsServiceRequests(
            total=TrendsCount.of(total, translator),
            assisted_share=TrendsShare.of(assisted, total, translator),
            rows=[
                TrendsServiceRow(
                    key=key,
                    label=labels.subject(key, translator, self.reference),
                    requests=TrendsCount.of(found[key][0], translator, hide=hide),
                    assisted_share=TrendsShare.of(
                        found[key][1], 0 if hide else found[key][0], translator
                    ),
                )
                for key, hide in zip(keys, hidden, strict=True)
            ],
        )
