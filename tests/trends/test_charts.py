"""Charts: every chart in every language is a well-formed, accessible, script-free SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
import pytest

from service.context import Services
from service.settings import SUPPORTED_LOCALES
from service.trends import rollup
from service.trends.endpoints import CHARTS
from tests.trends.support import seed_march

pytestmark = pytest.mark.anyio
SVG = "{http://www.w3.org/2000/svg}"
AXIS = {"fr": "Demandes", "en": "Items", "es": "Solicitudes", "de": "Anliegen", "ar": "الطلبات"}


async def test_every_chart_renders_in_every_language(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    await seed_march(client, services, 2018)
    await rollup.apply_outbox(services.db)
    for name in CHARTS:
        for language in SUPPORTED_LOCALES:
            # when
            response = await client.get(
                f"/trends/charts/{name}.svg?start=2018-03-01&end=2018-03-31&granularity=week",
                headers={"accept-language": language},
            )
            # then
            assert response.status_code == 200, (name, language, response.text)
            assert response.headers["content-type"].startswith("image/svg+xml")
            root = ET.fromstring(response.content)
            assert root.tag == f"{SVG}svg" and root.get("role") == "img"
            title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
            assert title is not None and title.text and desc is not None and desc.text
            assert root.find(f".//{SVG}script") is None
            assert not any(a.startswith("on") for e in root.iter() for a in e.attrib)
            texts = [e.text or "" for e in root.iter(f"{SVG}text")]
            if name.startswith("items"):
                assert AXIS[language] in texts, (name, language)


async def test_the_series_chart_formats_dates_and_numbers_for_the_reader(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    await seed_march(client, services, 2018)
    await rollup.apply_outbox(services.db)
    # when
    french = await client.get(
        "/trends/charts/items.svg?start=2018-03-01&end=2018-03-31&granularity=week&locale=fr"
    )
    german = await client.get(
        "/trends/charts/items.svg?start=2018-03-01&end=2018-03-31&granularity=week&locale=de"
    )
    # then
    assert "1 mars 2018" in french.text and "01.03.2018" in german.text
    assert "Semaine" in french.text and "Woche" in german.text


async def test_bad_chart_requests_are_explained(client: httpx.AsyncClient) -> None:
    unknown = await client.get("/trends/charts/people.svg")
    reversed_period = await client.get(
        "/trends/charts/items.svg?start=2018-03-31&end=2018-03-01",
        headers={"accept-language": "es"},
    )
    assert unknown.status_code == 404 and "items-by-commune" in unknown.text
    assert reversed_period.status_code == 400 and reversed_period.text


async def test_a_chart_whose_every_value_is_withheld_does_not_say_there_is_no_data(
    services: Services,
) -> None:
    # given: 19 items by kind: 15 reports and 4 requests, both withheld (the 4 is small, the
    # 15 would give it away from the total)
    from datetime import date

    from service.trends import rules
    from service.trends.endpoints import make_bar, make_chart

    translator = services.translator("en")
    period = rules.Period(date(2026, 3, 1), date(2026, 3, 31))
    bars = [make_bar(kind, None, "—", translator) for kind in ("Report", "Request")]
    # when
    chart = make_chart(
        translator, period, title="Items by kind", axis="Items", categories="Kind",
        bars=bars, vertical=False, total="19",
    )  # fmt: skip
    # then
    assert "No data" not in chart.description
    assert "Total: 19." in chart.description
    assert chart.note is not None and "work such a number out" in chart.note
