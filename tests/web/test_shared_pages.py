"""Pages rendered once for every reader (a sensor's page and sign, the register, the blank
forms): each reader still gets their own CSRF token and idempotency keys, and a change of
what the page shows (a staff edit, an opinion) is on the next request."""

from __future__ import annotations

import re

import httpx
import pytest

from service.context import Services
from service.staff.models import Role
from tests.sensors.support import create_sensor, staff
from tests.web.support import csrf_token, hidden

pytestmark = pytest.mark.anyio
FORM = {"content-type": "application/x-www-form-urlencoded"}


def keys(html: str) -> list[str]:
    return re.findall(r'name="idempotency_key" value="([^"]+)"', html)


def without_own_parts(html: str) -> str:
    """The page less what is each reader's own (CSRF tokens, idempotency keys)."""
    html = re.sub(r'name="csrf_token" value="[^"]+"', "", html)
    return re.sub(r'name="idempotency_key" value="[^"]+"', "", html)


@pytest.mark.parametrize("path", ["/capteurs/{slug}", "/signaler", "/demandes/bulky_waste_pickup"])
async def test_two_readers_of_a_shared_page_get_their_own_csrf_token_and_keys(
    services: Services, client: httpx.AsyncClient, path: str
) -> None:
    # given
    member = await staff(services, client, "alm-voirie", Role.AGENT)
    slug = (await create_sensor(member))["slug"]
    url = path.format(slug=slug)
    # when: two browsers, each with its own cookies
    first = await client.get(url)
    client.cookies.clear()
    second = await client.get(url)
    # then
    assert first.status_code == second.status_code == 200
    assert csrf_token(first.text) != csrf_token(second.text)
    assert keys(first.text) and set(keys(first.text)).isdisjoint(keys(second.text))
    assert len(set(keys(first.text))) == len(keys(first.text))  # one key per form
    assert without_own_parts(first.text) == without_own_parts(second.text)
    assert "@@" not in first.text


async def test_a_token_of_a_shared_page_is_taken_by_its_form(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given: the page a second reader gets (rendered for the first)
    member = await staff(services, client, "alm-voirie", Role.AGENT)
    slug = (await create_sensor(member))["slug"]
    await client.get(f"/capteurs/{slug}")
    client.cookies.clear()
    page = await client.get(f"/capteurs/{slug}")
    form_html = page.text.split(f'action="/capteurs/{slug}/question')[1]
    # when
    sent = await client.post(
        f"/capteurs/{slug}/question",
        data={
            "csrf_token": csrf_token(form_html),
            "idempotency_key": hidden(form_html, "idempotency_key"),
            "question": "Qui lit ces données ?",
        },
        headers=FORM,
    )
    # then
    assert sent.status_code == 303


async def test_the_sensor_page_and_sign_show_a_staff_edit_at_once(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given: the page, the sign and the register seen once (kept for the next readers)
    member = await staff(services, client, "alm-voirie", Role.AGENT)
    slug = (await create_sensor(member))["slug"]
    for path in (f"/capteurs/{slug}", f"/capteurs/{slug}/panneau", "/capteurs"):
        assert "Capteur renommé" not in (await client.get(path)).text
    # when
    await member.data("SensorUpdate", {"input": {"slug": slug, "name": "Capteur renommé"}})
    await member.data("SensorReplyPublish", {"slug": slug, "text": "Nous avons lu vos avis."})
    # then
    page = await client.get(f"/capteurs/{slug}")
    assert "Capteur renommé" in page.text
    assert "Nous avons lu vos avis." in page.text
    assert "Capteur renommé" in (await client.get(f"/capteurs/{slug}/panneau")).text


async def test_the_sensor_page_counts_a_new_opinion_at_once(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given: a sensor with 4 opinions (withheld below 5), its page seen once
    member = await staff(services, client, "alm-voirie", Role.AGENT)
    slug = (await create_sensor(member))["slug"]
    for n in range(5):
        if n == 4:
            seen = await client.get(f"/capteurs/{slug}")
            assert "Moins de 5 avis" in seen.text
        client.cookies.clear()  # another device
        page = await client.get(f"/capteurs/{slug}")
        form_html = page.text.split(f'action="/capteurs/{slug}/avis"')[1]
        sent = await client.post(
            f"/capteurs/{slug}/avis",
            data={
                "csrf_token": csrf_token(form_html),
                "idempotency_key": hidden(form_html, "idempotency_key"),
                "acceptance": "4",
                "understood": "yes",
            },
            headers=FORM,
        )
        assert sent.status_code == 303
    # when
    page = await client.get(f"/capteurs/{slug}")
    # then
    assert "5 avis." in page.text
