"""The transparency report as a page, as downloads (HTML, Markdown, JSON) in each language,
and as the API's transparencyReport: the same counts as the command's."""

from __future__ import annotations

import json

import httpx
import pytest

from service.context import Services
from service.i18n.translator import Translator
from service.privacy.transparency import to_markdown, transparency_report
from tests.support import operation, submit_report
from tests.web.support import LANGUAGES, assert_secure_page

pytestmark = pytest.mark.anyio


async def test_the_page_and_every_download_give_the_commands_counts_in_each_language(
    fresh_services: Services, fresh_client: httpx.AsyncClient
) -> None:
    # given two reports this year
    await submit_report(fresh_client)
    await submit_report(fresh_client)
    year = fresh_services.clock().year
    async with fresh_services.db.reading() as session:
        report = await transparency_report(session, year)
    for language in LANGUAGES:
        translator: Translator = fresh_services.translator(language)
        # when
        page = await fresh_client.get("/transparence", params={"annee": year, "lang": language})
        markdown = await fresh_client.get(f"/transparence/{year}.md", params={"lang": language})
        as_json = await fresh_client.get(f"/transparence/{year}.json", params={"lang": language})
        as_html = await fresh_client.get(f"/transparence/{year}.html", params={"lang": language})
        # then
        assert page.status_code == 200
        assert_secure_page(page)
        assert markdown.text == to_markdown(report, translator)
        assert "attachment" in markdown.headers["content-disposition"]
        data = json.loads(as_json.text)
        assert {k: data[k] for k in report} == report
        assert data["language"] == language
        assert (
            as_html.status_code == 200
            and f"rapport-transparence-{year}" in (as_html.headers["content-disposition"])
        )
        title = translator.gettext("Transparency report %(year)s", year=year)
        assert title in page.text and title in as_html.text
        assert f'<td class="number">{translator.number(2)}</td>' in page.text


async def test_the_api_gives_the_same_report(
    fresh_services: Services, fresh_client: httpx.AsyncClient
) -> None:
    # given
    await submit_report(fresh_client)
    year = fresh_services.clock().year
    async with fresh_services.db.reading() as session:
        report = await transparency_report(session, year)
    # when
    response = await fresh_client.post(
        "/graphql",
        json={"query": operation("TransparencyReport"), "variables": {"year": year}},
        headers={"accept-language": "fr"},
    )
    # then
    assert "errors" not in response.json(), response.json()
    found = response.json()["data"]["transparencyReport"]
    assert found["markdown"] == to_markdown(report, fresh_services.translator("fr"))
    assert found["title"] == f"Rapport de transparence {year}"
    kinds = found["sections"][0]["lines"]
    assert kinds == [{"key": "report", "label": "Signalement", "count": 1}]


async def test_a_future_or_malformed_year_is_refused(
    services: Services, client: httpx.AsyncClient
) -> None:
    year = services.clock().year + 1
    # when
    page = await client.get("/transparence", params={"annee": year, "lang": "en"})
    bad = await client.get("/transparence", params={"annee": "20x6", "lang": "en"})
    download = await client.get(f"/transparence/{year}.md")
    api = await client.post(
        "/graphql", json={"query": operation("TransparencyReport"), "variables": {"year": year}}
    )
    # then
    assert page.status_code == 400 and 'id="field-annee-error"' in page.text
    assert bad.status_code == 400
    assert download.status_code == 404
    errors = api.json()["errors"]
    assert len(errors) == 1 and errors[0]["extensions"]["code"] == "INVALID_YEAR"
