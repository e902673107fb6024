"""Reading a resident's contact is a deliberate, logged act of the handling body only; agents
report for residents without digital access and hand over a short code."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from service.context import Services
from service.privacy.models import Consent, ContactAccess
from service.staff.models import Role
from tests.staff.test_triage import staff
from tests.support import data_of, operation, report_input, submit_report

pytestmark = pytest.mark.anyio

CONTACT = {
    "name": "Camille Martin",
    "email": "camille@example.org",
    "phone": "06 12 34 56 78",
    "followUpConsent": True,
    "consentTextVersion": "2026-01",
}


async def test_the_handling_body_reads_the_contact_and_the_read_is_logged(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: graffiti in Angers with a consented contact
    reference = (await submit_report(client, categoryCode="graffiti", contact=CONTACT))["report"][
        "reference"
    ]
    agent = await staff(services, client, "mairie-49007", Role.AGENT)
    # when
    result = (await agent.call("ItemContact", {"reference": reference}))["data"]["itemContact"]
    # then
    assert result["contact"] == {
        "name": "Camille Martin",
        "email": "camille@example.org",
        "phone": "+33612345678",
    }
    async with services.db.reading() as session:
        reads = (
            await session.exec(
                select(ContactAccess).where(ContactAccess.staff_id == agent.staff_id)
            )
        ).all()
    assert len(reads) == 1


@pytest.mark.parametrize(
    ("body", "role"),
    [
        ("mairie-49246", Role.AGENT),  # another commune's agent
        ("alm", Role.ADMIN),  # ALM's admin: not the handling body
        ("mairie-49007", Role.COUNCIL),  # a council member of the very commune
    ],
)
async def test_nobody_else_reads_the_contact(
    client: httpx.AsyncClient, services: Services, body: str, role: Role
) -> None:
    reference = (await submit_report(client, categoryCode="graffiti", contact=CONTACT))["report"][
        "reference"
    ]
    other = await staff(services, client, body, role)
    result = (await other.call("ItemContact", {"reference": reference}))["data"]["itemContact"]
    assert result["contact"] is None
    assert [e["code"] for e in result["errors"]] in (["NOT_FOUND"], ["FORBIDDEN"])


async def test_a_withdrawn_consent_closes_the_contact_at_once(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    reference = (await submit_report(client, categoryCode="graffiti", contact=CONTACT))["report"][
        "reference"
    ]
    agent = await staff(services, client, "mairie-49007", Role.AGENT)
    async with services.db.writing() as session:
        for consent in (await session.exec(select(Consent))).all():
            consent.withdrawn_at = services.clock()
            session.add(consent)
    # when
    result = (await agent.call("ItemContact", {"reference": reference}))["data"]["itemContact"]
    # then
    assert [e["code"] for e in result["errors"]] == ["NO_CONTACT"]


async def test_an_agent_reports_for_a_resident_who_follows_it_with_the_short_code(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: an agent at the Angers counter
    agent = await staff(services, client, "mairie-49007", Role.AGENT)
    values = report_input(categoryCode="light_out")
    del values["channel"]
    # when
    payload = (
        await agent.call("AssistedReportCreate", {"input": {**values, "channel": "COUNTER"}})
    )["data"]["assistedReportCreate"]
    # then
    assert payload["errors"] == []
    reference, code = payload["report"]["reference"], payload["shortCode"]
    assert len(code) == 9 and code[4] == "-"
    followed = await data_of(
        client,
        operation("TrackedByCode"),
        {"reference": reference, "code": code.lower().replace("-", " ")},
        language="fr",
    )
    assert followed["trackedByCode"]["item"]["reference"] == reference
    wrong = await data_of(
        client, operation("TrackedByCode"), {"reference": reference, "code": "AAAA-AAAA"}
    )
    assert [e["code"] for e in wrong["trackedByCode"]["errors"]] == ["TOKEN_INVALID"]
    # the wrong value is the code the caller sent (there is no token in this call)
    assert [e["field"] for e in wrong["trackedByCode"]["errors"]] == ["code"]


async def test_only_staff_submit_for_others(client: httpx.AsyncClient) -> None:
    values = report_input()
    del values["channel"]
    response = await client.post(
        "/graphql",
        json={
            "query": operation("AssistedReportCreate"),
            "variables": {"input": {**values, "channel": "PHONE"}},
        },
    )
    errors = response.json()["data"]["assistedReportCreate"]["errors"]
    assert [e["code"] for e in errors] == ["NOT_AUTHENTICATED"]
