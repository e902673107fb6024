"""Open-data files: the public aggregates as CSV and JSON, k-anonymous, cacheable."""

from __future__ import annotations

import csv
import io
from collections import Counter

import httpx
import pytest

from service.context import Services
from service.trends import rollup
from service.trends.anonymity import K
from service.trends.opendata import DATASETS
from tests.trends.support import march_items, seed_march

pytestmark = pytest.mark.anyio


async def test_items_by_category_csv_matches_the_items_and_withholds_small_cells(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    await seed_march(client, services, 2019)
    await rollup.apply_outbox(services.db)
    items = await march_items(services, 2019)
    # when
    response = await client.get("/opendata/items-by-category.csv?year=2019")
    # then
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert list(rows[0]) == [c.name for c in DATASETS["items-by-category"].columns]
    march = {r["code"]: r for r in rows if r["month"] == "2019-03-01"}
    expected = Counter(i.category_code for i in items)
    assert set(march) == set(expected)
    for code, count in expected.items():
        if count < K:
            assert march[code]["items"] == "" and march[code]["suppressed"] == "true"
        elif march[code]["suppressed"] == "false":
            assert int(march[code]["items"]) == count
    withheld = [r for r in march.values() if r["suppressed"] == "true"]
    assert len(withheld) >= 2  # a small cell never stands alone against the month's total


async def test_json_carries_its_schema_and_an_etag_answers_304(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    await rollup.apply_outbox(services.db)
    first = await client.get(
        "/opendata/items-by-month.json?year=2019", headers={"accept-language": "de"}
    )
    # when
    again = await client.get(
        "/opendata/items-by-month.json?year=2019",
        headers={"if-none-match": first.headers["etag"], "accept-language": "de"},
    )
    # then
    document = first.json()
    assert first.status_code == 200 and document["dataset"] == "items-by-month"
    assert [f["name"] for f in document["schema"]["fields"]] == [
        c.name for c in DATASETS["items-by-month"].columns
    ]
    assert len(document["rows"]) == 12 and document["k_anonymity"] == K
    assert again.status_code == 304 and again.headers["etag"] == first.headers["etag"]


@pytest.mark.parametrize("name", list(DATASETS))
async def test_every_dataset_is_served_in_both_formats(
    client: httpx.AsyncClient, name: str
) -> None:
    for fmt in ("csv", "json"):
        response = await client.get(f"/opendata/{name}.{fmt}?year=2019")
        assert response.status_code == 200, response.text


async def test_unknown_datasets_and_bad_years_are_explained(client: httpx.AsyncClient) -> None:
    missing = await client.get("/opendata/people.csv", headers={"accept-language": "fr"})
    bad_year = await client.get("/opendata/items-by-month.csv?year=21")
    assert missing.status_code == 404 and "items-by-month" in missing.text
    assert bad_year.status_code == 400
