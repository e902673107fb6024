"""Questions about a sensor: items of the shared spine (reference, tracking token, history),
routed to the sensor's accountable body, triaged and answered publicly by its staff."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from service.context import Services
from service.staff.models import Role
from tests.sensors.support import FRATERNITE, create_sensor, staff
from tests.support import data_of, graphql, operation

pytestmark = pytest.mark.anyio


async def ask(client: httpx.AsyncClient, slug: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "sensorSlug": slug,
        "question": "Ce capteur filme-t-il les voitures ? Qui voit les données ?",
        "idempotencyKey": f"key-{uuid.uuid4()}",
    }
    values.update(overrides)
    response = await graphql(
        client, operation("SensorQuestionCreate"), {"input": values}, language="fr"
    )
    payload: dict[str, Any] = response.json()["data"]["sensorQuestionCreate"]
    return payload


async def test_a_question_reaches_the_accountable_body_and_its_answer_the_public(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: a waste sensor ALM's waste directorate is accountable for
    waste = await staff(services, client, "alm-dechets", Role.AGENT)
    roads = await staff(services, client, "alm-voirie", Role.AGENT)
    slug = (await create_sensor(waste, accountableBodyCode="alm-dechets"))["slug"]
    # when: a resident asks; the directorate answers
    asked = await ask(client, slug)
    reference = asked["question"]["reference"]
    queue = await waste.data("TriageQueue", {"filter": {"kind": "sensor_question"}, "first": 100})
    other_queue = await roads.data("TriageQueue", {"first": 100})
    answer = "Non : il mesure seulement le niveau de remplissage, par ultrasons."
    answered = await waste.data("ItemAnswer", {"reference": reference, "publicAnswer": answer})
    public = await data_of(client, operation("SensorQuestion"), {"reference": reference})
    tracked = await data_of(client, operation("Tracked"), {"token": asked["trackingToken"]})
    sensor_page = await data_of(client, operation("Sensor"), {"slug": slug})
    # then: the spine's reference, kind and routing
    assert asked["errors"] == []
    assert reference.startswith("ALM-")
    assert asked["question"]["kind"] == "SENSOR_QUESTION"
    assert asked["question"]["handlingBody"]["code"] == "alm-dechets"
    assert asked["question"]["commune"]["code"] == "49007"
    assert asked["question"]["sensorSlug"] == slug
    assert reference in [e["node"]["reference"] for e in queue["triageQueue"]["edges"]]
    assert reference not in [e["node"]["reference"] for e in other_queue["triageQueue"]["edges"]]
    assert answered["itemAnswer"]["errors"] == []
    # the answer is public, on the question and on the sensor's page
    assert answer in [h["text"] for h in public["sensorQuestion"]["history"]]
    assert tracked["tracked"]["item"]["kind"] == "SENSOR_QUESTION"
    asked_here = sensor_page["sensor"]["questions"]
    assert [q["reference"] for q in asked_here] == [reference]
    assert answer in [h["text"] for h in asked_here[0]["history"]]


async def test_a_retried_question_is_stored_once(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    slug = (await create_sensor(agent))["slug"]
    key = f"key-{uuid.uuid4()}"
    # when
    first = await ask(client, slug, idempotencyKey=key)
    again = await ask(client, slug, idempotencyKey=key)
    other = await ask(client, slug, idempotencyKey=key, question="Autre chose ?")
    # then
    assert again["question"]["reference"] == first["question"]["reference"]
    assert again["trackingToken"] == first["trackingToken"]
    assert len(other["errors"]) == 1 and other["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"


async def test_contact_details_in_a_question_stay_out_of_public_view(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    slug = (await create_sensor(agent))["slug"]
    # when
    asked = await ask(
        client,
        slug,
        question="Rappelez-moi au 06 12 34 56 78 svp",
        contact={
            "email": "jeanne@example.org",
            "followUpConsent": True,
            "consentTextVersion": "2026-01",
        },
    )
    public = await graphql(
        client, operation("SensorQuestion"), {"reference": asked["question"]["reference"]}
    )
    # then
    assert asked["errors"] == []
    assert "06 12 34 56 78" not in public.text and "jeanne@example.org" not in public.text
    assert "Rappelez-moi au […]" in public.text


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"sensorSlug": "no-such-sensor"}, "NOT_FOUND"),
        ({"question": "   "}, "TEXT_REQUIRED"),
        ({"idempotencyKey": "x"}, "INVALID_IDEMPOTENCY_KEY"),
        (
            {
                "contact": {
                    "email": "a@b.fr",
                    "followUpConsent": False,
                    "consentTextVersion": "2026-01",  # a published text: only the consent is wrong
                }
            },
            "CONSENT_REQUIRED",
        ),
    ],
)
async def test_bad_questions_get_one_typed_error(
    client: httpx.AsyncClient, services: Services, overrides: dict[str, Any], code: str
) -> None:
    # given
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    slug = (await create_sensor(agent, point=FRATERNITE))["slug"]
    # when
    payload = await ask(client, slug, **overrides)
    # then
    assert len(payload["errors"]) == 1 and payload["errors"][0]["code"] == code
    assert payload["question"] is None and payload["trackingToken"] is None


async def test_a_report_reference_is_not_a_sensor_question(client: httpx.AsyncClient) -> None:
    # given
    from tests.support import submit_report

    report = (await submit_report(client))["report"]["reference"]
    # when
    data = await data_of(client, operation("SensorQuestion"), {"reference": report})
    # then
    assert data["sensorQuestion"] is None


async def test_the_accountable_body_publishes_a_reply_to_the_opinions(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    stranger = await staff(services, client, "mairie-49015", Role.AGENT)
    admin = await staff(services, client, "alm", Role.ADMIN)
    slug = (await create_sensor(agent))["slug"]
    text = "Merci pour vos avis : le capteur ne collecte aucune image."
    # when
    refused = await stranger.data("SensorReplyPublish", {"slug": slug, "text": text})
    published = await agent.data("SensorReplyPublish", {"slug": slug, "text": text})
    page = await data_of(client, operation("Sensor"), {"slug": slug})
    log = (await admin.data("AuditLog", {"action": "sensor_replied", "first": 100}))["auditLog"]
    # then
    assert len(refused["sensorReplyPublish"]["errors"]) == 1
    assert refused["sensorReplyPublish"]["errors"][0]["code"] == "FORBIDDEN"
    assert published["sensorReplyPublish"]["errors"] == []
    assert page["sensor"]["publicReply"] == text and page["sensor"]["publicReplyAt"]
    assert f"sensor {slug}" in [e["detail"] for e in log["entries"]]


async def test_a_question_sent_to_the_wrong_body_is_handed_over(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: a question routed to ALM's roads directorate, which is not the right body
    roads = await staff(services, client, "alm-voirie", Role.SUPERVISOR)
    waste = await staff(services, client, "alm-dechets", Role.AGENT)
    slug = (await create_sensor(roads))["slug"]
    reference = (await ask(client, slug))["question"]["reference"]
    # when
    handed = await roads.data("ItemReroute", {"reference": reference, "bodyCode": "alm-dechets"})
    queue = await waste.data("TriageQueue", {"filter": {"kind": "sensor_question"}, "first": 100})
    public = await data_of(client, operation("SensorQuestion"), {"reference": reference})
    # then
    assert handed["itemReroute"]["errors"] == []
    assert reference in [e["node"]["reference"] for e in queue["triageQueue"]["edges"]]
    assert public["sensorQuestion"]["handlingBody"]["code"] == "alm-dechets"
    assert "REROUTED" in [h["kind"] for h in public["sensorQuestion"]["history"]]
