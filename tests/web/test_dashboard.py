"""The council dashboard over HTTP: the public part for anyone, every indicator for council
members signed in, the same numbers as the ``trends`` query, withheld cells drawn and said."""

from __future__ import annotations

import re
import uuid
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest

from service.context import Services
from service.staff import rules as staff_rules
from service.staff.models import Role
from service.trends import rollup
from tests.support import operation
from tests.trends.support import seed_march
from tests.web.support import LANGUAGES, assert_secure_page

pytestmark = pytest.mark.anyio

PASSWORD = "correct horse battery"


class Tables(HTMLParser):
    """The rows of each table of a page (by its id): the header cell, then the others."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current: str | None = None
        self.row: list[str] | None = None
        self.text: list[str] | None = None
        self.hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "table":
            self.current = names.get("id") or ""
            self.tables[self.current] = []
        elif tag == "tr" and self.current is not None:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.text = []
        elif tag == "span" and names.get("class") == "visually-hidden" and self.text is not None:
            self.hidden_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.current = None
        elif tag == "tr" and self.row is not None and self.current is not None:
            self.tables[self.current].append(self.row)
            self.row = None
        elif tag in ("td", "th") and self.text is not None and self.row is not None:
            self.row.append("".join(self.text).strip())
            self.text = None
        elif tag == "span" and self.hidden_depth:
            self.hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if self.text is not None and not self.hidden_depth:
            self.text.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


def march(year: int) -> dict[str, str]:
    """March of ``year``: each test seeds its own year (the database is shared)."""
    return {"periode": f"{year}-03"}


async def trends(client: httpx.AsyncClient, year: int, by: str) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={
            "query": operation("Trends"),
            "variables": {
                "period": {
                    "start": f"{year}-03-01",
                    "end": f"{year}-03-31",
                    "granularity": "DAY",
                },
                "by": by,
            },
        },
        headers={"accept-language": "fr"},
    )
    body = response.json()
    assert "errors" not in body, body
    return dict(body["data"]["trends"])


async def council_cookie(services: Services, client: httpx.AsyncClient) -> str:
    """A council member's session cookie, from the API's own log-in."""
    email = f"elue-{uuid.uuid4().hex[:8]}@angers.fr"
    async with services.db.writing() as session:
        await staff_rules.create_staff(
            session,
            email=email,
            name="Élue",
            body_code="alm",
            role=Role.COUNCIL,
            password=PASSWORD,
            now=services.clock(),
        )
    response = await client.post(
        "/graphql",
        json={
            "query": operation("StaffLogin"),
            "variables": {"email": email, "password": PASSWORD},
        },
    )
    assert response.json()["data"]["staffLogin"]["errors"] == []
    cookie = response.cookies.get(staff_rules.SESSION_COOKIE)
    assert cookie
    client.cookies.clear()
    return str(cookie)


async def test_the_public_dashboard_shows_the_numbers_of_trends_with_withheld_cells_said(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given reports of March 2011, one category with 3 items (withheld)
    await seed_march(client, services, 2011)
    await rollup.apply_outbox(services.db)
    expected = await trends(client, 2011, "CATEGORY")
    # when
    response = await client.get("/tableau-de-bord", params={**march(2011), "lang": "fr"})
    # then
    assert response.status_code == 200
    assert_secure_page(response)
    found = tables(response.text)
    rows = {row[0]: row[1] for row in found["table-category"][1:-1]}
    for row in expected["breakdown"]["rows"]:
        assert rows[row["label"]] == row["count"]["label"]
    assert any(row["count"]["suppressed"] for row in expected["breakdown"]["rows"])
    assert "Retenu : moins de 5 éléments" in response.text
    total = found["table-category"][-1]
    assert total[1] == expected["breakdown"]["total"]["label"]
    series = {row[0]: row[1] for row in found["table-series"][1:]}
    assert series == {p["label"]: p["count"]["label"] for p in expected["series"]}
    assert "table-channel" not in found and "table-body" not in found
    # the charts are inlined, with one bar per shown row and the same labels
    assert response.text.count("<svg") == 7
    first = expected["breakdown"]["rows"][0]
    bar = f'>{first["label"]}</text><rect class="bar"'
    assert bar in response.text and f">{first['count']['label']}</text></g>" in response.text
    assert 'href="/opendata/items-by-category.csv?year=2011"' in response.text


async def test_a_council_member_signed_in_reads_every_indicator(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given
    await seed_march(client, services, 2012)
    await rollup.apply_outbox(services.db)
    cookie = await council_cookie(services, client)
    # when
    client.cookies.set(staff_rules.SESSION_COOKIE, cookie)
    response = await client.get("/tableau-de-bord", params={**march(2012), "lang": "fr"})
    # then
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    found = tables(response.text)
    assert {"table-channel", "table-body", "table-routing", "table-resolution-body"} <= set(found)
    assert 'name="organisme"' in response.text


async def test_a_forged_session_cookie_reads_the_public_part_only(
    client: httpx.AsyncClient,
) -> None:
    # given
    client.cookies.set(staff_rules.SESSION_COOKIE, "forged.value")
    # when
    response = await client.get("/tableau-de-bord", params=march(2012))
    # then
    assert response.status_code == 200
    assert "table-body" not in tables(response.text)


async def test_a_scope_narrows_every_indicator(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given
    await seed_march(client, services, 2013)
    await rollup.apply_outbox(services.db)
    # when
    response = await client.get(
        "/tableau-de-bord", params={**march(2013), "lang": "en", "categorie": "pothole"}
    )
    # then
    found = tables(response.text)
    assert [row[0] for row in found["table-category"][1:-1]] == ["Pothole"]


async def test_a_wrong_period_or_scope_is_said_beside_its_field(
    client: httpx.AsyncClient,
) -> None:
    for params, field in (
        ({"periode": "2023-13"}, "periode"),
        ({"periode": "custom", "du": "2023-03-10", "au": "2023-03-01"}, "au"),
        ({"periode": "custom", "du": "hier", "au": "2023-03-01"}, "du"),
        ({"periode": "2023", "commune": "99999"}, "commune"),
    ):
        # when
        response = await client.get("/tableau-de-bord", params={**params, "lang": "en"})
        # then
        assert response.status_code == 400, params
        assert f'id="field-{field}-error"' in response.text, params


async def test_a_scope_by_body_is_refused_to_anonymous_readers(client: httpx.AsyncClient) -> None:
    # when
    response = await client.get(
        "/tableau-de-bord", params={"periode": "2023", "organisme": "alm", "lang": "en"}
    )
    # then
    assert response.status_code == 400
    assert "This indicator is for council members and staff: please log in." in response.text
    assert "table-body" not in tables(response.text)


async def test_the_dashboard_answers_in_every_language_with_its_direction(
    client: httpx.AsyncClient,
) -> None:
    for language in LANGUAGES:
        # when
        response = await client.get(
            "/tableau-de-bord", params={"periode": "2023-T1", "lang": language}
        )
        # then
        assert response.status_code == 200
        assert_secure_page(response)
        direction = "rtl" if language == "ar" else "ltr"
        assert re.search(rf'<html lang="{language}" dir="{direction}"', response.text)
        assert 'direction="rtl"' in response.text if language == "ar" else True
