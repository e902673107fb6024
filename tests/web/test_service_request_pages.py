"""Request a service without JavaScript: the catalogue by commune, a service's typed
questions as fields, the API's messages beside the question they are about."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from sqlmodel import select

from service.context import Services
from service.items.models import Item
from service.service_requests.models import ServiceRequestDetail
from tests.web.journeys import errors_by_field, open_form, post_form, tied_to_a_field, token_in
from tests.web.support import LANGUAGES, assert_secure_page, inline_code

pytestmark = pytest.mark.anyio
BULKY = "/demandes/bulky_waste_pickup"


def bulky_answers(**overrides: str) -> list[tuple[str, str]]:
    """A bulky-waste pickup in Angers: furniture and a mattress, 2 m³, in ten days."""
    fields = {
        "answer_volume_m3": "2",
        "answer_preferred_date": (date.today() + timedelta(days=10)).isoformat(),
        "answer_access_notes": "",
        "commune": "49007",
        "address": "12 rue Plantagenêt",
        "description": "",
    }
    fields.update(overrides)
    return [("answer_items", "furniture"), ("answer_items", "mattress"), *fields.items()]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_catalogue_and_a_service_form_speak_the_readers_language(
    client: httpx.AsyncClient, language: str
) -> None:
    # when
    catalogue = await client.get(f"/demandes?lang={language}&commune=49007")
    form = await client.get(f"{BULKY}?lang={language}")
    # then
    for response in (catalogue, form):
        assert response.status_code == 200
        _, html = inline_code(response.text)
        assert (html["lang"], html["dir"]) == (language, "rtl" if language == "ar" else "ltr")
        assert_secure_page(response)


async def test_the_catalogue_shows_what_a_commune_offers(client: httpx.AsyncClient) -> None:
    # when: Angers has digital mediators, Béhuard (49028) has none
    angers = await client.get("/demandes?commune=49007&lang=en")
    behuard = await client.get("/demandes?commune=49028&lang=en")
    # then
    assert "Appointment with a digital mediator" in angers.text
    assert "Appointment with a digital mediator" not in behuard.text
    assert "Bulky-waste pickup" in behuard.text


async def test_each_question_is_a_field_with_its_constraints(client: httpx.AsyncClient) -> None:
    # when
    response = await client.get(f"{BULKY}?lang=en")
    # then
    text = response.text
    assert 'type="checkbox" value="mattress"' in text
    assert 'name="answer_volume_m3" type="number"' in text and 'min="0.5" max="5"' in text
    first = (date.today() + timedelta(days=3)).isoformat()
    assert 'name="answer_preferred_date" type="date"' in text and f'min="{first}"' in text
    assert "How to reach the items (optional)" in text


async def test_a_wrong_answer_then_a_right_one_makes_one_request(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    _, fields = await open_form(client, f"{BULKY}?lang=fr")
    # when: 9 m³ (over the limit), then 3
    wrong = await post_form(
        client, f"{BULKY}?lang=fr", [*fields.items(), *bulky_answers(answer_volume_m3="9")]
    )
    right = await post_form(
        client, f"{BULKY}?lang=fr", [*fields.items(), *bulky_answers(answer_volume_m3="3")]
    )
    # then: the API's message, beside the question, in French
    assert wrong.status_code == 400
    assert errors_by_field(wrong.text) == {"answer_volume_m3": "Indiquez un nombre entre 0,5 et 5."}
    assert tied_to_a_field(wrong.text, "answer_volume_m3")
    assert right.status_code == 303
    token = token_in(right.headers["location"])
    async with services.db.reading() as session:
        item = await services.tracking_tokens.item_for(session, token, services.clock())
        detail = await session.get(ServiceRequestDetail, item.id)
        same_key = (
            await session.exec(
                select(Item).where(Item.idempotency_key == fields["idempotency_key"])
            )
        ).all()
    assert len(same_key) == 1
    assert detail is not None and '"volume_m3": "3"' in detail.answers
    confirmation = await client.get(right.headers["location"])
    assert item.reference in confirmation.text


async def test_a_missing_choice_and_a_missing_address_are_told_beside_them(
    client: httpx.AsyncClient,
) -> None:
    # given
    _, fields = await open_form(client, f"{BULKY}?lang=en")
    answers = [(k, v) for k, v in bulky_answers(address="") if k != "answer_items"]
    # when
    response = await post_form(client, f"{BULKY}?lang=en", [*fields.items(), *answers])
    # then
    assert response.status_code == 400
    assert errors_by_field(response.text) == {"answer_items": "Please answer this question."}


async def test_an_unknown_service_is_not_found(client: httpx.AsyncClient) -> None:
    # when
    response = await client.get("/demandes/no_such_service")
    # then
    assert response.status_code == 404


async def test_a_free_answer_is_shown_as_written_never_looked_up_in_the_catalogs(
    client: httpx.AsyncClient,
) -> None:
    # given: an access note that happens to be a message of the catalogs
    _, fields = await open_form(client, f"{BULKY}?lang=fr")
    answers = bulky_answers(answer_access_notes="Yes")
    sent = await post_form(client, f"{BULKY}?lang=fr", [*fields.items(), *answers])
    # when
    followed = await client.get(f"/suivi?jeton={token_in(sent.headers['location'])}&lang=fr")
    # then: as written, after the answers before it, in the service's order of questions
    assert followed.status_code == 200
    notes = followed.text.index(">Yes<")
    assert followed.text.index("Matelas ou sommier") < notes
