"""Scoped periods (one kind, category or body) read from the scoped slices give exactly what
the roll-ups give: whole months and years from the slices, edge days from the roll-ups."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from service.context import Services
from service.trends import rollup, rules, slices
from service.trends.bins import percentile
from tests.trends.support import seed_march

pytestmark = pytest.mark.anyio

PERIODS = [
    rules.Period(date(2016, 3, 1), date(2016, 3, 31), rules.Granularity.DAY),
    rules.Period(date(2016, 1, 1), date(2016, 12, 31), rules.Granularity.MONTH),
    rules.Period(date(2016, 3, 10), date(2016, 3, 25), rules.Granularity.WEEK),
    rules.Period(date(2016, 2, 15), date(2016, 4, 10), rules.Granularity.MONTH),
]
SCOPES = [
    rules.Scope(kind="report"),
    rules.Scope(subject="pothole"),
    rules.Scope(body_code="alm-voirie"),
    rules.Scope(kind="report", commune_code="49007"),
    rules.Scope(subject="graffiti", commune_code="49246"),
]


def reading(histogram: dict[int, int]) -> tuple[Any, ...]:
    pairs = list(histogram.items())
    return sum(histogram.values()), percentile(pairs, 0.5), percentile(pairs, 0.9)


async def everything(services: Services) -> list[Any]:
    found: list[Any] = []
    async with services.db.reading() as session:
        for period in PERIODS:
            for scope in SCOPES:
                for dimension in rules.Dimension:
                    found.append(await rules.breakdown(session, period, scope, dimension))
                found.append(await rules.series(session, period, scope))
                for dimension in (rules.Dimension.CATEGORY, rules.Dimension.BODY):
                    found.append(await rules.resolution(session, period, scope, dimension))
                found.append(await rules.totals(session, period, scope))
                found.append(await rules.service_requests(session, period, scope))
                found.append(await rules.per_bucket(session, period, scope, rules.Dimension.KIND))
    return found


def plain(value: Any) -> Any:
    """Results compared by what is read from them: histograms by their count, median and
    90th percentile (the only percentiles published), zero cells aside."""
    if isinstance(value, dict):
        return {
            k: reading(v) if str(k).endswith("_bins") else plain(v)
            for k, v in value.items()
            if v != 0
        }
    if isinstance(value, list):
        return [plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {
            k: reading(getattr(value, k)) if k.endswith("_bins") else plain(getattr(value, k))
            for k in value.__dataclass_fields__
        }
    return value


async def test_scoped_slices_give_what_the_roll_ups_give(
    fresh_services: Services, fresh_client: httpx.AsyncClient
) -> None:
    # given items of March 2016, rolled up (scoped slices ready: a fresh database)
    await seed_march(fresh_client, fresh_services, 2016)
    await rollup.apply_outbox(fresh_services.db)
    async with fresh_services.db.reading() as session:
        assert await slices.scoped_ready(session)
    # when read from the scoped slices, then from the roll-ups alone
    from_slices = await everything(fresh_services)
    async with fresh_services.db.writing() as session:
        await session.exec(  # type: ignore[call-overload]
            text(
                "INSERT INTO trends_position (name, position) VALUES ('scoped', 0) "
                "ON CONFLICT (name) DO UPDATE SET position = 0"
            )
        )
    slices._ready.clear()
    async with fresh_services.db.reading() as session:
        assert not await slices.scoped_ready(session)
    from_roll_ups = await everything(fresh_services)
    # then
    assert plain(from_slices) == plain(from_roll_ups)
    assert any(plain(r) for r in from_slices)
    # and a rebuild makes them ready again
    await rollup.rebuild(fresh_services.db)
    async with fresh_services.db.reading() as session:
        assert await slices.scoped_ready(session)
