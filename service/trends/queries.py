"""The ``trends`` query: aggregates for council members and staff, a public subset for all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from service.context import Context
from service.errors import N_, DomainError
from service.trends import labels, rules
from service.trends.anonymity import is_small, suppressed_cells
from service.trends.errors import TrendsErrorCode
from service.trends.types import (
    TrendsBreakdown,
    TrendsBreakdownRow,
    TrendsCount,
    TrendsDimension,
    TrendsDuration,
    TrendsGranularity,
    TrendsMean,
    TrendsPeriodInput,
    TrendsPoint,
    TrendsResolutionRow,
    TrendsRouting,
    TrendsSatisfaction,
    TrendsScopeInput,
    TrendsSensorGrouping,
    TrendsSensorRow,
    TrendsServiceRequests,
    TrendsServiceRow,
    TrendsShare,
)

By = Annotated[TrendsDimension, strawberry.argument(description="What the rows group by.")]


def not_public() -> DomainError:
    return DomainError(
        TrendsErrorCode.NOT_PUBLIC,
        N_("This indicator is for council members and staff: please log in."),
    )


@dataclass
class _Request:
    period: rules.Period
    scope: rules.Scope
    full: bool  # council members and staff: every indicator


@strawberry.type(
    description="Indicators over a period, compared with the period just before. Counts are "
    "by day of submission (Angers time); a cell built from fewer than 5 items is withheld. "
    "Anyone may read the open-data subset; council members and staff read everything."
)
class Trends:
    _request: strawberry.Private[_Request]

    @strawberry.field(description="First day of the period.")
    def start(self) -> date:
        return self._request.period.start

    @strawberry.field(description="Last day of the period.")
    def end(self) -> date:
        return self._request.period.end

    @strawberry.field(description="First day of the period before, compared with.")
    def previous_start(self) -> date:
        return self._request.period.previous.start

    @strawberry.field(description="Last day of the period before.")
    def previous_end(self) -> date:
        return self._request.period.previous.end

    @strawberry.field(description="True when the caller reads every indicator (staff, council).")
    def full(self) -> bool:
        return self._request.full

    @strawberry.field(description="Items per value of a dimension, with the period before.")
    async def breakdown(self, info: Info[Context, None], by: By) -> TrendsBreakdown:
        dimension = rules.Dimension(by.value)
        self._allow(dimension in rules.PUBLIC_DIMENSIONS)
        translator, reference = info.context.translator, info.context.reference
        async with info.context.db.reading() as session:
            found = await rules.breakdown(
                session, self._request.period, self._request.scope, dimension
            )
        keys = sorted(found.current, key=lambda k: (-found.current[k], k))
        current = [found.current[k] for k in keys]
        previous = [found.previous[k] for k in keys]
        hide_current, hide_previous = suppressed_cells(current), suppressed_cells(previous)
        rows = [
            TrendsBreakdownRow(
                key=key,
                label=labels.dimension_value(dimension, key, translator, reference),
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

    @strawberry.field(description="Items submitted per day, week or month of the period.")
    async def series(self, info: Info[Context, None]) -> list[TrendsPoint]:
        translator = info.context.translator
        period = self._request.period
        async with info.context.db.reading() as session:
            found = await rules.series(session, period, self._request.scope)
        starts = list(found)
        hidden = suppressed_cells([found[s] for s in starts])
        return [
            TrendsPoint(
                start=start,
                label=labels.bucket(start, period.granularity, translator),
                count=TrendsCount.of(found[start], translator, hide=hide),
            )
            for start, hide in zip(starts, hidden, strict=True)
        ]

    @strawberry.field(
        description="Times to acknowledge and to resolve, and shares resolved within 7 and 30 "
        "days, per group (by BODY: staff and council only)."
    )
    async def resolution(
        self, info: Info[Context, None], by: By = TrendsDimension.CATEGORY
    ) -> list[TrendsResolutionRow]:
        dimension = rules.Dimension(by.value)
        if dimension in (rules.Dimension.CHANNEL, rules.Dimension.STATUS):
            raise DomainError(
                TrendsErrorCode.INVALID_PERIOD,
                N_("Resolution is given per kind, category, commune or body."),
                field="by",
            )
        self._allow(dimension in rules.PUBLIC_DIMENSIONS)
        translator, reference = info.context.translator, info.context.reference
        async with info.context.db.reading() as session:
            found = await rules.resolution(
                session, self._request.period, self._request.scope, dimension
            )
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
                    label=labels.dimension_value(dimension, key, translator, reference),
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

    @strawberry.field(
        description="Shares of items unrouted or whose delivery failed (staff and council only)."
    )
    async def routing(self, info: Info[Context, None]) -> TrendsRouting:
        self._allow(False)
        translator = info.context.translator
        async with info.context.db.reading() as session:
            found = await rules.totals(session, self._request.period, self._request.scope)
        return TrendsRouting(
            items=TrendsCount.of(found.created, translator),
            unrouted_share=TrendsShare.of(found.unrouted, found.created, translator),
            delivery_failed_share=TrendsShare.of(found.delivery_failed, found.created, translator),
        )

    @strawberry.field(description="Residents' feedback on items submitted in the period.")
    async def satisfaction(self, info: Info[Context, None]) -> TrendsSatisfaction:
        translator = info.context.translator
        async with info.context.db.reading() as session:
            found = await rules.totals(session, self._request.period, self._request.scope)
        return TrendsSatisfaction(
            answers=TrendsCount.of(found.feedback_count, translator),
            fixed_rate=TrendsShare.of(found.feedback_fixed, found.feedback_count, translator),
            ratings=TrendsCount.of(found.rating_count, translator),
            mean_rating=TrendsMean.of(found.rating_sum, found.rating_count, translator),
        )

    @strawberry.field(description="Opinions on sensors given (or last changed) in the period.")
    async def sensors(
        self,
        info: Info[Context, None],
        by: Annotated[
            TrendsSensorGrouping, strawberry.argument(description="How to group the opinions.")
        ] = TrendsSensorGrouping.SENSOR,
    ) -> list[TrendsSensorRow]:
        translator = info.context.translator
        async with info.context.db.reading() as session:
            found = await rules.sensor_opinions(
                session, self._request.period, self._request.scope, rules.SensorGrouping(by.value)
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

    @strawberry.field(description="Service requests per service, and the share through an agent.")
    async def service_requests(self, info: Info[Context, None]) -> TrendsServiceRequests:
        translator, reference = info.context.translator, info.context.reference
        async with info.context.db.reading() as session:
            found = await rules.service_requests(session, self._request.period, self._request.scope)
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
                    label=labels.subject(key, translator, reference),
                    requests=TrendsCount.of(found[key][0], translator, hide=hide),
                    assisted_share=TrendsShare.of(
                        found[key][1], 0 if hide else found[key][0], translator
                    ),
                )
                for key, hide in zip(keys, hidden, strict=True)
            ],
        )

    def _allow(self, public: bool) -> None:
        if not public and not self._request.full:
            raise not_public()


@strawberry.type
class TrendsQuery:
    @strawberry.field(
        description="Trends over a period: anyone reads the open-data subset; council "
        "members and staff read every indicator. Never items, never persons."
    )
    async def trends(
        self,
        info: Info[Context, None],
        period: Annotated[TrendsPeriodInput, strawberry.argument(description="The days to count.")],
        scope: Annotated[
            TrendsScopeInput | None,
            strawberry.argument(description="Only some items (a commune, a category...)."),
        ] = None,
    ) -> Trends:
        full = info.context.caller.staff is not None
        given = scope or TrendsScopeInput()
        if given.body_code is not None and not full:
            raise not_public()
        checked = rules.checked_period(
            period.start, period.end, rules.Granularity(period.granularity.value)
        )
        request = _Request(
            period=checked,
            scope=rules.Scope(
                kind=given.kind,
                commune_code=given.commune_code,
                subject=given.category_code,
                body_code=given.body_code,
            ),
            full=full,
        )
        return Trends(_request=request)


__all__ = ["TrendsGranularity", "TrendsQuery"]
