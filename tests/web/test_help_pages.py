"""Where to get help: the directory page (five languages, no script needed), its GeoJSON
(RFC 7946), and the links from the pages where a resident might be stuck."""

from __future__ import annotations

import json

import httpx
import pytest

from service.context import Services
from service.help_places.demo import load_demo_help_places
from tests.web.journeys import send_report, token_in
from tests.web.support import LANGUAGES, assert_secure_page, inline_code

pytestmark = pytest.mark.anyio


@pytest.fixture
async def demo(services: Services) -> Services:
    await load_demo_help_places(
        services.db, services.reference, services.settings.fixtures_dir, services.clock()
    )
    return services


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_directory_speaks_the_readers_language(
    demo: Services, client: httpx.AsyncClient, language: str
) -> None:
    # when
    response = await client.get(f"/aide-numerique?commune=49007&lang={language}")
    # then
    assert response.status_code == 200
    _, html = inline_code(response.text)
    assert (html["lang"], html["dir"]) == (language, "rtl" if language == "ar" else "ltr")
    assert_secure_page(response)
    assert "Médiathèque – Angers (exemple)" in response.text
    assert 'id="lieu-exemple-mairie-49007"' in response.text


async def test_the_directory_filters_by_commune_and_offer(
    demo: Services, client: httpx.AsyncClient
) -> None:
    # when
    response = await client.get("/aide-numerique?commune=49028&offre=printing&lang=en")
    # then: Béhuard has its town hall only, which prints
    assert response.status_code == 200
    assert response.text.count('class="help-place"') == 1
    assert "Béhuard" in response.text


async def test_the_directory_asks_for_a_commune_first(
    demo: Services, client: httpx.AsyncClient
) -> None:
    response = await client.get("/aide-numerique?commune=nowhere&lang=en")
    assert response.status_code == 200
    assert "Choose your commune to see the places that help there." in response.text
    assert 'class="help-place"' not in response.text


async def test_the_geojson_follows_rfc_7946(demo: Services, client: httpx.AsyncClient) -> None:
    # when
    response = await client.get("/help-places.geojson?commune=49007")
    # then
    assert response.headers["content-type"].startswith("application/geo+json")
    body = json.loads(response.text)
    assert body["type"] == "FeatureCollection"
    assert "crs" not in body  # RFC 7946: WGS 84 only, never named
    assert body["features"]
    for feature in body["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"
        longitude, latitude = feature["geometry"]["coordinates"]
        assert -0.8 < longitude < -0.3 and 47.3 < latitude < 47.6  # longitude first
        assert feature["properties"]["commune"] == "49007"
    assert (await client.get("/help-places.geojson?commune=99999")).status_code == 404


async def test_the_follow_and_confirmation_pages_say_where_to_get_help(
    demo: Services, client: httpx.AsyncClient
) -> None:
    # given
    sent = await send_report(client)
    token = token_in(sent.headers["location"])
    # when
    follow = await client.get(f"/suivi?jeton={token}&lang=en")
    confirmation = await client.get(f"/suivi/confirmation?jeton={token}&lang=en")
    # then
    for page in (follow, confirmation):
        assert "Need help with this?" in page.text
        assert "/aide-numerique?commune=" in page.text


async def test_the_home_page_and_a_forms_errors_lead_to_help(client: httpx.AsyncClient) -> None:
    # when
    home = await client.get("/?lang=en")
    refused = await send_report(client, "en", description="")
    # then
    assert 'href="/aide-numerique?lang=en"' in home.text
    assert refused.status_code == 400
    assert "Stuck? Find a place near you that helps" in refused.text
