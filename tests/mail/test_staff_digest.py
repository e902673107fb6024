"""An agent's daily e-mail digest: opt-in (off by default), one a day at most, to the work
address, no resident's personal data, one-click off — through a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from service.context import Services
from service.items import rules as items
from service.staff.models import Role, StaffUser
from service.web.console.tokens import DIGEST, DIGEST_PATH
from tests.console.support import CONTACT, new_item, signed_in
from tests.mail.support import Inbox, deliver, local
from tests.support import operation, staff

pytestmark = pytest.mark.anyio

ANGERS_TOWN_HALL = "mairie-49007"


async def work_address(services: Services, staff_id: int) -> str:
    async with services.db.reading() as session:
        user = await session.get(StaffUser, staff_id)
        assert user is not None
        return user.email


async def digest_setting(services: Services, staff_id: int) -> bool:
    async with services.db.reading() as session:
        user = await session.get(StaffUser, staff_id)
        assert user is not None
        return user.mail_digest


async def test_an_agent_turns_the_digest_on_and_gets_one_a_day_without_residents_data(
    running: tuple[Services, httpx.AsyncClient], inbox: Inbox
) -> None:
    # given an agent of Angers's town hall who turns the digest on in the console
    services, client = running
    agent = await signed_in(services, client, ANGERS_TOWN_HALL)
    email = await work_address(services, agent.staff_id)
    page = await agent.get("/console/jetons")
    assert 'name="digest"' in page.text and " checked" not in page.text  # off by default
    saved = await agent.post(DIGEST_PATH, DIGEST, {"digest": "on"})
    assert saved.status_code == 303
    page = await agent.get(saved.headers["location"])
    assert 'value="on" checked' in page.text
    # and items of their body: a new one, one assigned to them, one overdue
    new, assigned, late = [await new_item(client) for _ in range(3)]
    async with services.db.writing() as session:
        row = await items.get_by_reference(session, assigned)
        assert row is not None
        row.assigned_to_id = agent.staff_id
        session.add(row)
        row = await items.get_by_reference(session, late)
        assert row is not None
        row.due_at = datetime.now(UTC) - timedelta(days=2)
        session.add(row)
    # when the mail worker runs, then again two hours later
    now = datetime.now(UTC)
    await deliver(services, now)
    await deliver(services, now + timedelta(hours=2))
    # then one digest came to the work address, in French, with links into the console
    [digest] = inbox.to(email)
    message = digest.message
    assert message["Content-Language"] == "fr"
    assert "Votre résumé quotidien" in str(message["Subject"])
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"].endswith("@signaler.example>")
    for reference in (new, assigned, late):
        assert f"https://signaler.example/console/dossiers/{reference}" in digest.text
        assert f"/console/dossiers/{reference}" in digest.html
    assert "Assignés à vous" in digest.text and "En retard" in digest.text
    # and nothing of the residents' contacts
    for personal in (CONTACT["email"], CONTACT["name"]):
        assert personal not in digest.text and personal not in digest.html


async def test_the_one_click_unsubscribe_turns_the_digest_off(
    running: tuple[Services, httpx.AsyncClient], inbox: Inbox
) -> None:
    # given an agent who received a digest
    services, client = running
    agent = await signed_in(services, client, ANGERS_TOWN_HALL)
    email = await work_address(services, agent.staff_id)
    await agent.post(DIGEST_PATH, DIGEST, {"digest": "on"})
    await new_item(client)
    now = datetime.now(UTC)
    await deliver(services, now)
    [digest] = inbox.to(email)
    # when the mail client POSTs to the header's URL alone, without cookie
    url = digest.message["List-Unsubscribe"].strip().strip("<>")
    answer = await client.post(local(url), content=b"List-Unsubscribe=One-Click")
    await new_item(client)
    await deliver(services, now + timedelta(days=1, minutes=1))
    # then the setting is off, the account still active, and no second digest came
    assert answer.status_code == 200
    assert await digest_setting(services, agent.staff_id) is False
    assert len(inbox.to(email)) == 1


async def test_a_deactivated_account_or_one_without_the_opt_in_gets_nothing(
    running: tuple[Services, httpx.AsyncClient], inbox: Inbox
) -> None:
    # given an agent who opted in then was deactivated, and one who never opted in
    services, client = running
    gone = await signed_in(services, client, ANGERS_TOWN_HALL)
    await gone.post(DIGEST_PATH, DIGEST, {"digest": "on"})
    quiet = await signed_in(services, client, ANGERS_TOWN_HALL)
    async with services.db.writing() as session:
        user = await session.get(StaffUser, gone.staff_id)
        assert user is not None
        user.active = False
        session.add(user)
    await new_item(client)
    # when the mail worker runs
    await deliver(services, datetime.now(UTC))
    # then neither got anything
    assert inbox.to(await work_address(services, gone.staff_id)) == []
    assert inbox.to(await work_address(services, quiet.staff_id)) == []


async def test_an_agent_sets_only_their_own_digest_through_the_api(
    running: tuple[Services, httpx.AsyncClient], inbox: Inbox
) -> None:
    # given two agents with access tokens
    services, client = running
    first = await staff(services, client, ANGERS_TOWN_HALL, Role.AGENT)
    second = await staff(services, client, ANGERS_TOWN_HALL, Role.AGENT)
    # when the first turns the digest on, and an anonymous caller tries
    data = await first.data("MeMailDigestSet", {"enabled": True})
    anonymous = (
        await client.post(
            "/graphql",
            json={
                "query": operation("MeMailDigestSet"),
                "variables": {"enabled": True},
            },
            headers={"accept-language": "en"},
        )
    ).json()["data"]["meMailDigestSet"]
    # then only the first's setting changed, and the anonymous call is refused with its code
    payload = data["meMailDigestSet"]
    assert payload["errors"] == []
    assert payload["me"] == {"id": str(first.staff_id), "mailDigest": True}
    assert await digest_setting(services, first.staff_id) is True
    assert await digest_setting(services, second.staff_id) is False
    assert anonymous["me"] is None
    assert [error["code"] for error in anonymous["errors"]] == ["NOT_AUTHENTICATED"]
    # and turning it off again works
    off = await first.data("MeMailDigestSet", {"enabled": False})
    assert off["meMailDigestSet"]["me"]["mailDigest"] is False
