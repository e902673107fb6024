"""The console's part for supervisors and administrators, and assisted submission, through the
real app: staff accounts (invite, set the password from the link, deactivate), the
escalation list, the audit log, the report and service-request forms for a resident with
their receipt — and who may open each page."""

from __future__ import annotations

import csv
import html
import io
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlmodel import select

from service.context import Services
from service.items.models import Item
from service.staff import accounts
from service.staff import rules as staff_rules
from service.staff.models import AuditEntry, Role, StaffUser
from tests.console.support import CONTACT, Browser, new_item, signed_in
from tests.console.test_same_rules import Watch, graphql
from tests.support import ANGERS_TOWN_HALL
from tests.web.support import assert_secure_page

pytestmark = pytest.mark.anyio
PASSWORD = "a long enough passphrase"


@contextmanager
def days_ago(services: Services, days: int) -> Iterator[None]:
    real_clock = services.clock
    services.clock = lambda: real_clock() - timedelta(days=days)
    try:
        yield
    finally:
        services.clock = real_clock


async def token_of(services: Services, browser: Browser, scopes: list[str]) -> str:
    async with services.db.writing() as session:
        _, token = await staff_rules.create_access_token(
            session, browser.staff_id, "same", scopes, services.clock()
        )
    return token


def invitation_link(page: str) -> str:
    found = re.search(r'<p class="secret">([^<]+)</p>', page)
    assert found, page
    return html.unescape(found.group(1))


async def test_an_admin_invites_an_agent_who_sets_a_password_and_signs_in(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    admin = await signed_in(services, client, role=Role.ADMIN, name="Alex Admin")
    email = f"new-{id(admin)}@angers.fr"
    # when: the admin invites
    invited = await admin.post(
        "/console/equipe",
        "console-staff-invite",
        {"name": "Camille Nouvelle", "email": email, "body": "mairie-49007", "role": "agent"},
    )
    # then: the link is shown once
    assert invited.status_code == 200, invited.text
    assert_secure_page(invited)
    link = invitation_link(invited.text)
    assert urlsplit(link).path == "/console/invitation"
    # when: the new agent opens it (another browser) and chooses a password
    newcomer = Browser(services, client, 0)
    token = parse_qs(urlsplit(link).query)["token"][0]
    shown = await newcomer.get("/console/invitation", token=token)
    assert shown.status_code == 200 and "Camille Nouvelle" in shown.text
    assert shown.headers["referrer-policy"] == "no-referrer"
    mismatch = await newcomer.post(
        "/console/invitation",
        "console-set-password",
        {"token": token, "password": PASSWORD, "confirmation": PASSWORD + "x"},
    )
    done = await newcomer.post(
        "/console/invitation",
        "console-set-password",
        {"token": token, "password": PASSWORD, "confirmation": PASSWORD},
    )
    # then
    assert mismatch.status_code == 400
    assert done.status_code == 303 and done.headers["location"].startswith("/console/connexion")
    signed = await newcomer.post(
        "/console/connexion", "console-sign-in", {"email": email, "password": PASSWORD}
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/console"
    again = await newcomer.get("/console/invitation", token=token)
    assert again.status_code == 404  # single use


async def test_deactivation_stops_the_members_console_session_at_its_next_click(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    admin = await signed_in(services, client, role=Role.ADMIN)
    agent = await signed_in(services, client, name="Sam Agent")
    assert (await agent.get("/console/jetons")).status_code == 200
    # when
    off = await admin.post(
        "/console/equipe/desactivation", "console-staff-deactivate", {"id": str(agent.staff_id)}
    )
    # then
    assert off.status_code == 303
    after = await agent.get("/console/jetons")
    assert after.status_code == 303 and after.headers["location"].startswith("/console/connexion")
    page = await admin.get("/console/equipe")
    assert "Sam Agent" in page.text and "Deactivated" in page.text


async def test_an_admin_changes_a_role_and_makes_a_reset_link(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    admin = await signed_in(services, client, role=Role.ADMIN)
    agent = await signed_in(services, client)
    # when
    changed = await admin.post(
        "/console/equipe/role",
        "console-staff-role",
        {"id": str(agent.staff_id), "role": "supervisor"},
    )
    reset = await admin.post(
        "/console/equipe/reinitialisation", "console-staff-reset", {"id": str(agent.staff_id)}
    )
    other_body = await signed_in(services, client, body="mairie-49015")
    foreign = await admin.post(
        "/console/equipe/desactivation",
        "console-staff-deactivate",
        {"id": str(other_body.staff_id)},
    )
    # then
    assert changed.status_code == 303
    async with services.db.reading() as session:
        member = await session.get(StaffUser, agent.staff_id)
    assert member is not None and member.role == "supervisor"
    assert reset.status_code == 200 and "/console/invitation?token=" in reset.text
    assert foreign.status_code == 404  # another commune's account does not exist here


async def test_the_escalation_list_shows_the_overdue_to_supervisors(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    with days_ago(services, 30):
        late = await new_item(client, categoryCode="graffiti")
    fresh = await new_item(client, categoryCode="graffiti")
    supervisor = await signed_in(services, client, role=Role.SUPERVISOR)
    agent = await signed_in(services, client)
    # when
    page = await supervisor.get("/console/retards")
    refused = await agent.get("/console/retards")
    # then
    assert page.status_code == 200
    assert late in page.text and fresh not in page.text
    assert "days late" in page.text
    assert refused.status_code == 403


async def test_the_audit_log_page_filters_by_action(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: an admin invited someone (audited)
    admin = await signed_in(services, client, role=Role.ADMIN)
    await admin.post(
        "/console/equipe",
        "console-staff-invite",
        {
            "name": "Audit Person",
            "email": f"audit-{admin.staff_id}@angers.fr",
            "body": "mairie-49007",
            "role": "agent",
        },
    )
    agent = await signed_in(services, client)
    # when
    page = await admin.get("/console/journal", action="staff_invited")
    other = await admin.get("/console/journal", action="contact_read")
    refused = await agent.get("/console/journal")
    # then
    assert page.status_code == 200 and "<td>Staff member invited</td>" in page.text
    assert other.status_code == 200 and "<td>Staff member invited</td>" not in other.text
    assert refused.status_code == 403


async def test_an_agent_reports_for_a_resident_on_the_phone_and_gets_a_receipt_in_arabic(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    agent = await signed_in(services, client)
    form = await agent.get("/console/guichet/signalement")
    assert form.status_code == 200 and 'name="channel"' in form.text
    values = {
        "category": "graffiti",
        "latitude": str(ANGERS_TOWN_HALL[0]),
        "longitude": str(ANGERS_TOWN_HALL[1]),
        "description": "Tags sur le mur de l'école, signalés par téléphone.",
        "idempotency_key": f"assisted-{agent.staff_id}",
        "resident_language": "ar",
        "nearby_seen": "1",
    }
    # when
    no_channel = await agent.post("/console/guichet/signalement", "console-assisted-report", values)
    sent = await agent.post(
        "/console/guichet/signalement", "console-assisted-report", {**values, "channel": "phone"}
    )
    # then
    assert no_channel.status_code == 400 and "Choose one answer." in no_channel.text
    assert sent.status_code == 303, sent.text
    location = urlsplit(sent.headers["location"])
    receipt = await agent.get(location.path, jeton=parse_qs(location.query)["jeton"][0])
    assert receipt.status_code == 200
    assert 'lang="ar" dir="rtl"' in receipt.text
    reference = re.search(r'class="reference">([A-Z0-9-]+)<', receipt.text)
    assert reference is not None and re.search(r'class="short-code">[^<]+<', receipt.text)
    async with services.db.reading() as session:
        item = (await session.exec(select(Item).where(Item.reference == reference.group(1)))).one()
    assert (item.channel, item.language) == ("phone", "ar")
    assert item.idempotency_scope == f"staff:{agent.staff_id}"


async def test_an_agent_requests_a_service_for_a_resident_at_the_counter(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    agent = await signed_in(services, client)
    start = await agent.get("/console/guichet")
    assert (
        start.status_code == 200 and "/console/guichet/demandes/information_request" in start.text
    )
    form = await agent.get("/console/guichet/demandes/information_request")
    assert form.status_code == 200 and 'name="answer_topic"' in form.text
    values = {
        "channel": "counter",
        "commune": "49007",
        "description": "Horaires de la déchèterie le dimanche ?",
        "idempotency_key": f"assisted-request-{agent.staff_id}",
        "resident_language": "en",
    }
    # when: sent without its required answers, then complete
    refused = await agent.post(
        "/console/guichet/demandes/information_request", "console-assisted-request", values
    )
    sent = await agent.post(
        "/console/guichet/demandes/information_request",
        "console-assisted-request",
        {**values, "answer_topic": "waste", "answer_reply_by": "phone"},
    )
    # then
    assert refused.status_code == 400
    assert sent.status_code == 303, sent.text
    location = urlsplit(sent.headers["location"])
    receipt = await agent.get(location.path, jeton=parse_qs(location.query)["jeton"][0])
    assert receipt.status_code == 200
    assert "Information request" in receipt.text and "By phone" in receipt.text


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/console/retards", {Role.AGENT: 403, Role.SUPERVISOR: 200, Role.ADMIN: 200}),
        ("/console/journal", {Role.AGENT: 403, Role.SUPERVISOR: 403, Role.ADMIN: 200}),
        ("/console/equipe", {Role.AGENT: 403, Role.SUPERVISOR: 403, Role.ADMIN: 200}),
        ("/console/guichet", {Role.AGENT: 200, Role.SUPERVISOR: 200, Role.ADMIN: 200}),
        ("/console/guichet/signalement", {Role.AGENT: 200, Role.SUPERVISOR: 200, Role.ADMIN: 200}),
    ],
)
async def test_who_opens_which_page(
    client: httpx.AsyncClient, services: Services, path: str, expected: dict[Role, int]
) -> None:
    # given
    expected = {**expected, Role.COUNCIL: 403}
    # when
    seen = {}
    for role in expected:
        browser = await signed_in(services, client, role=role)
        seen[role] = (await browser.get(path)).status_code
    anonymous = await client.get(path)
    # then
    assert seen == expected
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/console/connexion")
    async with services.db.reading() as session:
        assert (await session.exec(select(AuditEntry).limit(1))).first() is not None


async def test_the_filtered_queue_exports_as_csv_without_contact_data_and_is_audited(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: an overdue graffiti with a contact, and a fresh one
    with days_ago(services, 30):
        late = await new_item(client, categoryCode="graffiti")
    fresh = await new_item(client, categoryCode="graffiti")
    agent = await signed_in(services, client)
    # when
    plain = await agent.get("/console/export.csv", overdue="1", order="due_soonest")
    french = await agent.get("/console/export.csv", overdue="1", format="tableur")
    # then: Python's csv reads both back
    assert plain.status_code == 200
    assert plain.headers["content-type"].startswith("text/csv")
    assert plain.headers["content-disposition"].startswith("attachment;")
    assert plain.headers["cache-control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(plain.content.decode("utf-8"))))
    references = [r["reference"] for r in rows]
    assert late in references and fresh not in references
    assert all(r["overdue"] == "1" for r in rows)
    line = next(r for r in rows if r["reference"] == late)
    assert line["category"] == "graffiti" and line["commune"] == "49007"
    assert datetime.fromisoformat(line["due_at"]) - datetime.fromisoformat(
        line["received_at"]
    ) == timedelta(hours=120)  # Angers' own target for graffiti
    assert french.content.startswith("\ufeff".encode())
    french_rows = list(
        csv.DictReader(io.StringIO(french.content.decode("utf-8-sig")), delimiter=";")
    )
    assert {r["reference"] for r in french_rows} == set(references)
    # no contact: neither the resident's name, e-mail nor phone appears
    for body in (plain.text, french.content.decode("utf-8-sig")):
        assert CONTACT["email"] not in body and CONTACT["name"] not in body
    async with services.db.reading() as session:
        entries = (
            await session.exec(
                select(AuditEntry).where(
                    AuditEntry.staff_id == agent.staff_id, AuditEntry.action == "queue_exported"
                )
            )
        ).all()
    assert len(entries) == 2 and "overdue" in (entries[0].detail or "")


async def test_the_console_and_the_api_call_the_same_account_functions_which_hold_the_check(
    client: httpx.AsyncClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: both doors, watched on service.staff.accounts
    invite = Watch(monkeypatch, accounts, "invite")
    deactivate = Watch(monkeypatch, accounts, "deactivate")
    admin = await signed_in(services, client, role=Role.ADMIN)
    agent = await signed_in(services, client)
    token = await token_of(services, admin, ["staff:read", "staff:write"])
    agent_token = await token_of(services, agent, ["items:read"])
    document = "mutation($i: StaffInviteInput!) { staffInvite(input: $i) { errors { code } } }"

    def values(prefix: str) -> dict[str, Any]:
        return {
            "email": f"{prefix}-{uuid.uuid4().hex[:8]}@angers.fr",
            "name": "Same Rules",
            "bodyCode": "mairie-49007",
            "role": "AGENT",
        }

    # when: an administrator invites through each door, then an agent tries through each
    await admin.post(
        "/console/equipe",
        "console-staff-invite",
        {**{k: v for k, v in values("c").items() if k != "bodyCode"}, "body": "mairie-49007"},
    )
    await graphql(client, token, document, i=values("g"))
    refused_page = await agent.post(
        "/console/equipe",
        "console-staff-invite",
        {"name": "X", "email": "x@angers.fr", "body": "mairie-49007", "role": "agent"},
    )
    refused_api = await graphql(client, agent_token, document, i=values("r"))
    gone = await agent.post(
        "/console/equipe/desactivation", "console-staff-deactivate", {"id": str(admin.staff_id)}
    )
    # then: the same function each time, and the refusals came out of it
    refused = "refused StaffErrorCode.FORBIDDEN"
    assert invite.calls == ["done", "done", refused, refused]
    assert deactivate.calls == [refused]
    assert refused_page.status_code == 403 and gone.status_code == 403
    assert refused_api["staffInvite"]["errors"] == [{"code": "FORBIDDEN"}]
