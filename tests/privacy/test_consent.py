"""Consents per purpose, withdrawn with the tracking token, effective at once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from service.context import Services
from service.outbox.models import OutboxEntry
from service.privacy.models import Contact, PrivacyLogEntry
from service.staff.models import Role
from tests.privacy.helpers import report_with_contact
from tests.staff.test_triage import staff
from tests.support import data_of, operation

pytestmark = pytest.mark.anyio


async def withdraw(
    client: httpx.AsyncClient, token: str, purposes: list[str] | None = None
) -> dict[str, Any]:
    data = await data_of(
        client,
        operation("ConsentWithdraw"),
        {"token": token, "purposes": purposes},
        language="en",
    )
    result: dict[str, Any] = data["consentWithdraw"]
    return result


async def test_withdrawing_one_purpose_keeps_the_contact_for_the_others(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: follow-up and sharing consented
    reference, token = await report_with_contact(client)
    # when
    result = await withdraw(client, token, ["SHARE_WITH_OPERATOR"])
    # then
    assert result == {"remainingPurposes": ["FOLLOW_UP_CONTACT"], "contactDeleted": False,
                      "errors": []}  # fmt: skip
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    read = (await agent.call("ItemContact", {"reference": reference}))["data"]["itemContact"]
    assert read["contact"]["email"] == "camille.martin@example.org"


async def test_withdrawing_the_last_purpose_deletes_the_contact_at_once(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    reference, token = await report_with_contact(client)
    agent = await staff(services, client, "alm-voirie", Role.AGENT)
    # when
    first = await withdraw(client, token, ["FOLLOW_UP_CONTACT"])
    second = await withdraw(client, token, ["SHARE_WITH_OPERATOR"])
    # then
    assert (first["contactDeleted"], second["contactDeleted"]) == (False, True)
    assert second["remainingPurposes"] == []
    read = (await agent.call("ItemContact", {"reference": reference}))["data"]["itemContact"]
    assert [e["code"] for e in read["errors"]] == ["NO_CONTACT"]
    async with services.db.reading() as session:
        item_id = (await session.exec(
            select(OutboxEntry.item_id).where(OutboxEntry.topic == "item.contact_deleted")
            .order_by(col(OutboxEntry.id).desc())
        )).first()  # fmt: skip
        contacts = (await session.exec(select(Contact).where(Contact.item_id == item_id))).all()
        logs = (await session.exec(
            select(PrivacyLogEntry).where(PrivacyLogEntry.item_id == item_id)
        )).all()  # fmt: skip
    assert contacts == []
    assert [(log.action, log.counts) for log in logs] == [
        ("consent_withdrawn", '{"consents": 1, "contacts": 0}'),
        ("consent_withdrawn", '{"consents": 1, "contacts": 1}'),
    ]


async def test_withdrawing_everything_at_once(client: httpx.AsyncClient) -> None:
    _, token = await report_with_contact(client)
    result = await withdraw(client, token)
    assert (result["remainingPurposes"], result["contactDeleted"]) == ([], True)


async def test_a_forged_token_withdraws_nothing(client: httpx.AsyncClient) -> None:
    result = await withdraw(client, "forged.token")
    assert len(result["errors"]) == 1
    assert result["errors"][0]["code"] == "TOKEN_INVALID"
