"""The residents' pages over HTTP: every page in every language, secure; the sensor page's
forms without JavaScript, refused without a CSRF token, with errors beside their fields."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlmodel import col, func, select, update

from service.context import Services
from service.sensors.models import DtprTranslation, SensorOpinion
from service.staff.models import Role
from tests.sensors.support import create_sensor, staff
from tests.web.support import LANGUAGES, assert_secure_page, csrf_token, hidden, inline_code

pytestmark = pytest.mark.anyio

PAGES = (
    "/",
    "/capteurs",
    "/capteurs/{slug}",
    "/capteurs/{slug}/panneau",
    "/accessibilite",
    "/donnees-personnelles",
    "/signaler",
    "/demandes",
    "/suivi",
)
FORM = {"content-type": "application/x-www-form-urlencoded"}


async def a_sensor(services: Services, client: httpx.AsyncClient) -> str:
    member = await staff(services, client, "alm-voirie", Role.AGENT)
    return str((await create_sensor(member))["slug"])


async def opinions_of(services: Services, slug: str) -> int:
    from service.sensors.models import Sensor

    async with services.db.reading() as session:
        statement = (
            select(func.count())
            .select_from(SensorOpinion)
            .join(Sensor, col(Sensor.id) == col(SensorOpinion.sensor_id))
            .where(Sensor.slug == slug)
        )
        return int((await session.exec(statement)).one())


async def test_every_page_answers_in_every_language_with_its_direction_and_a_strict_csp(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given
    slug = await a_sensor(services, client)
    for path in PAGES:
        for language in LANGUAGES:
            # when
            response = await client.get(path.format(slug=slug), params={"lang": language})
            # then
            assert response.status_code == 200, (path, language)
            _, html = inline_code(response.text)
            assert html["lang"] == language
            assert html["dir"] == ("rtl" if language == "ar" else "ltr")
            assert_secure_page(response)


async def test_an_unknown_sensor_gets_a_page_not_found_in_the_readers_language(
    client: httpx.AsyncClient,
) -> None:
    # when
    response = await client.get("/capteurs/nulle-part", headers={"accept-language": "es"})
    # then
    assert response.status_code == 404
    assert "Página no encontrada" in response.text


async def test_an_opinion_posted_without_javascript_creates_exactly_one_opinion(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given: the page as a browser without scripts gets it
    slug = await a_sensor(services, client)
    page = await client.get(f"/capteurs/{slug}")
    form = {
        "csrf_token": csrf_token(page.text.split('action="/capteurs/' + slug + '/avis"')[1]),
        "idempotency_key": hidden(page.text, "idempotency_key"),
        "acceptance": "4",
        "understood": "partly",
        "concerns": ["privacy", "cost"],
        "comment": "Utile, mais qui lit ces données ?",
    }
    # when: sent, then sent again (a double click)
    first = await client.post(f"/capteurs/{slug}/avis", data=form, headers=FORM)
    again = await client.post(f"/capteurs/{slug}/avis", data=form, headers=FORM)
    # then
    assert first.status_code == 303
    assert first.headers["location"].startswith(f"/capteurs/{slug}?")
    assert again.status_code == 303
    assert await opinions_of(services, slug) == 1
    thanks = await client.get(first.headers["location"])
    assert "Merci : votre avis a été enregistré." in thanks.text


async def test_a_form_posted_without_its_csrf_token_is_refused(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given
    slug = await a_sensor(services, client)
    await client.get(f"/capteurs/{slug}")  # the browser holds the cookie, not the token
    # when
    response = await client.post(
        f"/capteurs/{slug}/avis",
        data={"acceptance": "4", "understood": "yes", "idempotency_key": "k" * 12},
        headers=FORM,
    )
    # then
    assert response.status_code == 403
    assert await opinions_of(services, slug) == 0


async def test_a_csrf_token_from_another_browser_is_refused(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given: a token read by another browser (its own cookie)
    slug = await a_sensor(services, client)
    other = await client.get(f"/capteurs/{slug}")
    token = csrf_token(other.text)
    client.cookies.clear()
    await client.get(f"/capteurs/{slug}")
    # when
    response = await client.post(
        f"/capteurs/{slug}/avis",
        data={"csrf_token": token, "acceptance": "4", "understood": "yes"},
        headers=FORM,
    )
    # then
    assert response.status_code == 403


async def test_a_wrong_opinion_form_shows_each_error_beside_its_field_in_the_readers_language(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given
    slug = await a_sensor(services, client)
    page = await client.get(f"/capteurs/{slug}?lang=de")
    # when: no acceptance, no answer to "understood", a comment too long
    response = await client.post(
        f"/capteurs/{slug}/avis?lang=de",
        data={
            "csrf_token": csrf_token(page.text),
            "idempotency_key": hidden(page.text, "idempotency_key"),
            "comment": "x" * 1001,
        },
        headers=FORM,
    )
    # then
    assert response.status_code == 400
    html = response.text
    assert html.count('aria-invalid="true"') == 3
    for field in ("acceptance", "understood", "comment"):
        assert f'href="#field-{field}"' in html  # the summary links to the field
        assert f'id="field-{field}-error"' in html
        described = re.search(rf'id="field-{field}"[^>]*aria-describedby="([^"]+)"', html)
        fieldset = re.search(rf'<fieldset aria-describedby="([^"]*field-{field}-error)"', html)
        assert described or fieldset, field
    assert "Wählen Sie eine Antwort." in html
    assert "<title>Fehler:" in html
    assert await opinions_of(services, slug) == 0


async def test_a_question_sent_without_javascript_gives_its_reference_and_tracking_link(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given
    slug = await a_sensor(services, client)
    page = await client.get(f"/capteurs/{slug}?lang=en")
    form_html = page.text.split(f'action="/capteurs/{slug}/question')[1]
    # when
    sent = await client.post(
        f"/capteurs/{slug}/question?lang=en",
        data={
            "csrf_token": csrf_token(form_html),
            "idempotency_key": hidden(form_html, "idempotency_key"),
            "question": "Who can read what this sensor records?",
        },
        headers=FORM,
    )
    confirmation = await client.get(sent.headers["location"])
    # then
    assert sent.status_code == 303
    assert confirmation.status_code == 200
    assert confirmation.headers["cache-control"] == "no-store"
    assert confirmation.headers["referrer-policy"] == "no-referrer"
    assert re.search(r"ALM-\d{4}-\d{6}", confirmation.text)
    assert "/suivi?jeton=" in confirmation.text
    assert '<svg role="img"' in confirmation.text


async def test_an_empty_question_is_refused_with_the_apis_message(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given
    slug = await a_sensor(services, client)
    page = await client.get(f"/capteurs/{slug}?lang=fr")
    form_html = page.text.split(f'action="/capteurs/{slug}/question')[1]
    # when
    response = await client.post(
        f"/capteurs/{slug}/question",
        data={"csrf_token": csrf_token(form_html), "question": "  "},
        headers=FORM,
    )
    # then
    assert response.status_code == 400
    assert 'id="field-question-error"' in response.text
    assert "Veuillez écrire quelques mots." in response.text


async def test_the_printable_sign_carries_a_qr_code_of_the_sensor_page(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given
    slug = await a_sensor(services, client)
    # when
    response = await client.get(f"/capteurs/{slug}/panneau?format=a5")
    # then
    assert response.status_code == 200
    assert f"http://testserver/capteurs/{slug}" in response.text
    assert '<svg role="img"' in response.text
    assert "sheet-a5" in response.text


async def test_the_sensor_list_filters_by_commune_and_refuses_a_point_off_earth(
    fresh_services: Services, fresh_client: httpx.AsyncClient
) -> None:
    # given a database of its own: the list shows a page, and other tests add sensors
    services, client = fresh_services, fresh_client
    slug = await a_sensor(services, client)
    # when
    angers = await client.get("/capteurs", params={"commune": "49007"})
    elsewhere = await client.get("/capteurs", params={"commune": "49015"})
    off_earth = await client.get("/capteurs", params={"lat": "123", "lon": "0"})
    # then
    assert f"/capteurs/{slug}" in angers.text
    assert f"/capteurs/{slug}" not in elsewhere.text
    assert off_earth.status_code == 400
    assert "La latitude doit" in off_earth.text


async def test_the_commune_outlines_are_served_from_our_own_data(
    client: httpx.AsyncClient,
) -> None:
    # when
    response = await client.get("/communes.geojson")
    # then
    assert response.status_code == 200
    features = response.json()["features"]
    assert len(features) == 29
    assert {f["properties"]["name"] for f in features} >= {"Angers", "Avrillé"}


async def test_the_sensor_page_reads_the_dtpr_texts_again_when_the_reference_data_is_reloaded(
    fresh_services: Services, fresh_client: httpx.AsyncClient
) -> None:
    # given: a sensor page shown once in Spanish (the taxonomy is then kept in memory)
    slug = await a_sensor(fresh_services, fresh_client)
    first = await fresh_client.get(f"/capteurs/{slug}", params={"lang": "es"})
    assert "Movilidad" in first.text and "Movilidad urbana" not in first.text
    # when: ALM's Spanish text changes, as loading fixtures does, and the process reloads its
    # reference data, as it does after loading them
    async with fresh_services.db.writing() as session:
        await session.exec(
            update(DtprTranslation)
            .where(col(DtprTranslation.category_id) == "purpose")
            .where(col(DtprTranslation.element_id) == "mobility")
            .where(col(DtprTranslation.language) == "es")
            .values(name="Movilidad urbana")
        )
    await fresh_services.reload_reference()
    again = await fresh_client.get(f"/capteurs/{slug}", params={"lang": "es"})
    # then
    assert again.status_code == 200
    assert "Movilidad urbana" in again.text
