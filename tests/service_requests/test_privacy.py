"""A request at a home address, or for a private service, is never public: not in any public
GraphQL read, not in Open311. Its place and answers are for the resident and the handling
body only; a public request shows only the answers its service marks public."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from service.context import Services
from service.staff.models import Role
from tests.service_requests.support import bulky_waste_input, request_service, tree_pruning_input
from tests.staff.test_triage import staff
from tests.support import data_of, operation

pytestmark = pytest.mark.anyio

CONTACT = {
    "name": "Camille Domicile-Privé",
    "email": "camille.domicile@example.org",
    "phone": "06 11 22 33 44",
    "followUpConsent": True,
    "consentTextVersion": "2026-01",
}
SECRETS = ["Camille", "camille.domicile@example.org", "06 11 22 33 44", "Lenepveu", "4521B"]
AVRILLE_HOME = (47.50694, -0.58917)


def leaks(value: Any) -> list[str]:
    text = json.dumps(value, ensure_ascii=False)
    return [secret for secret in SECRETS if secret in text]


async def public_views(client: httpx.AsyncClient, reference: str) -> list[Any]:
    """Everything anyone may read without a token or a staff account."""
    latitude, longitude = AVRILLE_HOME
    return [
        await data_of(client, operation("ServiceRequest"), {"reference": reference}),
        await data_of(client, operation("Report"), {"reference": reference}),
        await data_of(client, operation("Reports"), {"first": 100}),
        await data_of(
            client,
            operation("NearbyReports"),
            {"latitude": latitude, "longitude": longitude, "radiusMeters": 500},
        ),
        (await client.get("/open311/v2/requests.json")).json(),
        (await client.get("/open311/v2/requests.xml")).text,
        (await client.get(f"/open311/v2/requests/{reference}.json")).json(),
    ]


async def test_home_and_private_requests_appear_in_no_public_view(
    client: httpx.AsyncClient,
) -> None:
    # given: a home-address service, a public service at the resident's home, and a private
    # service (an appointment with a digital mediator)
    bulky = await request_service(client, bulky_waste_input(contact=CONTACT))
    garden = await request_service(
        client, tree_pruning_input(atHomeAddress=True, addressText="12 rue Lenepveu")
    )
    mediator = await request_service(
        client,
        {
            "serviceCode": "digital_mediator_appointment",
            "commune": "49015",
            "answers": [
                {"code": "topics", "values": ["online_procedures"]},
                {"code": "preferred_slot", "value": "afternoon"},
            ],
            "description": "Rappeler Camille au 06 11 22 33 44",
            "idempotencyKey": "mediator-privacy-1",
        },
    )
    for payload in (bulky, garden, mediator):
        assert payload["errors"] == []
        reference = payload["serviceRequest"]["reference"]
        # when
        views = await public_views(client, reference)
        # then: it is in none of them, and nothing of it leaks
        assert views[0] == {"serviceRequest": None}
        assert views[1] == {"report": None}
        assert reference not in json.dumps(views[:6], ensure_ascii=False)
        assert views[6] == [{"code": 404, "description": views[6][0]["description"]}]
        assert leaks(views) == []


async def test_a_public_request_shows_its_place_and_only_its_public_answers(
    client: httpx.AsyncClient,
) -> None:
    # given
    payload = await request_service(client, tree_pruning_input())
    reference = payload["serviceRequest"]["reference"]
    # when
    public = (await data_of(client, operation("ServiceRequest"), {"reference": reference}))[
        "serviceRequest"
    ]
    open311 = (await client.get(f"/open311/v2/requests/{reference}.json")).json()[0]
    # then: the resident saw every answer; the public sees the public ones only
    assert {a["code"] for a in payload["serviceRequest"]["answers"]} == {
        "tree_place",
        "problem",
        "height_m",
    }
    assert {a["code"] for a in public["answers"]} == {"tree_place", "problem"}
    assert public["latitude"] == pytest.approx(AVRILLE_HOME[0])
    assert public["history"][0]["kind"] == "CREATED"
    assert open311["service_request_id"] == reference


async def test_the_handling_body_reads_every_answer_and_the_address_others_do_not(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    payload = await request_service(client, bulky_waste_input(contact=CONTACT))
    reference = payload["serviceRequest"]["reference"]
    waste_agent = await staff(services, client, "alm-dechets", Role.AGENT)
    town_hall_agent = await staff(services, client, "mairie-49015", Role.AGENT)
    # when
    handled = (await waste_agent.call("HandledServiceRequest", {"reference": reference}))["data"]
    elsewhere = (await town_hall_agent.call("HandledServiceRequest", {"reference": reference}))[
        "data"
    ]
    anonymous = await data_of(client, operation("HandledServiceRequest"), {"reference": reference})
    # then
    request = handled["handledServiceRequest"]["serviceRequest"]
    assert request["addressText"] == "12 rue Lenepveu"
    assert {a["code"] for a in request["answers"]} == {
        "items",
        "volume_m3",
        "preferred_date",
        "access_notes",
    }
    assert [e["code"] for e in elsewhere["handledServiceRequest"]["errors"]] == ["NOT_FOUND"]
    assert [e["code"] for e in anonymous["handledServiceRequest"]["errors"]] == [
        "NOT_AUTHENTICATED"
    ]
    assert leaks(elsewhere) == [] and leaks(anonymous) == []
