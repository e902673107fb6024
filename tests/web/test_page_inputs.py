"""The pages apply the text rule every door applies (``service.inputs``): a form field or a
query parameter holding a control character is refused, in the reader's language, and
nothing is saved."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlmodel import select

from service.context import Services
from service.items.models import Item
from service.pagination import encode_cursor
from service.sensors import rules
from tests.web.journeys import errors_by_field, open_form, post_form, valid_report
from tests.web.support import csrf_token
from tests.web.test_follow_pages import act, item_of, reported
from tests.web.test_pages import a_sensor
from tests.web.test_service_request_pages import BULKY, bulky_answers

pytestmark = pytest.mark.anyio


async def items_with_key(services: Services, key: str) -> list[Item]:
    async with services.db.reading() as session:
        return list((await session.exec(select(Item).where(Item.idempotency_key == key))).all())


async def test_a_control_character_in_the_contacts_name_is_refused_beside_it(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    _, fields = await open_form(client, "/signaler?lang=en")
    contact = {"contact_email": "eve@example.org", "consent_follow_up": "1"}
    report = valid_report(contact_name="Eve\x1b[31m", **contact)
    # when
    response = await post_form(client, "/signaler?lang=en", {**fields, **report})
    # then
    assert response.status_code == 400
    shown = errors_by_field(response.text)
    assert list(shown) == ["contact_name"]
    assert "(U+001B)" in shown["contact_name"]
    assert "not accepted" in shown["contact_name"]
    assert await items_with_key(services, fields["idempotency_key"]) == []


async def test_a_control_character_in_a_service_requests_answer_is_refused_beside_it(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    _, fields = await open_form(client, f"{BULKY}?lang=de")
    answers = bulky_answers(answer_access_notes="Hof\x00tor")
    # when
    response = await post_form(client, f"{BULKY}?lang=de", [*fields.items(), *answers])
    # then
    assert response.status_code == 400
    shown = errors_by_field(response.text)
    assert list(shown) == ["answer_access_notes"]
    assert "(U+0000)" in shown["answer_access_notes"]
    assert "nicht zulässiges Zeichen" in shown["answer_access_notes"]
    assert await items_with_key(services, fields["idempotency_key"]) == []


async def test_a_control_character_in_any_field_of_a_tracked_action_stops_it(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: the erasure asked for, its confirmation sent with a control character
    token = await reported(client, contact_email="jo@example.org", consent_follow_up="1")
    asked = await act(client, token, "/suivi/effacement")
    # when
    response = await post_form(
        client,
        "/suivi/effacement?lang=en",
        {"csrf_token": csrf_token(asked.text), "jeton": token, "confirm": "1\x1b"},
    )
    # then: refused, nothing erased
    assert response.status_code == 400
    assert "(U+001B)" in response.text
    item = await item_of(services, token)
    assert item.description != ""


@pytest.mark.parametrize(
    "url",
    [
        "/signaler/a-proximite?category=pothole%1B&latitude=47.47&longitude=-0.55",
        "/capteurs?commune=49007%00",
        "/demandes?commune=%0B",
        "/suivi?jeton=abc%1F",
        "/demandes/bulky%1B",
    ],
)
async def test_a_control_character_in_a_query_parameter_or_path_is_a_400_page(
    client: httpx.AsyncClient, url: str
) -> None:
    # when
    response = await client.get(url, headers={"accept-language": "es"})
    # then
    assert response.status_code == 400
    assert response.headers["content-language"] == "es"
    assert "carácter no admitido" in response.text
    assert "INVALID_TEXT" in response.text


@pytest.mark.parametrize("after", ["50", "abc", encode_cursor("sensor-near", 1)])
async def test_a_sensor_list_cursor_the_list_never_gave_is_refused(
    client: httpx.AsyncClient, after: str
) -> None:
    # when
    response = await client.get("/capteurs", params={"apres": after, "lang": "en"})
    # then: the API's refusal, not the first page again
    assert response.status_code == 400
    assert "This cursor was not given by this list" in response.text


async def test_the_sensor_list_pages_with_the_apis_cursors(
    fresh_services: Services, fresh_client: httpx.AsyncClient
) -> None:
    # given
    slug = await a_sensor(fresh_services, fresh_client)
    async with fresh_services.db.reading() as session:
        sensor = await rules.get_sensor(session, slug)
    assert sensor is not None and sensor.id is not None
    # when: from just before it, and from it
    before = await fresh_client.get(
        "/capteurs", params={"apres": encode_cursor("sensor-id", sensor.id - 1)}
    )
    past = await fresh_client.get(
        "/capteurs", params={"apres": encode_cursor("sensor-id", sensor.id)}
    )
    # then
    assert before.status_code == past.status_code == 200
    assert f"/capteurs/{slug}" in before.text
    assert f"/capteurs/{slug}" not in past.text


async def test_an_expired_sensor_form_links_back_to_the_sensors_page(
    fresh_services: Services, fresh_client: httpx.AsyncClient
) -> None:
    # given
    client = fresh_client
    slug = await a_sensor(fresh_services, client)
    # when: a form without its token
    expired = await client.post(
        f"/capteurs/{slug}/question?lang=en",
        content="question=Bonjour",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    back = re.search(r'<a href="([^"]+)">Open the form again</a>', expired.text)
    # then: the link opens the form (the action's path takes posts only)
    assert expired.status_code == 403
    assert back is not None
    assert back.group(1).startswith(f"/capteurs/{slug}?")
    assert (await client.get(back.group(1).replace("&amp;", "&"))).status_code == 200
