"""Submitting a report: validation, routing to the right body, idempotency, contact."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import httpx
import pytest
from sqlmodel import select

from service.context import Services
from service.items.models import Item
from service.privacy.models import Consent, Contact
from service.privacy.rules import open_contact
from service.routing.models import CompetenceOverride
from tests.support import (
    ANGERS_TOWN_HALL,
    BEHUARD,
    CHALONNES_OUTSIDE_ALM,
    PONTS_DE_CE_TOWN_HALL,
    graphql,
    operation,
    report_input,
    submit_report,
)

pytestmark = pytest.mark.anyio

AVRILLE_TOWN_HALL = (47.50694, -0.58917)
TRELAZE_TOWN_HALL = (47.44583, -0.46556)


async def test_a_report_is_stored_routed_and_answered_with_a_reference_and_a_token(
    client: httpx.AsyncClient,
) -> None:
    # when
    payload = await submit_report(client)
    # then
    assert payload["errors"] == []
    report = payload["report"]
    assert report["reference"].startswith("ALM-20")
    assert report["status"] == "SUBMITTED"
    assert report["commune"] == {"code": "49007", "name": "Angers"}
    assert report["handlingBody"]["code"] == "alm-voirie"
    assert payload["trackingToken"]


@pytest.mark.parametrize(
    ("category", "point", "commune", "body"),
    [
        # metropolitan competences go to ALM's directorates, wherever the point is
        ("pothole", ANGERS_TOWN_HALL, "49007", "alm-voirie"),
        ("water_leak", TRELAZE_TOWN_HALL, "49353", "alm-eau"),
        ("light_out", BEHUARD, "49028", "alm-eclairage"),
        ("container_full", PONTS_DE_CE_TOWN_HALL, "49246", "alm-dechets"),
        # communal competences go to the town hall of the commune of the point
        ("graffiti", AVRILLE_TOWN_HALL, "49015", "mairie-49015"),
        ("dangerous_tree", PONTS_DE_CE_TOWN_HALL, "49246", "mairie-49246"),
        ("noise", BEHUARD, "49028", "mairie-49028"),
        # a commune's override: a delegated operator for street furniture in Angers
        ("street_furniture", ANGERS_TOWN_HALL, "49007", "op-mobilier-exemple"),
        # ...but not in Avrillé, which has no override
        ("street_furniture", AVRILLE_TOWN_HALL, "49015", "mairie-49015"),
    ],
)
async def test_each_competence_routes_to_its_body(
    client: httpx.AsyncClient, category: str, point: tuple[float, float], commune: str, body: str
) -> None:
    # when
    payload = await submit_report(client, categoryCode=category, point=point)
    # then
    assert payload["errors"] == []
    assert payload["report"]["commune"]["code"] == commune
    assert payload["report"]["handlingBody"]["code"] == body


async def test_routing_is_recorded_with_its_reason_and_a_body_without_route_is_unrouted(
    client: httpx.AsyncClient, services: Services
) -> None:
    # when: the example operator has no route
    payload = await submit_report(client, categoryCode="street_furniture")
    # then
    async with services.db.reading() as session:
        item = (
            await session.exec(select(Item).where(Item.reference == payload["report"]["reference"]))
        ).one()
    assert item.delivery_state == "unrouted"
    assert item.competence == "operator"
    assert "override from 2026-01-01 in 49007" in item.routing_reason


async def test_an_override_applies_only_from_its_effective_date(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: from tomorrow, graffiti in Trélazé is handled by ALM's cleanliness directorate
    tomorrow = services.clock().date() + timedelta(days=1)
    async with services.db.writing() as session:
        session.add(
            CompetenceOverride(
                category_code="graffiti",
                commune_code="49353",
                competence="metropole",
                body_code="alm-dechets",
                effective_from=tomorrow,
            )
        )
    await services.reload_reference()  # as an administrator's edit will
    # when: today, then tomorrow
    today = await submit_report(client, categoryCode="graffiti", point=TRELAZE_TOWN_HALL)
    real_clock = services.clock
    services.clock = lambda: real_clock() + timedelta(days=1)
    later = await submit_report(client, categoryCode="graffiti", point=TRELAZE_TOWN_HALL)
    services.clock = real_clock
    # then
    assert today["report"]["handlingBody"]["code"] == "mairie-49353"
    assert later["report"]["handlingBody"]["code"] == "alm-dechets"
    assert date.today() < tomorrow


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"categoryCode": "unicorns"}, "categoryCode", "UNKNOWN_CATEGORY"),
        ({"point": CHALONNES_OUTSIDE_ALM}, "latitude", "OUTSIDE_ALM"),
        ({"latitude": 95.0}, "latitude", "LATITUDE_OUT_OF_RANGE"),
        ({"longitude": -200.0}, "longitude", "LONGITUDE_OUT_OF_RANGE"),
        ({"description": "   "}, "description", "TEXT_REQUIRED"),
        ({"description": "x" * 4001}, "description", "TEXT_TOO_LONG"),
        ({"addressText": "x" * 301}, "addressText", "TEXT_TOO_LONG"),
        ({"idempotencyKey": "short"}, "idempotencyKey", "INVALID_IDEMPOTENCY_KEY"),
        (
            {
                "contact": {
                    "email": "not-an-address",
                    "followUpConsent": True,
                    "consentTextVersion": "2026-01",
                }
            },
            "contact.email",
            "INVALID_EMAIL",
        ),
        (
            {"contact": {"phone": "12", "followUpConsent": True, "consentTextVersion": "2026-01"}},
            "contact.phone",
            "INVALID_PHONE",
        ),
        (
            {
                "contact": {
                    "email": "jo@example.org",
                    "followUpConsent": False,
                    "consentTextVersion": "2026-01",
                }
            },
            "contact.followUpConsent",
            "CONSENT_REQUIRED",
        ),
        (
            {"contact": {"name": "Jo", "followUpConsent": True, "consentTextVersion": "2026-01"}},
            "contact.email",
            "CONTACT_INCOMPLETE",
        ),
    ],
)
async def test_bad_input_gets_one_typed_error_and_stores_nothing(
    client: httpx.AsyncClient,
    services: Services,
    overrides: dict[str, object],
    field: str,
    code: str,
) -> None:
    # given
    async with services.db.reading() as session:
        before = len((await session.exec(select(Item.id))).all())
    # when
    payload = await submit_report(client, **overrides)
    # then
    assert payload["report"] is None
    assert payload["trackingToken"] is None
    assert len(payload["errors"]) == 1
    assert payload["errors"][0]["code"] == code
    assert payload["errors"][0]["field"] == field
    async with services.db.reading() as session:
        assert len((await session.exec(select(Item.id))).all()) == before


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("fr", "Ce lieu se trouve en dehors des 29 communes d'Angers Loire Métropole."),
        ("en", "This place is outside the 29 communes of Angers Loire Métropole."),
    ],
)
async def test_errors_speak_the_callers_language(
    client: httpx.AsyncClient, language: str, message: str
) -> None:
    # when
    payload = await submit_report(client, language=language, point=CHALONNES_OUTSIDE_ALM)
    # then
    assert payload["errors"][0]["message"] == message


async def test_the_same_key_returns_the_same_report_and_token(client: httpx.AsyncClient) -> None:
    # given
    values = report_input()
    # when
    first = await graphql(client, operation("ReportCreate"), {"input": values})
    second = await graphql(client, operation("ReportCreate"), {"input": values})
    # then
    one, two = first.json()["data"]["reportCreate"], second.json()["data"]["reportCreate"]
    assert one["report"]["reference"] == two["report"]["reference"]
    assert one["trackingToken"] == two["trackingToken"]


async def test_the_same_key_with_other_content_is_refused(client: httpx.AsyncClient) -> None:
    # given
    values = report_input()
    await graphql(client, operation("ReportCreate"), {"input": values})
    # when
    changed = {**values, "description": "Autre chose"}
    payload = (await graphql(client, operation("ReportCreate"), {"input": changed})).json()
    # then
    errors = payload["data"]["reportCreate"]["errors"]
    assert [e["code"] for e in errors] == ["IDEMPOTENCY_KEY_REUSED"]


async def test_50_concurrent_identical_submissions_make_one_report(
    fresh_client: httpx.AsyncClient, fresh_services: Services
) -> None:
    # given: a flaky network makes the app retry the same submission 50 times at once
    values = report_input()
    # when
    responses = await asyncio.gather(
        *(graphql(fresh_client, operation("ReportCreate"), {"input": values}) for _ in range(50))
    )
    # then
    payloads = [r.json()["data"]["reportCreate"] for r in responses]
    assert all(p["errors"] == [] for p in payloads)
    assert len({p["report"]["reference"] for p in payloads}) == 1
    assert len({p["trackingToken"] for p in payloads}) == 1
    async with fresh_services.db.reading() as session:
        assert len((await session.exec(select(Item))).all()) == 1


async def test_a_contact_is_kept_apart_with_its_consents(
    client: httpx.AsyncClient, services: Services
) -> None:
    # when
    payload = await submit_report(
        client,
        contact={
            "name": "Camille Martin",
            "email": "Camille.Martin@Example.org",
            "phone": "06 12 34 56 78",
            "followUpConsent": True,
            "consentTextVersion": "2026-01",
            "shareWithHandlingBody": True,
        },
    )
    # then
    async with services.db.reading() as session:
        item = (
            await session.exec(select(Item).where(Item.reference == payload["report"]["reference"]))
        ).one()
        contact = (await session.exec(select(Contact).where(Contact.item_id == item.id))).one()
        consents = (await session.exec(select(Consent).where(Consent.item_id == item.id))).all()
    details = open_contact(contact, services.contact_cipher)
    assert (details.email, details.phone) == ("camille.martin@example.org", "+33612345678")
    assert "camille" not in f"{contact.name}{contact.email}".lower()  # encrypted at rest
    assert {c.purpose for c in consents} == {"follow_up_contact", "share_with_operator"}
    assert {c.text_version for c in consents} == {"2026-01"}
    assert {c.channel for c in consents} == {"app"}
