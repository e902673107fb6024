"""The pages' foundation: language, direction, security headers, static files, GraphiQL."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from service.settings import Settings
from tests.support import running_service
from tests.web.support import LANGUAGES, assert_secure_page, inline_code

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_home_page_speaks_the_language_asked_for(
    client: httpx.AsyncClient, language: str
) -> None:
    # when
    response = await client.get(f"/?lang={language}")
    # then
    assert response.status_code == 200
    _, html = inline_code(response.text)
    assert html["lang"] == language
    assert html["dir"] == ("rtl" if language == "ar" else "ltr")
    assert response.headers["content-language"] == language
    assert_secure_page(response)


async def test_the_language_follows_the_browser_then_the_choice_is_remembered(
    client: httpx.AsyncClient,
) -> None:
    # given: a German browser
    german = await client.get("/", headers={"accept-language": "de-DE,de;q=0.9"})
    # when: the reader picks Spanish, then comes back
    chosen = await client.get("/?lang=es", headers={"accept-language": "de"})
    later = await client.get("/", headers={"accept-language": "de"})
    # then
    assert inline_code(german.text)[1]["lang"] == "de"
    assert "alm_lang=es" in chosen.headers["set-cookie"]
    assert "httponly" in chosen.headers["set-cookie"].lower()
    assert inline_code(later.text)[1]["lang"] == "es"


async def test_french_is_the_default_language(client: httpx.AsyncClient) -> None:
    # when
    response = await client.get("/", headers={"accept-language": "ja"})
    # then
    assert inline_code(response.text)[1]["lang"] == "fr"
    assert "Que souhaitez-vous faire ?" in response.text


async def test_the_stylesheet_is_served_compressed_and_cached_by_version(
    client: httpx.AsyncClient,
) -> None:
    # given
    home = await client.get("/")
    href = home.text.split('rel="stylesheet" href="')[1].split('"')[0]
    # when
    response = await client.get(href, headers={"accept-encoding": "gzip"})
    # then
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "immutable" in response.headers["cache-control"]
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_graphiql_comes_from_the_package_not_from_a_cdn(settings: Settings) -> None:
    # given: demo mode (GraphiQL on)
    async with running_service(replace(settings, graphiql=True)) as (_, client):
        # when
        response = await client.get("/graphql", headers={"accept": "text/html"})
        scripts = [part.split('"')[0] for part in response.text.split('src="')[1:]]
        assets = [await client.get(src) for src in scripts]
    # then
    assert response.status_code == 200
    assert "https://" not in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert len(scripts) == 4
    assert all(asset.status_code == 200 for asset in assets)
