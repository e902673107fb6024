"""The resident's rights with the tracking token: a full copy of what is held (and nothing of
anyone else), and erasure that keeps the anonymous item."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlmodel import select

from service.context import Services
from service.privacy.models import PrivacyLogEntry
from service.staff.models import Role
from tests.privacy.helpers import CONTACT, report_with_contact
from tests.staff.test_triage import staff
from tests.support import data_of, operation

pytestmark = pytest.mark.anyio


async def export(client: httpx.AsyncClient, token: str, language: str = "en") -> dict[str, Any]:
    data = await data_of(client, operation("MyDataExport"), {"token": token}, language=language)
    result: dict[str, Any] = data["myDataExport"]
    return result


async def test_the_export_holds_everything_about_the_item_and_nothing_of_others(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: my report, read once by staff; and a neighbour's report
    reference, token = await report_with_contact(
        client, description="Lampadaire éteint depuis lundi", addressText="3 rue Plantagenêt"
    )
    await report_with_contact(
        client,
        contact={**CONTACT, "name": "Dominique Voisin", "email": "dominique@example.net"},
        description="Poubelle renversée chez le voisin",
    )
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    await agent.call("ItemContact", {"reference": reference})
    # when
    result = await export(client, token)
    # then
    assert result["errors"] == []
    document = json.loads(result["document"])
    assert document["item"]["reference"] == reference
    assert document["item"]["description"] == "Lampadaire éteint depuis lundi"
    assert document["item"]["addressText"] == "3 rue Plantagenêt"
    assert document["contact"]["email"] == "camille.martin@example.org"
    assert document["contact"]["phone"] == "+33612345678"
    assert {c["purpose"] for c in document["consents"]} == {
        "follow_up_contact", "share_with_operator"}  # fmt: skip
    assert len(document["contactReadsByStaff"]) == 1
    assert [h["kind"] for h in document["history"]][0] == "created"
    for other in ("Dominique", "dominique@example.net", "Poubelle", "voisin"):
        assert other not in result["document"]
    assert reference in result["summary"]
    assert "camille.martin@example.org" in result["summary"]


async def test_the_summary_speaks_the_residents_language(client: httpx.AsyncClient) -> None:
    _, token = await report_with_contact(client)
    french = await export(client, token, language="fr")
    german = await export(client, token, language="de")
    assert "Vos coordonnées" in french["summary"]
    assert "Ihre Kontaktdaten" in german["summary"]


async def test_erasure_deletes_the_contact_and_text_and_keeps_the_anonymous_item(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    reference, token = await report_with_contact(
        client, description="Trou devant chez moi, appelez le 06 12 34 56 78"
    )
    # when
    data = await data_of(client, operation("MyDataErase"), {"token": token}, language="en")
    # then
    erased = data["myDataErase"]
    assert erased["errors"] == []
    assert erased["contactDeleted"] is True
    assert erased["item"] == {"reference": reference, "status": "SUBMITTED", "description": "",
                              "addressText": None}  # fmt: skip
    after = json.loads((await export(client, token))["document"])
    assert after["contact"] is None
    assert after["item"]["description"] == ""
    assert after["item"]["category"] == "pothole"
    assert all(c["withdrawnAt"] for c in after["consents"])
    public = await data_of(client, operation("Report"), {"reference": reference})
    assert public["report"]["reference"] == reference
    async with services.db.reading() as session:
        erasures = (await session.exec(
            select(PrivacyLogEntry).where(PrivacyLogEntry.action == "erase")
        )).all()  # fmt: skip
    assert any('"contacts": 1' in entry.counts for entry in erasures)
    assert all("06 12" not in entry.counts for entry in erasures)


async def test_a_forged_token_exports_nothing(client: httpx.AsyncClient) -> None:
    result = await export(client, "forged")
    assert (result["document"], len(result["errors"])) == (None, 1)
    assert result["errors"][0]["code"] == "TOKEN_INVALID"
