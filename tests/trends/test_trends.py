"""Trends against a direct computation over the item rows, suppression, rebuild, access."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from service.context import Services
from service.db import Database
from service.items.models import Item
from service.staff.models import Role
from service.trends import rollup
from service.trends.anonymity import K
from service.trends.bins import RELATIVE_ERROR, exact_percentile
from service.trends.models import (
    DURATION_KEY,
    ROLLUP_KEY,
    SCOPED_SLICE_HISTOGRAM_KEY,
    SCOPED_SLICE_KEY,
    SLICE_HISTOGRAM_KEY,
    SLICE_KEY,
    TrendsDaily,
    TrendsDuration,
    TrendsScopedSlice,
    TrendsScopedSliceHistogram,
    TrendsSlice,
    TrendsSliceHistogram,
)
from tests.support import graphql, operation
from tests.trends.support import (
    cells,
    hours_between,
    march_items,
    period,
    seed_march,
    staff_token,
)

pytestmark = pytest.mark.anyio


async def trends(
    client: httpx.AsyncClient,
    token: str | None,
    by: str = "CATEGORY",
    name: str = "Trends",
    year: int = 2021,
) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql",
        json={"query": operation(name), "variables": {"period": period(year), "by": by}},
        headers=headers | {"accept-language": "fr"},
    )
    body: dict[str, Any] = response.json()
    return body


def close(found: float | None, exact: float | None) -> bool:
    assert found is not None and exact is not None
    return abs(found - exact) <= max(exact * RELATIVE_ERROR, 1 / 60) + 1e-9


async def test_every_indicator_matches_a_direct_computation_over_the_items(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given reports of March 2021 with known histories, rolled up from the outbox
    await seed_march(client, services)
    await rollup.apply_outbox(services.db)
    items = await march_items(services)
    token = await staff_token(services, Role.COUNCIL)
    # when
    body = await trends(client, token)
    # then
    assert "errors" not in body, body
    data = body["data"]["trends"]
    by_category = Counter(i.category_code for i in items)
    shown = cells(data["breakdown"]["rows"])
    assert data["breakdown"]["total"]["value"] == len(items)
    # small cells are withheld, and the smallest others with them until the withheld cells
    # are at least two and count at least K together (the total reveals nothing smaller)
    hidden = {code for code, count in by_category.items() if count < K}
    for code in sorted(by_category, key=lambda c: by_category[c]):
        if hidden and (len(hidden) < 2 or sum(by_category[c] for c in hidden) < K):
            hidden.add(code)
    assert "noise" in hidden and len(hidden) >= 2
    for code, count in by_category.items():
        assert shown[code] == (None if code in hidden else count)
    for row in data["resolution"]:
        group = [i for i in items if i.category_code == row["key"]]
        if row["key"] in hidden:  # withheld whole, durations included
            assert row["items"]["suppressed"] and row["medianToResolve"]["hours"] is None
            continue
        to_ack = [h for i in group if (h := hours_between(i.acknowledged_at, i.created_at))]
        to_fix = [h for i in group if (h := hours_between(i.resolved_at, i.created_at))]
        assert close(row["medianToAcknowledge"]["hours"], exact_percentile(to_ack, 0.5))
        assert close(row["p90ToAcknowledge"]["hours"], exact_percentile(to_ack, 0.9))
        assert close(row["medianToResolve"]["hours"], exact_percentile(to_fix, 0.5))
        assert close(row["p90ToResolve"]["hours"], exact_percentile(to_fix, 0.9))
        within_7 = sum(1 for h in to_fix if h <= 7 * 24)
        within_30 = sum(1 for h in to_fix if h <= 30 * 24)
        for share, within in (
            (row["resolvedWithin7Days"], within_7),
            (row["resolvedWithin30Days"], within_30),
        ):
            if share["suppressed"]:
                assert 0 < within < K or 0 < len(group) - within < K
            else:
                assert share["value"] == pytest.approx(within / len(group))
    answers = [i for i in items if i.feedback_fixed is not None]
    ratings = [i.feedback_rating for i in items if i.feedback_rating is not None]
    satisfaction = data["satisfaction"]
    assert satisfaction["answers"]["value"] == len(answers)
    fixed = sum(1 for i in answers if i.feedback_fixed)
    if not satisfaction["fixedRate"]["suppressed"]:
        assert satisfaction["fixedRate"]["value"] == pytest.approx(fixed / len(answers))
    assert satisfaction["meanRating"]["value"] == pytest.approx(sum(ratings) / len(ratings))
    weekly = sum(p["count"]["value"] or 0 for p in data["series"])
    assert weekly <= len(items) and [p["start"] for p in data["series"]][0] == "2021-03-01"
    assert "%" in satisfaction["fixedRate"]["label"] or satisfaction["fixedRate"]["suppressed"]


async def test_routing_shares_match_the_items_for_council_members(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    await seed_march(client, services, 2022)
    await rollup.apply_outbox(services.db)
    items = await march_items(services, 2022)
    token = await staff_token(services, Role.COUNCIL)
    # when
    body = await trends(client, token, name="TrendsRouting", year=2022)
    # then
    routing = body["data"]["trends"]["routing"]
    unrouted = sum(1 for i in items if i.delivery_state == "unrouted")
    assert routing["items"]["value"] == len(items)
    assert routing["unroutedShare"]["value"] == pytest.approx(unrouted / len(items))


async def test_anonymous_callers_read_the_public_subset_only(
    client: httpx.AsyncClient, services: Services
) -> None:
    # when
    public = await trends(client, None, by="COMMUNE")
    by_body = await trends(client, None, by="BODY")
    routing = await trends(client, None, name="TrendsRouting")
    # then
    assert "errors" not in public and public["data"]["trends"]["full"] is False
    for refused in (by_body, routing):
        assert len(refused["errors"]) == 1
        assert refused["errors"][0]["extensions"]["code"] == "NOT_PUBLIC"


async def test_a_rebuild_gives_the_roll_ups_maintained_from_the_outbox(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given roll-ups maintained incrementally, with changes after the first application
    await seed_march(client, services, 2022)
    await rollup.apply_outbox(services.db)
    await seed_march(client, services, 2022)
    await rollup.apply_outbox(services.db)
    incremental = await snapshot(services)
    # when
    counted = await rollup.rebuild(services.db)
    # then
    assert counted > 0 and all(incremental)
    assert await snapshot(services) == incremental


async def test_workers_applying_the_outbox_at_once_count_each_change_once(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given changes waiting in the outbox, and a second process's database handle
    await rollup.apply_outbox(services.db)
    await seed_march(client, services, 2024)
    other = Database(services.settings.resolved_database_url)
    # when two workers drain it at the same time, in small batches
    try:
        await asyncio.gather(
            *(
                rollup.apply_outbox_batch(db, limit=7)
                for db in (services.db, other)
                for _ in range(12)
            )
        )
        await rollup.apply_outbox(services.db)
    finally:
        await other.dispose()
    concurrent = await snapshot(services)
    # then
    await rollup.rebuild(services.db)
    assert await snapshot(services) == concurrent


async def snapshot(services: Services) -> list[set[tuple[Any, ...]]]:
    """Every non-empty row of the roll-ups and slices, without its id."""
    found = []
    async with services.db.reading() as session:
        for model, key in (
            (TrendsDaily, ROLLUP_KEY),
            (TrendsDuration, DURATION_KEY),
            (TrendsSlice, SLICE_KEY),
            (TrendsSliceHistogram, SLICE_HISTOGRAM_KEY),
            (TrendsScopedSlice, SCOPED_SLICE_KEY),
            (TrendsScopedSliceHistogram, SCOPED_SLICE_HISTOGRAM_KEY),
        ):
            table = model.__table__  # type: ignore[attr-defined]
            rows = (await session.exec(select(table))).mappings().all()  # type: ignore[call-overload]
            counters = [c.name for c in table.columns if c.name not in (*key, "id")]
            found.append(
                {
                    tuple(row[c] for c in (*key, *counters))
                    for row in rows
                    if any(row[c] for c in counters)
                }
            )
    return found


async def test_bad_periods_get_a_typed_error(client: httpx.AsyncClient) -> None:
    # when
    response = await graphql(
        client,
        "query($p: TrendsPeriodInput!) { trends(period: $p) { start } }",
        {"p": {"start": "2021-03-31", "end": "2021-03-01"}},
        language="de",
    )
    # then
    errors = response.json()["errors"]
    assert len(errors) == 1 and errors[0]["extensions"]["code"] == "INVALID_PERIOD"


@pytest.mark.parametrize(
    ("scope", "keep"),
    [
        ({"communeCode": "49007"}, lambda i: i.commune_code == "49007"),  # read from slices
        ({"kind": "report"}, lambda i: i.kind == "report"),  # read from the roll-ups
        ({"categoryCode": "pothole"}, lambda i: i.category_code == "pothole"),
    ],
)
async def test_scoped_trends_count_the_items_in_scope(
    client: httpx.AsyncClient,
    services: Services,
    scope: dict[str, str],
    keep: Callable[[Item], bool],
) -> None:
    # given
    await seed_march(client, services, 2023)
    await rollup.apply_outbox(services.db)
    items = [i for i in await march_items(services, 2023) if keep(i)]
    # when
    response = await client.post(
        "/graphql",
        json={
            "query": operation("Trends"),
            "variables": {"period": period(2023), "scope": scope, "by": "STATUS"},
        },
    )
    # then
    data = response.json()["data"]["trends"]
    assert data["breakdown"]["total"]["value"] == len(items)
    by_status = Counter(i.status for i in items)
    shown = cells(data["breakdown"]["rows"])
    for status, count in by_status.items():
        assert shown[status] in (count, None)
        if count < K:
            assert shown[status] is None
    resolved = [h for i in items if (h := hours_between(i.resolved_at, i.created_at))]
    categories = {row["key"]: row for row in data["resolution"]}
    if scope.get("categoryCode") == "pothole":
        assert close(
            categories["pothole"]["medianToResolve"]["hours"], exact_percentile(resolved, 0.5)
        )
