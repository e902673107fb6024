"""Staff accounts: administrators invite with a link that sets the password (48 hours, single
use, stored hashed), change roles, deactivate (everything stops at once) and reset passwords;
every operation is audited without an e-mail address; each stays within the bodies one
administers (ALM's administrators: all of them)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlmodel import col, select

from service.context import Services
from service.staff.models import AuditEntry, Role, StaffInvitation
from tests.staff.test_authentication import call, log_in
from tests.support import Staff, staff

pytestmark = pytest.mark.anyio

NEW_PASSWORD = "a long enough passphrase"
ADMIN_SCOPES = ("items:read", "items:write", "staff:read", "staff:write")


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


async def invite(
    admin: Staff, body: str = "mairie-49007", role: str = "AGENT", **overrides: str
) -> dict[str, Any]:
    values = {
        "email": f"Agent-{uuid.uuid4().hex[:8]}@Angers.fr",
        "name": "Camille Agent",
        "bodyCode": body,
        "role": role,
        **overrides,
    }
    payload: dict[str, Any] = (await admin.data("StaffInvite", {"input": values}))["staffInvite"]
    return payload


async def accept(client: httpx.AsyncClient, token: str, password: str = NEW_PASSWORD) -> Any:
    response = await call(client, "StaffInvitationAccept", {"token": token, "password": password})
    return response.json()["data"]["staffInvitationAccept"]


async def test_an_invited_agent_sets_a_password_with_the_link_once_and_logs_in(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    admin = await staff(services, client, "mairie-49007", Role.ADMIN, ADMIN_SCOPES)
    invited = await invite(admin)
    assert invited["errors"] == []
    email = invited["staffMember"]["email"]
    url = invited["invitation"]["url"]
    assert email == email.lower() and urlsplit(url).path == "/console/invitation"
    # when
    before = await log_in(client, email, NEW_PASSWORD)
    accepted = await accept(client, token_of(url))
    again = await accept(client, token_of(url), "another long passphrase")
    # then
    assert [e["code"] for e in before["errors"]] == ["INVALID_CREDENTIALS"]
    assert accepted == {"done": True, "errors": []}
    assert [e["code"] for e in again["errors"]] == ["INVALID_INVITATION"]
    logged = await log_in(client, email, NEW_PASSWORD)
    assert logged["errors"] == [] and logged["me"]["role"] == "AGENT"
    # only the link's hash is stored, and the audit log names no e-mail address
    async with services.db.reading() as session:
        stored = (await session.exec(select(StaffInvitation.token_hash))).all()
        entries = (
            await session.exec(
                select(AuditEntry).where(
                    col(AuditEntry.detail).contains(f"staff:{invited['staffMember']['id']} ")
                )
            )
        ).all()
    assert token_of(url) not in stored
    assert {"staff_invited", "staff_password_set"} <= {e.action for e in entries}
    assert all(email not in (e.detail or "") for e in entries)


async def test_a_link_expires_after_48_hours_and_a_short_password_is_refused(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    admin = await staff(services, client, "mairie-49007", Role.ADMIN, ADMIN_SCOPES)
    token = token_of((await invite(admin))["invitation"]["url"])
    # when
    short = await accept(client, token, "short")
    real_clock = services.clock
    services.clock = lambda: real_clock() + timedelta(hours=48, minutes=1)
    try:
        late = await accept(client, token)
    finally:
        services.clock = real_clock
    # then
    assert [e["code"] for e in short["errors"]] == ["WEAK_PASSWORD"]
    assert [e["code"] for e in late["errors"]] == ["INVALID_INVITATION"]


@pytest.mark.parametrize(
    ("who", "body", "expected"),
    [
        (("mairie-49007", Role.ADMIN), "mairie-49007", None),
        (("mairie-49007", Role.ADMIN), "mairie-49015", "NOT_FOUND"),  # another commune
        (("alm", Role.ADMIN), "mairie-49015", None),  # ALM's administrators: every body
        (("alm-voirie", Role.ADMIN), "mairie-49015", "NOT_FOUND"),
        (("mairie-49007", Role.SUPERVISOR), "mairie-49007", "FORBIDDEN"),
        (("mairie-49007", Role.AGENT), "mairie-49007", "FORBIDDEN"),
        (("alm", Role.COUNCIL), "mairie-49007", "FORBIDDEN"),
    ],
)
async def test_who_may_invite_into_which_body(
    client: httpx.AsyncClient,
    services: Services,
    who: tuple[str, Role],
    body: str,
    expected: str | None,
) -> None:
    # given
    member = await staff(services, client, *who, ADMIN_SCOPES)
    # when
    payload = await invite(member, body)
    # then
    assert [e["code"] for e in payload["errors"]] == ([expected] if expected else [])


async def test_an_access_token_without_staff_write_cannot_manage_accounts(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    admin = await staff(services, client, "mairie-49007", Role.ADMIN, ("staff:read",))
    # when
    payload = await invite(admin)
    # then
    assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]


async def test_deactivating_stops_tokens_sessions_and_links_at_once(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: an agent with an access token, and an invited colleague whose link is pending
    admin = await staff(services, client, "mairie-49007", Role.ADMIN, ADMIN_SCOPES)
    agent = await staff(services, client, "mairie-49007", Role.AGENT)
    pending = await invite(admin)
    assert (await agent.data("MyStaffId"))["me"]["id"] == str(agent.staff_id)
    # when
    off = (await admin.data("StaffDeactivate", {"id": str(agent.staff_id)}))["staffDeactivate"]
    await admin.data("StaffDeactivate", {"id": pending["staffMember"]["id"]})
    # then
    assert off["errors"] == [] and off["staffMember"]["active"] is False
    refused = await agent.call("MyStaffId")  # the token is refused before any resolver runs
    assert refused["errors"][0]["extensions"]["code"] == "NOT_AUTHENTICATED"
    late = await accept(client, token_of(pending["invitation"]["url"]))
    assert [e["code"] for e in late["errors"]] == ["INVALID_INVITATION"]


async def test_a_deactivated_agents_browser_session_stops_at_its_next_request(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: an invited agent who set a password and logged in (session cookie)
    admin = await staff(services, client, "mairie-49007", Role.ADMIN, ADMIN_SCOPES)
    invited = await invite(admin)
    await accept(client, token_of(invited["invitation"]["url"]))
    logged = await log_in(client, invited["staffMember"]["email"], NEW_PASSWORD)
    assert logged["errors"] == []
    me = (await call(client, "MyStaffId")).json()["data"]["me"]
    assert me["id"] == invited["staffMember"]["id"]
    # when
    await admin.data("StaffDeactivate", {"id": invited["staffMember"]["id"]})
    # then
    assert (await call(client, "MyStaffId")).json()["data"]["me"] is None
    again = await log_in(client, invited["staffMember"]["email"], NEW_PASSWORD)
    assert [e["code"] for e in again["errors"]] == ["INVALID_CREDENTIALS"]


async def test_role_change_and_its_limits(client: httpx.AsyncClient, services: Services) -> None:
    # given
    admin = await staff(services, client, "mairie-49007", Role.ADMIN, ADMIN_SCOPES)
    agent = await staff(services, client, "mairie-49007", Role.AGENT)
    elsewhere = await staff(services, client, "mairie-49015", Role.AGENT)
    # when
    promoted = await admin.data(
        "StaffRoleChange", {"id": str(agent.staff_id), "role": "SUPERVISOR"}
    )
    oneself = await admin.data("StaffRoleChange", {"id": str(admin.staff_id), "role": "AGENT"})
    foreign = await admin.data(
        "StaffRoleChange", {"id": str(elsewhere.staff_id), "role": "SUPERVISOR"}
    )
    # then
    assert promoted["staffRoleChange"]["staffMember"]["role"] == "SUPERVISOR"
    assert [e["code"] for e in oneself["staffRoleChange"]["errors"]] == ["NOT_ONESELF"]
    assert [e["code"] for e in foreign["staffRoleChange"]["errors"]] == ["NOT_FOUND"]
    # the promotion applies at once: a supervisor may re-route, which agents may not
    async with services.db.reading() as session:
        actions = (
            await session.exec(
                select(AuditEntry.action, AuditEntry.detail).where(
                    AuditEntry.staff_id == admin.staff_id
                )
            )
        ).all()
    assert ("staff_role_changed", f"staff:{agent.staff_id} supervisor mairie-49007 from agent") in [
        tuple(a) for a in actions
    ]


async def test_a_password_reset_voids_older_links_and_sets_a_new_password(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    admin = await staff(services, client, "mairie-49007", Role.ADMIN, ADMIN_SCOPES)
    invited = await invite(admin)
    first_link = token_of(invited["invitation"]["url"])
    member_id = invited["staffMember"]["id"]
    # when
    reset = (await admin.data("StaffPasswordReset", {"id": member_id}))["staffPasswordReset"]
    old = await accept(client, first_link)
    new = await accept(client, token_of(reset["invitation"]["url"]), "the new long passphrase")
    # then
    assert [e["code"] for e in old["errors"]] == ["INVALID_INVITATION"]
    assert new == {"done": True, "errors": []}
    logged = await log_in(client, invited["staffMember"]["email"], "the new long passphrase")
    assert logged["errors"] == []


async def test_the_directory_shows_colleagues_and_only_administrators_see_emails(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    admin = await staff(services, client, "mairie-49007", Role.ADMIN, ADMIN_SCOPES)
    agent = await staff(services, client, "mairie-49007", Role.AGENT)
    other = await staff(services, client, "mairie-49015", Role.AGENT)
    # when
    seen_by_agent = (await agent.data("StaffDirectory"))["staffDirectory"]
    seen_by_admin = (await admin.data("StaffDirectory", {"includeInactive": True}))[
        "staffDirectory"
    ]
    # then
    ids = {m["id"] for m in seen_by_agent}
    assert str(admin.staff_id) in ids and str(other.staff_id) not in ids
    assert all(m["email"] is None for m in seen_by_agent)
    assert all(m["email"] for m in seen_by_admin)
    assert {m["body"]["code"] for m in seen_by_admin} == {"mairie-49007"}
