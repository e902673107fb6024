"""Requesting a service: typed answers checked per question, place, routing, idempotency."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlmodel import select

from service.context import Services
from service.items.models import Item
from service.outbox.models import OutboxEntry
from service.service_requests.models import ServiceRequestDetail
from tests.service_requests.support import (
    bulky_waste_input,
    in_days,
    request_service,
    tree_pruning_input,
    with_answer,
)
from tests.support import BEHUARD, CHALONNES_OUTSIDE_ALM, data_of, operation

pytestmark = pytest.mark.anyio


async def test_a_request_is_stored_on_the_spine_routed_and_answered_with_a_token(
    client: httpx.AsyncClient, services: Services
) -> None:
    # when
    payload = await request_service(client, bulky_waste_input())
    # then
    assert payload["errors"] == []
    request = payload["serviceRequest"]
    assert request["reference"].startswith("ALM-20")
    assert request["kind"] == "SERVICE_REQUEST"
    assert request["status"] == "SUBMITTED"
    assert request["commune"]["code"] == "49007"
    assert request["handlingBody"]["code"] == "alm-dechets"
    assert payload["trackingToken"]
    answers = {a["code"]: a for a in request["answers"]}
    assert answers["items"]["labels"] == ["Meubles", "Matelas ou sommier"]
    assert answers["volume_m3"]["values"] == ["2.5"]
    async with services.db.reading() as session:
        item = (
            await session.exec(select(Item).where(Item.reference == request["reference"]))
        ).one()
        detail = await session.get(ServiceRequestDetail, item.id)
        topics = (
            await session.exec(select(OutboxEntry.topic).where(OutboxEntry.item_id == item.id))
        ).all()
    assert detail is not None and detail.at_home and detail.service_code == "bulky_waste_pickup"
    assert "item.created" in topics
    assert "service tree_pruning" not in item.routing_reason


async def test_the_resident_follows_the_request_with_the_token(client: httpx.AsyncClient) -> None:
    # given
    payload = await request_service(client, bulky_waste_input())
    # when
    tracked = await data_of(client, operation("Tracked"), {"token": payload["trackingToken"]})
    # then
    assert tracked["tracked"]["item"]["reference"] == payload["serviceRequest"]["reference"]
    assert tracked["tracked"]["item"]["kind"] == "SERVICE_REQUEST"


async def test_a_retry_with_the_same_key_returns_the_same_request(
    client: httpx.AsyncClient,
) -> None:
    # given
    values = bulky_waste_input()
    first = await request_service(client, values)
    # when
    again = await request_service(client, values)
    changed = await request_service(client, {**values, "description": "Autre chose"})
    # then
    assert again["serviceRequest"]["reference"] == first["serviceRequest"]["reference"]
    assert again["trackingToken"] == first["trackingToken"]
    assert len(changed["errors"]) == 1
    assert changed["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"


async def test_routing_follows_the_communes_override_for_a_service(
    client: httpx.AsyncClient,
) -> None:
    # when: tree pruning is communal, but Angers hands it to ALM's roads directorate
    avrille = await request_service(client, tree_pruning_input())
    angers = await request_service(client, tree_pruning_input(latitude=47.4712, longitude=-0.5502))
    # then
    assert avrille["serviceRequest"]["handlingBody"]["code"] == "mairie-49015"
    assert angers["serviceRequest"]["handlingBody"]["code"] == "alm-voirie"


async def test_a_service_not_offered_in_the_commune_is_refused(client: httpx.AsyncClient) -> None:
    # when: no digital mediator in Béhuard
    payload = await request_service(
        client,
        {
            "serviceCode": "digital_mediator_appointment",
            "commune": "49028",
            "answers": [
                {"code": "topics", "values": ["email"]},
                {"code": "preferred_slot", "value": "morning"},
            ],
            "idempotencyKey": "mediator-behuard-1",
        },
    )
    # then
    assert payload["serviceRequest"] is None
    assert len(payload["errors"]) == 1
    assert payload["errors"][0]["code"] == "SERVICE_NOT_AVAILABLE"
    assert "Béhuard" in payload["errors"][0]["message"]


@pytest.mark.parametrize(
    ("values", "field", "code"),
    [
        # a required question left out, or answered with nothing
        (with_answer(bulky_waste_input(), "volume_m3"), "answers.volume_m3", "ANSWER_REQUIRED"),
        (
            with_answer(bulky_waste_input(), "items", values=[]),
            "answers.items",
            "ANSWER_REQUIRED",
        ),
        # number: not a number, out of range
        (
            with_answer(bulky_waste_input(), "volume_m3", value="beaucoup"),
            "answers.volume_m3",
            "ANSWER_WRONG_TYPE",
        ),
        (
            with_answer(bulky_waste_input(), "volume_m3", value="12"),
            "answers.volume_m3",
            "ANSWER_OUT_OF_RANGE",
        ),
        # datetime: not a date, too soon
        (
            with_answer(bulky_waste_input(), "preferred_date", value="mardi prochain"),
            "answers.preferred_date",
            "ANSWER_WRONG_TYPE",
        ),
        (
            with_answer(bulky_waste_input(), "preferred_date", value=in_days(1)),
            "answers.preferred_date",
            "ANSWER_OUT_OF_RANGE",
        ),
        # text: too long
        (
            with_answer(bulky_waste_input(), "access_notes", value="x" * 2001),
            "answers.access_notes",
            "ANSWER_TOO_LONG",
        ),
        # multivaluelist: a key it does not offer
        (
            with_answer(bulky_waste_input(), "items", values=["furniture", "piano"]),
            "answers.items",
            "ANSWER_NOT_ALLOWED",
        ),
        # singlevaluelist: a key it does not offer, or two values
        (
            with_answer(tree_pruning_input(), "tree_place", value="roof"),
            "answers.tree_place",
            "ANSWER_NOT_ALLOWED",
        ),
        (
            with_answer(tree_pruning_input(), "tree_place", values=["street", "park"]),
            "answers.tree_place",
            "ANSWER_WRONG_TYPE",
        ),
        # a question the service does not ask; the same question twice
        (
            with_answer(bulky_waste_input(), "colour", value="red"),
            "answers.colour",
            "UNKNOWN_QUESTION",
        ),
        (
            {
                **bulky_waste_input(),
                "answers": bulky_waste_input()["answers"] + [{"code": "volume_m3", "value": "1"}],
            },
            "answers.volume_m3",
            "DUPLICATE_ANSWER",
        ),
    ],
)
async def test_each_answer_is_checked_against_its_question(
    client: httpx.AsyncClient, values: dict[str, Any], field: str, code: str
) -> None:
    # when
    payload = await request_service(client, values)
    # then
    assert payload["serviceRequest"] is None
    assert len(payload["errors"]) == 1, payload["errors"]
    assert payload["errors"][0]["field"] == field
    assert payload["errors"][0]["code"] == code
    assert payload["errors"][0]["message"]


def bin_request(bin_number: str) -> dict[str, Any]:
    values = bulky_waste_input(serviceCode="bin_request")
    values["answers"] = [
        {"code": "request_type", "value": "repair"},
        {"code": "bin_type", "value": "recycling"},
        {"code": "household_size", "value": "3"},
        {"code": "bin_number", "value": bin_number},
    ]
    return values


@pytest.mark.parametrize(
    ("bin_number", "code"),
    [("A\nB", "ANSWER_WRONG_TYPE"), ("7" * 201, "ANSWER_TOO_LONG"), ("AB-123456", None)],
)
async def test_a_string_answer_is_one_line_of_200_characters_at_most(
    client: httpx.AsyncClient, bin_number: str, code: str | None
) -> None:
    # when
    payload = await request_service(client, bin_request(bin_number))
    # then
    if code is None:
        assert payload["errors"] == []
    else:
        assert len(payload["errors"]) == 1
        assert payload["errors"][0] == {
            "field": "answers.bin_number",
            "code": code,
            "message": payload["errors"][0]["message"],
        }


async def test_every_wrong_answer_is_reported_at_once_in_the_callers_language(
    client: httpx.AsyncClient,
) -> None:
    # given: three wrong answers
    values = with_answer(bulky_waste_input(), "volume_m3", value="9")
    values = with_answer(values, "items", values=["piano"])
    values = with_answer(values, "preferred_date")
    # when
    payload = await request_service(client, values, language="en")
    # then
    errors = {e["field"]: e for e in payload["errors"]}
    assert set(errors) == {"answers.volume_m3", "answers.items", "answers.preferred_date"}
    assert errors["answers.volume_m3"]["message"] == "Please give a number between 0.5 and 5."
    assert errors["answers.preferred_date"]["message"] == "Please answer this question."


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"serviceCode": "moon_landing"}, "serviceCode", "UNKNOWN_SERVICE"),
        ({"addressText": None}, "addressText", "LOCATION_REQUIRED"),
        ({"commune": None}, "addressText", "LOCATION_REQUIRED"),
        ({"commune": "75056"}, "commune", "UNKNOWN_COMMUNE"),
        (
            {"latitude": CHALONNES_OUTSIDE_ALM[0], "longitude": CHALONNES_OUTSIDE_ALM[1]},
            "latitude",
            "OUTSIDE_ALM",
        ),
        ({"latitude": BEHUARD[0], "longitude": BEHUARD[1]}, "commune", "LOCATION_MISMATCH"),
        ({"description": "x" * 4001}, "description", "TEXT_TOO_LONG"),
        ({"idempotencyKey": "short"}, "idempotencyKey", "INVALID_IDEMPOTENCY_KEY"),
        (
            {
                "contact": {
                    "email": "a@example.org",
                    "followUpConsent": False,
                    "consentTextVersion": "2026-01",
                }
            },
            "contact.followUpConsent",
            "CONSENT_REQUIRED",
        ),
    ],
)
async def test_the_place_and_the_rest_of_the_input_are_checked(
    client: httpx.AsyncClient, overrides: dict[str, Any], field: str, code: str
) -> None:
    # when
    payload = await request_service(client, bulky_waste_input(**overrides))
    # then
    assert len(payload["errors"]) == 1, payload["errors"]
    assert (payload["errors"][0]["field"], payload["errors"][0]["code"]) == (field, code)


async def test_a_service_in_public_space_needs_a_point(client: httpx.AsyncClient) -> None:
    # when
    payload = await request_service(
        client, tree_pruning_input(latitude=None, longitude=None, commune="49015")
    )
    # then
    assert len(payload["errors"]) == 1
    assert payload["errors"][0]["code"] == "LOCATION_REQUIRED"
    assert payload["errors"][0]["field"] == "latitude"
