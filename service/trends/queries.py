"""The ``trends`` query: aggregates for council members and staff, a public subset for all."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.trends import rules
from service.trends.indicators import Indicators, not_public
from service.trends.types import (
    TrendsBreakdown,
    TrendsDimension,
    TrendsGranularity,
    TrendsPeriodInput,
    TrendsPoint,
    TrendsResolutionRow,
    TrendsRouting,
    TrendsSatisfaction,
    TrendsScopeInput,
    TrendsSensorGrouping,
    TrendsSensorRow,
    TrendsServiceRequests,
)

By = Annotated[TrendsDimension, strawberry.argument(description="What the rows group by.")]


@strawberry.type(
    description="Indicators over a period, compared with the period just before. Counts are "
    "by day of submission (Angers time); a cell built from fewer than 5 items is withheld. "
    "Anyone may read the open-data subset; council members and staff read everything."
)
class Trends:
    _indicators: strawberry.Private[Indicators]

    @strawberry.field(description="First day of the period.")
    def start(self) -> date:
        return self._indicators.period.start

    @strawberry.field(description="Last day of the period.")
    def end(self) -> date:
        return self._indicators.period.end

    @strawberry.field(description="First day of the period before, compared with.")
    def previous_start(self) -> date:
        return self._indicators.period.previous.start

    @strawberry.field(description="Last day of the period before.")
    def previous_end(self) -> date:
        return self._indicators.period.previous.end

    @strawberry.field(description="True when the caller reads every indicator (staff, council).")
    def full(self) -> bool:
        return self._indicators.full

    @strawberry.field(description="Items per value of a dimension, with the period before.")
    async def breakdown(self, by: By) -> TrendsBreakdown:
        return await self._indicators.breakdown(by)

    @strawberry.field(description="Items submitted per day, week or month of the period.")
    async def series(self) -> list[TrendsPoint]:
        return await self._indicators.series()

    @strawberry.field(
        description="Times to acknowledge and to resolve, and shares resolved within 7 and 30 "
        "days, per group (by BODY: staff and council only)."
    )
    async def resolution(self, by: By = TrendsDimension.CATEGORY) -> list[TrendsResolutionRow]:
        return await self._indicators.resolution(by)

    @strawberry.field(
        description="Shares of items unrouted or whose delivery failed (staff and council only)."
    )
    async def routing(self) -> TrendsRouting:
        return await self._indicators.routing()

    @strawberry.field(description="Residents' feedback on items submitted in the period.")
    async def satisfaction(self) -> TrendsSatisfaction:
        return await self._indicators.satisfaction()

    @strawberry.field(description="Opinions on sensors given (or last changed) in the period.")
    async def sensors(
        self,
        by: Annotated[
            TrendsSensorGrouping, strawberry.argument(description="How to group the opinions.")
        ] = TrendsSensorGrouping.SENSOR,
    ) -> list[TrendsSensorRow]:
        return await self._indicators.sensors(by)

    @strawberry.field(description="Service requests per service, and the share through an agent.")
    async def service_requests(self) -> TrendsServiceRequests:
        return await self._indicators.service_requests()


@strawberry.type
class TrendsQuery:
    @strawberry.field(
        description="Trends over a period: anyone reads the open-data subset; council "
        "members and staff read every indicator. Never items, never persons.",
        metadata=field_access.public(scope="opendata:read"),
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
        context = info.context
        return Trends(
            _indicators=Indicators(
                db=context.db,
                translator=context.translator,
                reference=context.reference,
                period=checked,
                scope=rules.Scope(
                    kind=given.kind,
                    commune_code=given.commune_code,
                    subject=given.category_code,
                    body_code=given.body_code,
                ),
                full=full,
            )
        )


__all__ = ["TrendsGranularity", "TrendsQuery"]
