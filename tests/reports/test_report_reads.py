"""Public reads of reports: one, a page, nearby; supports; and a constant number of SQL
statements whatever the page size."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import event

from service.context import Services
from tests.support import (
    ANGERS_TOWN_HALL,
    PONTS_DE_CE_TOWN_HALL,
    data_of,
    operation,
    submit_report,
)

pytestmark = pytest.mark.anyio


async def test_a_report_reads_publicly_with_its_history(client: httpx.AsyncClient) -> None:
    # given
    reference = (await submit_report(client))["report"]["reference"]
    # when
    data = await data_of(client, operation("Report"), {"reference": reference}, language="fr")
    # then
    report = data["report"]
    assert report["reference"] == reference
    assert report["kind"] == "REPORT"
    assert (report["status"], report["statusClass"]) == ("SUBMITTED", "OPEN")
    assert report["category"] == {"code": "pothole", "label": "Nid-de-poule"}
    assert report["history"][0]["kind"] == "CREATED"


async def test_an_unknown_reference_is_null(client: httpx.AsyncClient) -> None:
    data = await data_of(client, operation("Report"), {"reference": "ALM-1999-000001"})
    assert data["report"] is None


async def test_reports_are_paged_newest_first_with_keyset_cursors(
    fresh_client: httpx.AsyncClient,
) -> None:
    # given: 7 reports
    references = [(await submit_report(fresh_client))["report"]["reference"] for _ in range(7)]
    # when: pages of 3
    pages, after = [], None
    while True:
        data = await data_of(fresh_client, operation("Reports"), {"first": 3, "after": after})
        connection = data["reports"]
        pages.append([e["node"]["reference"] for e in connection["edges"]])
        assert connection["totalCount"] == 7
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    # then
    assert pages == [references[::-1][0:3], references[::-1][3:6], references[::-1][6:7]]


async def test_reports_are_filtered_by_commune_category_status_and_box(
    fresh_client: httpx.AsyncClient,
) -> None:
    # given
    await submit_report(fresh_client, categoryCode="pothole", point=ANGERS_TOWN_HALL)
    await submit_report(fresh_client, categoryCode="graffiti", point=ANGERS_TOWN_HALL)
    await submit_report(fresh_client, categoryCode="pothole", point=PONTS_DE_CE_TOWN_HALL)

    async def count(report_filter: dict[str, object]) -> int:
        data = await data_of(fresh_client, operation("Reports"), {"filter": report_filter})
        total: int = data["reports"]["totalCount"]
        assert total == len(data["reports"]["edges"])
        return total

    # when / then
    assert await count({}) == 3
    assert await count({"commune": "49007"}) == 2
    assert await count({"category": "pothole"}) == 2
    assert await count({"commune": "49246", "category": "pothole"}) == 1
    assert await count({"status": ["RESOLVED"]}) == 0
    assert await count({"status": ["SUBMITTED", "RESOLVED"]}) == 3
    box = {"south": 47.46, "west": -0.56, "north": 47.48, "east": -0.54}
    assert await count({"bbox": box}) == 2
    assert await count({"since": "2999-01-01T00:00:00+00:00"}) == 0


@contextmanager
def counting_statements(services: Services) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    engine = services.db.read_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_a_page_costs_the_same_number_of_statements_for_5_or_50_reports(
    fresh_client: httpx.AsyncClient, fresh_services: Services
) -> None:
    # given: 50 reports in several communes and categories
    points = [ANGERS_TOWN_HALL, PONTS_DE_CE_TOWN_HALL]
    for index in range(50):
        await submit_report(
            fresh_client,
            categoryCode=["pothole", "graffiti", "light_out"][index % 3],
            point=points[index % 2],
        )
    # when
    with counting_statements(fresh_services) as small:
        await data_of(fresh_client, operation("Reports"), {"first": 5})
    with counting_statements(fresh_services) as large:
        await data_of(fresh_client, operation("Reports"), {"first": 50})
    # then: the page and its count; communes and categories come from memory
    assert len(small) == len(large) == 2
    # and each report's history too costs one statement for the whole page, not one per report
    with_history = "query($n: Int) { reports(first: $n) { edges { node { history { kind } } } } }"
    with counting_statements(fresh_services) as small:
        await data_of(fresh_client, with_history, {"n": 5})
    with counting_statements(fresh_services) as large:
        data = await data_of(fresh_client, with_history, {"n": 50})
    assert len(small) == len(large) == 3
    assert all(edge["node"]["history"][0]["kind"] == "CREATED" for edge in data["reports"]["edges"])


async def test_nearby_reports_show_open_ones_of_the_same_category_nearest_first(
    fresh_client: httpx.AsyncClient,
) -> None:
    # given: two potholes at ~0 m and ~110 m, one graffiti, one pothole 5 km away
    lat, lon = ANGERS_TOWN_HALL
    here = (await submit_report(fresh_client, point=(lat, lon)))["report"]["reference"]
    near = (await submit_report(fresh_client, point=(lat + 0.001, lon)))["report"]["reference"]
    await submit_report(fresh_client, categoryCode="graffiti", point=(lat, lon))
    await submit_report(fresh_client, point=PONTS_DE_CE_TOWN_HALL)
    # when
    data = await data_of(
        fresh_client,
        operation("NearbyReports"),
        {"latitude": lat, "longitude": lon, "categoryCode": "pothole"},
    )
    # then
    found = data["nearbyReports"]["reports"]
    assert [f["report"]["reference"] for f in found] == [here, near]
    assert found[0]["distanceMeters"] == 0
    assert 100 <= found[1]["distanceMeters"] <= 120


async def test_nearby_refuses_a_radius_out_of_range(client: httpx.AsyncClient) -> None:
    lat, lon = ANGERS_TOWN_HALL
    data = await data_of(
        client, operation("NearbyReports"), {"latitude": lat, "longitude": lon, "radiusMeters": 0}
    )
    assert [e["code"] for e in data["nearbyReports"]["errors"]] == ["RADIUS_OUT_OF_RANGE"]


async def test_a_support_counts_once_per_device(client: httpx.AsyncClient) -> None:
    # given
    reference = (await submit_report(client))["report"]["reference"]

    async def support(device: str) -> dict[str, object]:
        data = await data_of(
            client, operation("ReportSupport"), {"reference": reference, "deviceKey": device}
        )
        result: dict[str, object] = data["reportSupport"]
        return result

    # when
    first = await support("device-aaaa-1111")
    again = await support("device-aaaa-1111")
    other = await support("device-bbbb-2222")
    # then
    assert (first["counted"], again["counted"], other["counted"]) == (True, False, True)
    assert other["report"] == {"reference": reference, "supportCount": 2}


async def test_supporting_an_unknown_report_is_a_typed_error(client: httpx.AsyncClient) -> None:
    data = await data_of(
        client,
        operation("ReportSupport"),
        {"reference": "ALM-1999-000001", "deviceKey": "device-aaaa-1111"},
    )
    assert [e["code"] for e in data["reportSupport"]["errors"]] == ["NOT_FOUND"]
