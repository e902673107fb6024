"""No personal data in any public view: the contact a resident gave, and the e-mail
addresses and phone numbers they typed into free text, never come out publicly."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.support import ANGERS_TOWN_HALL, data_of, operation, submit_report

pytestmark = pytest.mark.anyio

CONTACT = {
    "name": "Dominique Lefèvre-Personnelle",
    "email": "dominique.personnelle@example.org",
    "phone": "06 98 76 54 32",
    "followUpConsent": True,
    "consentTextVersion": "2026-01",
    "shareWithHandlingBody": True,
}
SECRETS = [
    "Dominique",
    "Lefèvre-Personnelle",
    "dominique.personnelle@example.org",
    "06 98 76 54 32",
    "0698765432",
    "+33698765432",
    "698765432",
    "voisin.bruyant@example.com",
    "07.11.22.33.44",
    "+33 7 11 22 33 44",
]


def leaks(value: Any) -> list[str]:
    text = json.dumps(value, ensure_ascii=False)
    return [secret for secret in SECRETS if secret in text]


async def test_no_public_query_returns_the_contact_or_personal_data_typed_in_free_text(
    fresh_client: httpx.AsyncClient,
) -> None:
    # given: a report with a consented contact, and personal data in its free texts
    payload = await submit_report(
        fresh_client,
        description="Écrivez à voisin.bruyant@example.com ou 07.11.22.33.44 / +33 7 11 22 33 44",
        addressText="Devant le 12, tél. 06 98 76 54 32",
        contact=CONTACT,
    )
    reference = payload["report"]["reference"]
    lat, lon = ANGERS_TOWN_HALL
    # when: every public read
    results = [
        payload["report"],
        await data_of(fresh_client, operation("Report"), {"reference": reference}),
        await data_of(fresh_client, operation("Reports"), {"first": 50}),
        await data_of(
            fresh_client, operation("NearbyReports"), {"latitude": lat, "longitude": lon}
        ),
        await data_of(
            fresh_client,
            operation("ReportSupport"),
            {"reference": reference, "deviceKey": "device-public-1"},
        ),
        await data_of(
            fresh_client,
            "{ reports(first: 50) { edges { node { description "
            "addressText history { text } } } } }",
        ),
    ]
    # then
    assert [leaks(result) for result in results] == [[]] * len(results)
    report = results[1]["report"]
    assert report["description"] == "Écrivez à […] ou […] / […]"
    assert report["addressText"] == "Devant le 12, tél. […]"


async def test_contact_data_has_one_door_in_the_schema_and_it_is_closed_to_the_public(
    client: httpx.AsyncClient,
) -> None:
    # when: every field of every type
    data = await data_of(client, "{ __schema { types { name fields { name } } } }")
    holders = {
        (graphql_type["name"], field["name"])
        for graphql_type in data["__schema"]["types"]
        for field in graphql_type["fields"] or []
        if field["name"].lower() in {"email", "phone", "contact"}
    }
    # then: only what the staff-only, logged `itemContact` mutation returns — and a staff
    # member's own work address (their login), which only administrators read
    # (`staffDirectory`): staff identity, not a resident's contact — and a help place's
    # switchboard (a public service's professional contact, published on purpose)
    assert holders == {
        ("ItemContactPayload", "contact"),
        ("ResidentContact", "email"),
        ("ResidentContact", "phone"),
        ("StaffMember", "email"),
        ("HelpPlace", "email"),
        ("HelpPlace", "phone"),
    }
    # and an anonymous caller knocking on it is refused
    refused = await data_of(client, operation("ItemContact"), {"reference": "ALM-2026-000001"})
    assert refused["itemContact"]["contact"] is None
    assert [e["code"] for e in refused["itemContact"]["errors"]] == ["NOT_AUTHENTICATED"]
