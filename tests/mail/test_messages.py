"""Messages to residents, through a real SMTP server (aiosmtpd) in the test process, parsed
with the standard library's ``email`` parser: language, links, headers, parts, consent."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import col, select

from service.context import Services
from service.items import rules as items
from service.items.lifecycle import Status
from service.items.models import ItemEvent
from service.mail.models import MailKind, MailMessage
from service.mail.sender import SUBJECTS, SendCounts, plan_mail
from service.outbox.models import Delivery
from service.routing import delivery
from service.routing.models import Route
from service.settings import Settings
from service.trends import rollup
from service.trends.models import TrendsDaily
from tests.mail.support import (
    PUBLIC_URL,
    SENDER,
    Inbox,
    address,
    change,
    deliver,
    local,
    query_token,
    report,
)
from tests.support import (
    ONE_ORIGIN_LIMITS,
    graphql,
    operation,
    running_service,
)

pytestmark = pytest.mark.anyio


async def messages_of(services: Services, reference: str) -> list[MailMessage]:
    async with services.db.reading() as session:
        item = await items.get_by_reference(session, reference)
        assert item is not None
        found = await session.exec(
            select(MailMessage).where(MailMessage.item_id == item.id).order_by(col(MailMessage.id))
        )
        return list(found.all())


async def test_a_resident_who_consented_is_told_the_item_was_received_in_their_language(
    running: tuple[Services, httpx.AsyncClient], inbox: Inbox
) -> None:
    # given a resident writing in German, and another resident's report
    services, client = running
    email, other = address(), address()
    reference, _ = await report(client, email, language="de")
    other_reference, _ = await report(client, other)
    # when
    await deliver(services)
    # then one message each, multipart, in German, with the right headers
    [received] = inbox.to(email)
    message = received.message
    german = services.translator("de")
    assert message["Subject"] == german.gettext(SUBJECTS[MailKind.RECEIVED], reference=reference)
    assert message["Subject"] != SUBJECTS[MailKind.RECEIVED] % {"reference": reference}
    assert message["Content-Language"] == "de"
    assert message["To"] == email
    assert message["From"] == SENDER
    assert message.get_content_type() == "multipart/alternative"
    assert german.gettext("Hello,") in received.text and reference in received.text
    assert '<html lang="de" dir="ltr">' in received.html
    [row] = await messages_of(services, reference)
    assert message["Message-ID"] == f"<{row.message_uid}@signaler.example>"
    assert row.status == "sent" and row.attempts == 1
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (
        message["List-Unsubscribe"]
        .strip()
        .startswith(f"<{PUBLIC_URL}/courriel/desinscription?jeton=")
    )
    # no image, no remote resource: every link goes to the service's own pages
    assert "<img" not in received.html and "src=" not in received.html
    assert all(link.startswith(PUBLIC_URL + "/") for link in received.links())
    # nothing of anyone else: not the other report, not the other address
    raw = message.as_string()
    assert other_reference not in raw and other not in raw
    assert len(inbox.to(other)) == 1


async def test_the_tracking_link_of_a_message_opens_the_item_and_stops_opening_it_once_expired(
    running: tuple[Services, httpx.AsyncClient], inbox: Inbox
) -> None:
    # given
    services, client = running
    email = address()
    reference, token = await report(client, email)
    await deliver(services)
    [received] = inbox.to(email)
    [follow] = [link for link in received.links() if link.startswith(f"{PUBLIC_URL}/suivi?")]
    # when
    page = await client.get(local(follow))
    # then it is the resident's own tracking link, and it opens their item
    assert query_token(follow) == token
    assert page.status_code == 200 and reference in page.text
    # and like every tracking link, it expires after the item is closed for long enough
    old = datetime.now(UTC) - timedelta(days=services.settings.tracking_token_days + 2)
    await change(services, reference, Status.RESOLVED, now=old)
    expired = await client.get(local(follow))
    assert expired.status_code != 200 and reference not in expired.text


async def test_a_message_says_where_to_get_help_in_the_residents_commune_and_language(
    running: tuple[Services, httpx.AsyncClient], inbox: Inbox
) -> None:
    # given a resident writing in Spanish about Angers
    services, client = running
    email = address()
    await report(client, email, language="es")
    # when
    await deliver(services)
    # then both parts point to the directory of help places of the item's commune
    [received] = inbox.to(email)
    spanish = services.translator("es")
    line = spanish.gettext(
        "Need help? Places near you help with online procedures, free of charge:"
    )
    assert line in received.text
    [link] = [link for link in received.links() if "/aide-numerique?" in link]
    assert link == f"{PUBLIC_URL}/aide-numerique?commune=49007&lang=es"
    assert link in received.text
    page = await client.get(local(link))
    assert page.status_code == 200 and 'lang="es"' in page.text


async def test_status_changes_and_answers_reach_the_resident_with_the_reason_of_a_rejection(
    running: tuple[Services, httpx.AsyncClient], inbox: Inbox
) -> None:
    # given
    services, client = running
    email = address()
    reference, _ = await report(client, email)
    await deliver(services)
    # when staff acknowledge it, then reject it with a public reason
    await change(services, reference, Status.ACKNOWLEDGED)
    await deliver(services)
    await change(services, reference, Status.REJECTED, text="Ce lampadaire dépend d'Enedis.")
    await deliver(services)
    # then three messages, each about its change, the reason quoted in the last one
    received = inbox.to(email)
    french = services.translator("fr")
    assert [r.message["Subject"] for r in received] == [
        french.gettext(SUBJECTS[kind], reference=reference)
        for kind in (MailKind.RECEIVED, MailKind.ACKNOWLEDGED, MailKind.REJECTED)
    ]
    assert "Ce lampadaire dépend d'Enedis." in received[-1].text
    assert "Ce lampadaire dépend d&#39;Enedis." in received[-1].html
    assert len({r.message["Message-ID"] for r in received}) == 3


async def test_a_report_without_contact_sends_nothing(
    running: tuple[Services, httpx.AsyncClient], inbox: Inbox
) -> None:
    # given
    services, client = running
    reference, _ = await report(client, None)
    # when
    await deliver(services)
    await change(services, reference, Status.ACKNOWLEDGED)
    await deliver(services)
    # then
    assert await messages_of(services, reference) == []


async def test_one_click_unsubscribe_from_the_header_alone_stops_queued_messages(
    running: tuple[Services, httpx.AsyncClient], inbox: Inbox
) -> None:
    # given a message received, and another one queued
    services, client = running
    email = address()
    reference, _ = await report(client, email)
    await deliver(services)
    [first] = inbox.to(email)
    await change(services, reference, Status.ACKNOWLEDGED)
    await plan_mail(services.db, services.settings, datetime.now(UTC))
    # when the mail client POSTs to the header's URL, without cookie nor CSRF token (RFC 8058)
    url = first.message["List-Unsubscribe"].strip().strip("<>")
    client.cookies.clear()
    answer = await client.post(
        local(url),
        content=first.message["List-Unsubscribe-Post"],
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    await deliver(services)
    # then nothing more is sent, and the queued message says why
    assert answer.status_code == 200
    assert len(inbox.to(email)) == 1
    rows = await messages_of(services, reference)
    assert [(r.kind, r.status) for r in rows] == [
        ("received", "sent"),
        ("acknowledged", "cancelled"),
    ]


async def test_following_the_unsubscribe_link_changes_nothing_until_the_button_is_pressed(
    running: tuple[Services, httpx.AsyncClient], inbox: Inbox
) -> None:
    # given
    services, client = running
    email = address()
    reference, _ = await report(client, email)
    await deliver(services)
    [first] = inbox.to(email)
    [link] = [link for link in first.links() if "/courriel/desinscription" in link]
    # when a link checker (or the resident) opens it
    page = await client.get(local(link))
    await change(services, reference, Status.ACKNOWLEDGED)
    await deliver(services)
    # then the page asks, and messages still come
    assert page.status_code == 200 and "<form" in page.text
    assert len(inbox.to(email)) == 2
    # and a forged token opens nothing
    forged = await client.post(
        "/courriel/desinscription?jeton=forged", content=b"List-Unsubscribe=One-Click"
    )
    assert forged.status_code == 404


async def test_a_hard_bounce_disables_the_address_and_tells_the_staff(
    running: tuple[Services, httpx.AsyncClient], inbox: Inbox
) -> None:
    # given an address the mail server refuses for good
    services, client = running
    email = address()
    inbox.refused_recipients.add(email)
    reference, _ = await report(client, email)
    # when
    await deliver(services)
    await change(services, reference, Status.ACKNOWLEDGED)
    await deliver(services)
    # then it was tried once, nothing more is tried, and the staff history says so
    rows = await messages_of(services, reference)
    assert [(r.kind, r.status, r.attempts) for r in rows] == [
        ("received", "bounced", 1),
        ("acknowledged", "cancelled", 0),
    ]
    async with services.db.reading() as session:
        item = await items.get_by_reference(session, reference)
        assert item is not None
        events = (
            await session.exec(
                select(ItemEvent).where(
                    ItemEvent.item_id == item.id, ItemEvent.kind == "delivery_failed"
                )
            )
        ).all()
    [event] = events
    assert event.audience == "staff" and "SMTP 550" in (event.text or "")
    assert email not in (event.text or "")


async def test_a_temporary_refusal_is_retried_later_under_the_same_message_id(
    running: tuple[Services, httpx.AsyncClient], inbox: Inbox
) -> None:
    # given a mail server that says "try later" once
    services, client = running
    email = address()
    reference, _ = await report(client, email)
    inbox.data_replies.append("451 4.3.0 Try again later")
    now = datetime.now(UTC)
    # when
    first = await deliver(services, now)
    too_soon = await deliver(services, now + timedelta(seconds=30))
    later = await deliver(services, now + timedelta(seconds=61))
    # then
    assert (first.retried, too_soon, later.sent) == (1, SendCounts(), 1)
    [received] = inbox.to(email)
    [row] = await messages_of(services, reference)
    assert received.message["Message-ID"] == f"<{row.message_uid}@signaler.example>"
    assert (row.status, row.attempts) == ("sent", 2)


async def test_the_questionnaire_goes_once_after_the_delay_and_only_with_its_consent(
    running: tuple[Services, httpx.AsyncClient], inbox: Inbox
) -> None:
    # given two resolved items, one with the questionnaire's consent
    services, client = running
    asked, not_asked = address(), address()
    reference, _ = await report(client, asked, satisfactionSurveyConsent=True)
    other, _ = await report(client, not_asked)
    now = datetime.now(UTC)
    for ref in (reference, other):
        await change(services, ref, Status.RESOLVED, now=now)
    # when
    await deliver(services, now + timedelta(days=13))
    early = [r.message["Subject"] for r in inbox.to(asked)]
    await deliver(services, now + timedelta(days=14, minutes=1))
    await deliver(services, now + timedelta(days=15))
    # then
    survey = services.translator("fr").gettext(SUBJECTS[MailKind.SURVEY], reference=reference)
    assert survey not in early
    subjects = [r.message["Subject"] for r in inbox.to(asked)]
    assert subjects.count(survey) == 1
    assert all(
        "Was it fixed" not in s and "avis" not in s
        for s in (r.message["Subject"] for r in inbox.to(not_asked))
    )
    # and its link opens the feedback form of the item
    [message] = [r for r in inbox.to(asked) if r.message["Subject"] == survey]
    [link] = [link for link in message.links() if "/suivi?" in link]
    page = await client.get(local(link))
    assert page.status_code == 200 and 'id="avis"' in page.text
    unsubscribe = message.message["List-Unsubscribe"]
    assert unsubscribe and unsubscribe != inbox.to(asked)[0].message["List-Unsubscribe"]
    # and an answer given through it is what the trends count
    await rollup.apply_outbox(services.db)
    before = await feedback_answers(services)
    answer = await graphql(
        client,
        operation("TrackedFeedback"),
        {"token": query_token(link), "fixed": True, "satisfaction": 5},
    )
    assert answer.json()["data"]["trackedFeedback"]["errors"] == []
    await rollup.apply_outbox(services.db)
    assert await feedback_answers(services) == before + 1


async def feedback_answers(services: Services) -> int:
    async with services.db.reading() as session:
        found = await session.exec(select(func.sum(TrendsDaily.feedback_count)))
        return int(found.one() or 0)


async def test_an_e_mail_route_delivers_the_item_to_the_body_one_way(
    running: tuple[Services, httpx.AsyncClient], inbox: Inbox
) -> None:
    # given a body whose route is e-mail, an item shared with it and one that is not
    services, client = running
    shared_with, kept = address(), address()
    shared, _ = await report(client, shared_with, shareWithHandlingBody=True)
    private, _ = await report(client, kept)
    async with services.db.writing() as session:
        item = await items.get_by_reference(session, shared)
        assert item is not None
        route = Route(body_code=item.body_code, kind="email", email="voirie@angers.example")
        session.add(route)
    try:
        # when
        await delivery.plan_until_caught_up(services.db, datetime.now(UTC))
        async with httpx.AsyncClient() as http:
            await delivery.send_due_deliveries(
                services.db, http, services.settings, datetime.now(UTC), None, services.mailer
            )
    finally:
        async with services.db.writing() as session:
            route.active = False
            session.add(route)
    # then each item reached the body's address, in French, with the webhook's JSON attached
    to_body = inbox.to("voirie@angers.example")
    [one] = [r for r in to_body if shared in r.message["Subject"]]
    [other] = [r for r in to_body if private in r.message["Subject"]]
    async with services.db.reading() as session:
        rows = (await session.exec(select(Delivery).where(Delivery.route_id == route.id))).all()
    uids = {f"<{row.delivery_uid}@signaler.example>" for row in rows}
    assert one.message["Message-ID"] in uids and all(r.status == "delivered" for r in rows)
    assert one.message["Content-Language"] == "fr"
    assert "les réponses ne sont pas lues" in one.text
    [attachment] = list(one.message.iter_attachments())
    body = json.loads(attachment.get_content())
    assert body["item"]["reference"] == shared and body["contact"]["email"] == shared_with
    assert shared_with in one.text
    # the resident who did not agree to share stays unknown to the body
    assert kept not in other.message.as_string() and "Camille" not in other.text
    assert "06 12 34 56 78" not in other.text and "appelez-moi au […]" in other.text
    assert "06 12 34 56 78" in one.text  # shared: the resident's own words


async def test_demo_mode_writes_each_message_to_the_mailbox_folder(
    mail_database: str, tmp_path: Path
) -> None:
    # given a demo instance without SMTP relay
    settings = replace(
        Settings(
            database_url=mail_database,
            data_dir=tmp_path,
            secret_keys=("k" * 32,),
            **ONE_ORIGIN_LIMITS,
        ),
        demo=True,
    )
    async with running_service(settings) as (services, client):
        email = address()
        reference, _ = await report(client, email)
        # when
        await deliver(services)
        await deliver(services)
    # then one readable .eml file for the message, owner-only
    files = list((tmp_path / "mailbox").glob("*.eml"))
    mine = [f for f in files if email in f.read_text(encoding="utf-8")]
    assert len(mine) == 1
    parsed = message_from_bytes(mine[0].read_bytes(), policy=policy.default)
    assert reference in str(parsed["Subject"])
    assert f"<{mine[0].stem}@" in str(parsed["Message-ID"])
    assert oct(mine[0].stat().st_mode & 0o777) == "0o600"
    assert oct((tmp_path / "mailbox").stat().st_mode & 0o777) == "0o700"
