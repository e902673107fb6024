"""The absolute URLs the pages make (a sign's QR code, a tracking link) come from
SERVICE_PUBLIC_URL when it is set, never from a Host header; the cookies follow its scheme."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from service.settings import Settings
from tests.support import running_service, submit_report
from tests.web.test_pages import a_sensor

pytestmark = pytest.mark.anyio
PUBLIC = "https://signaler.example"
FORGED = {"host": "evil.example"}


async def test_a_printed_sign_and_a_tracking_link_use_the_public_url_not_the_host(
    fresh_settings: Settings,
) -> None:
    public = replace(fresh_settings, public_url=PUBLIC)
    async with running_service(public) as (services, client):
        # given
        slug = await a_sensor(services, client)
        token = (await submit_report(client))["trackingToken"]
        # when: asked with a forged Host header
        sign = await client.get(f"/capteurs/{slug}/panneau", headers=FORGED)
        confirmation = await client.get(f"/suivi/confirmation?jeton={token}", headers=FORGED)
    # then
    assert f"{PUBLIC}/capteurs/{slug}" in sign.text
    assert f"{PUBLIC}/suivi?jeton=" in confirmation.text
    assert "evil.example" not in sign.text + confirmation.text


async def test_cookies_are_secure_when_the_public_url_is_https(settings: Settings) -> None:
    async with running_service(replace(settings, public_url=PUBLIC)) as (_, client):
        # when: a form page (its CSRF cookie) in a chosen language (its cookie)
        response = await client.get("/signaler?lang=en")
    # then
    cookies = response.headers.get_list("set-cookie")
    assert len(cookies) == 2
    assert all("secure" in cookie.lower() for cookie in cookies)


async def test_the_csrf_cookie_lives_as_long_as_the_tokens_made_from_it(
    client: httpx.AsyncClient,
) -> None:
    # when: a first form, then another the next time (the cookie is already held)
    first = await client.get("/signaler")
    again = await client.get("/suivi")
    # then: each form's page sends the cookie again for a day, the token's life
    for response in (first, again):
        (cookie,) = [c for c in response.headers.get_list("set-cookie") if "csrf" in c.lower()]
        assert "Max-Age=86400" in cookie
