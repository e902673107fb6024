"""Subscriptions to new reports by area: double opt-in, one digest a day, one-click
unsubscribe from the header alone, through a real SMTP server."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import col, select

from service.context import Services
from service.db import create_sync_engine
from service.items.lifecycle import Status
from service.mail.models import MailKind, MailMessage, MailSubscription
from service.mail.subscription_messages import SUBJECTS
from service.mail.subscriptions import EMAIL_COLUMN
from service.privacy.crypto import UndecryptableValue, cipher_for
from service.privacy.rules import EMAIL_LOOKUP
from service.settings import Settings
from tests.mail.support import Inbox, address, change, deliver, local, mail_settings, report
from tests.privacy.test_encryption import KEY_2026, KEY_2027
from tests.support import PONTS_DE_CE_TOWN_HALL, graphql, operation, running_service
from tests.test_cli import run

pytestmark = pytest.mark.anyio

DAY = timedelta(days=1, minutes=1)


async def subscribe(client: httpx.AsyncClient, **values: Any) -> dict[str, Any]:
    response = await graphql(client, operation("SubscriptionCreate"), {"input": values})
    payload: dict[str, Any] = response.json()["data"]["subscriptionCreate"]
    return payload


async def subscription_rows(services: Services) -> list[MailSubscription]:
    async with services.db.reading() as session:
        return list((await session.exec(select(MailSubscription))).all())


async def confirm(client: httpx.AsyncClient, link: str) -> httpx.Response:
    page = await client.get(local(link))
    assert page.status_code == 200 and "<form" in page.text
    token = link.partition("jeton=")[2]
    return await client.post(
        "/courriel/abonnement",
        content=f"jeton={token}",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )


async def test_double_opt_in_then_one_digest_a_day_of_the_area_s_new_reports(
    running: tuple[Services, httpx.AsyncClient], inbox: Inbox
) -> None:
    # given a subscription to Angers, not yet confirmed
    services, client = running
    email = address()
    payload = await subscribe(client, email=email, communeCode="49007")
    assert payload["errors"] == [] and payload["subscription"]["confirmed"] is False
    before, _ = await report(client, None)
    now = datetime.now(UTC)
    await deliver(services, now + 2 * DAY)
    # then only the confirmation link was sent, with its unsubscribe header
    [confirmation] = inbox.to(email)
    french = services.translator("fr")
    assert confirmation.message["Subject"] == french.gettext(SUBJECTS[MailKind.CONFIRM])
    assert confirmation.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Angers" in confirmation.text and before not in confirmation.text
    [link] = [link for link in confirmation.links() if "/courriel/abonnement" in link]
    # when it is confirmed, and reports come in Angers and elsewhere
    answer = await confirm(client, link)
    assert answer.status_code == 200
    angers = [(await report(client, None))[0] for _ in range(2)]
    elsewhere, _ = await report(client, None, point=PONTS_DE_CE_TOWN_HALL)
    await deliver(services, datetime.now(UTC) + timedelta(hours=2))  # too soon for a digest
    await deliver(services, datetime.now(UTC) + DAY)
    await deliver(services, datetime.now(UTC) + DAY + timedelta(hours=1))  # same day: none
    # then one digest listing Angers's new reports, masked as the public reads them
    received = inbox.to(email)
    assert len(received) == 2
    digest = received[1]
    assert digest.message["Subject"] == french.gettext(SUBJECTS[MailKind.DIGEST])
    assert all(reference in digest.text for reference in angers)
    assert elsewhere not in digest.text and before not in digest.text
    assert "06 12 34 56 78" not in digest.text and "[…]" in digest.text
    assert digest.message["List-Unsubscribe"].strip().startswith("<https://signaler.example/")


async def test_one_click_unsubscribe_deletes_the_address_and_stops_the_queued_digest(
    running: tuple[Services, httpx.AsyncClient], inbox: Inbox
) -> None:
    # given a confirmed subscription with a digest queued
    services, client = running
    email = address()
    await subscribe(client, email=email, latitude=47.4712, longitude=-0.5502, radiusMeters=300)
    await deliver(services)
    [confirmation] = inbox.to(email)
    [link] = [link for link in confirmation.links() if "/courriel/abonnement" in link]
    await confirm(client, link)
    near, _ = await report(client, None)
    await deliver(services, datetime.now(UTC) + DAY)
    [_, digest] = inbox.to(email)
    assert near in digest.text
    far, _ = await report(client, None)
    now = datetime.now(UTC) + 2 * DAY
    from service.mail.sender import plan_mail

    await plan_mail(services.db, services.settings, now)  # the next digest, queued
    # when the mail client POSTs to the header's URL alone, without cookie
    client.cookies.clear()
    url = digest.message["List-Unsubscribe"].strip().strip("<>")
    answer = await client.post(local(url), content=b"List-Unsubscribe=One-Click")
    await deliver(services, now)
    # then the address is gone, with its queued messages, and nothing more was sent
    assert answer.status_code == 200
    assert len(inbox.to(email)) == 2
    rows = await subscription_rows(services)
    assert all(row.radius_meters != 300 for row in rows)
    async with services.db.reading() as session:
        queued = await session.exec(
            select(MailMessage).where(col(MailMessage.subscription_id).is_not(None))
        )
        ids = {row.id for row in rows}
        assert all(message.subscription_id in ids for message in queued.all())


async def test_an_unconfirmed_subscription_gets_nothing_more_and_is_deleted_within_a_week(
    running: tuple[Services, httpx.AsyncClient], inbox: Inbox
) -> None:
    # given
    services, client = running
    email = address()
    await subscribe(client, email=email, categoryCode="pothole")
    await report(client, None)
    # when
    await deliver(services, datetime.now(UTC) + 3 * DAY)
    count = len(await subscription_rows(services))
    await deliver(services, datetime.now(UTC) + 8 * DAY)
    # then
    assert len(inbox.to(email)) == 1  # the confirmation link, nothing else
    assert len(await subscription_rows(services)) < count


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"email": "not-an-address", "communeCode": "49007"}, "INVALID_EMAIL"),
        ({"email": "a@example.org"}, "AREA_REQUIRED"),
        ({"email": "a@example.org", "communeCode": "99999"}, "UNKNOWN_COMMUNE"),
        ({"email": "a@example.org", "latitude": 47.47, "longitude": -0.55}, "INVALID_RADIUS"),
    ],
)
async def test_a_wrong_subscription_is_refused_with_its_code(
    running: tuple[Services, httpx.AsyncClient], values: dict[str, Any], code: str
) -> None:
    # given
    _, client = running
    # when
    payload = await subscribe(client, **values)
    # then
    assert payload["subscription"] is None
    assert len(payload["errors"]) == 1 and payload["errors"][0]["code"] == code


async def test_rekey_puts_the_subscribers_addresses_under_the_new_key(
    fresh_settings: Settings,
) -> None:
    # given an address stored under the 2026 key
    before = replace(fresh_settings, encryption_keys=(KEY_2026,))
    async with running_service(before) as (_, client):
        payload = await subscribe(client, email="Rekey@Example.org", communeCode="49007")
        assert payload["errors"] == []
    url = fresh_settings.resolved_database_url
    # when the 2027 key is added (newest last), then rekey runs
    result = run(
        "rekey",
        env={
            "SERVICE_DATABASE_URL": url,
            "SERVICE_DATA_DIR": str(fresh_settings.data_dir),
            "SERVICE_ENCRYPTION_KEYS": f"{KEY_2026},{KEY_2027}",
        },
    )
    # then the new key alone reads it, and the old one no longer does
    assert result.returncode == 0, result.stderr
    assert "rekey: 1 alert subscriptions now under key" in result.stdout
    engine = create_sync_engine(url)
    try:
        with engine.connect() as connection:
            [stored] = connection.execute(text("SELECT email FROM mail_subscription")).all()
    finally:
        engine.dispose()
    assert "example.org" not in stored[0].lower()
    new = cipher_for((KEY_2027,), ())
    assert new.decrypt(stored[0], EMAIL_COLUMN) == "rekey@example.org"
    with pytest.raises(UndecryptableValue):
        cipher_for((KEY_2026,), ()).decrypt(stored[0], EMAIL_COLUMN)


async def test_the_daily_cap_counts_an_address_s_messages_as_resident_and_as_subscriber(
    mail_database: str, tmp_path: Path, inbox: Inbox
) -> None:
    # given at most one message a day to an address, already used by a report's message
    settings = replace(mail_settings(mail_database, tmp_path, inbox), mail_per_address_day=1)
    async with running_service(settings) as (services, client):
        email = address()
        await report(client, email)
        await deliver(services)
        # when the same address subscribes
        await subscribe(client, email=email.upper(), communeCode="49007")
        await deliver(services)
        held = [
            row
            for row in await messages(services)
            if row.kind == "confirm" and row.status == "pending"
        ]
        # then its confirmation waits for the next day
        assert len(inbox.to(email)) == 1
        assert len(held) >= 1
        await deliver(services, datetime.now(UTC) + DAY)
        assert len(inbox.to(email)) == 2


async def messages(services: Services) -> list[MailMessage]:
    async with services.db.reading() as session:
        return list((await session.exec(select(MailMessage))).all())


async def test_someone_follows_another_residents_report_and_hears_of_its_changes_once_a_day(
    running: tuple[Services, httpx.AsyncClient], inbox: Inbox
) -> None:
    # given a report someone else made, followed (after « me too ») by a neighbour
    services, client = running
    neighbour = address()
    reference, _ = await report(client, address())
    payload = await subscribe(client, email=neighbour, reference=reference.lower())
    assert payload["errors"] == [] and payload["subscription"]["followsAReport"] is True
    await deliver(services)
    [confirmation] = inbox.to(neighbour)
    [link] = [link for link in confirmation.links() if "/courriel/abonnement" in link]
    await confirm(client, link)
    # when staff acknowledge it with a public answer, then resolve it
    await change(services, reference, Status.ACKNOWLEDGED, text="Équipe prévue mardi.")
    await change(services, reference, Status.RESOLVED)
    await deliver(services, datetime.now(UTC) + DAY)
    await deliver(services, datetime.now(UTC) + DAY + timedelta(hours=2))
    # then one message tells both changes; nothing of the resident who reported it
    [_, news] = inbox.to(neighbour)
    french = services.translator("fr")
    assert reference in str(news.message["Subject"])
    assert "Équipe prévue mardi." in news.text
    assert french.gettext("Resolved") in news.text or "Résolu" in news.text
    assert "Camille" not in news.text and "06 12 34 56 78" not in news.text


async def test_following_an_unknown_report_is_refused(
    running: tuple[Services, httpx.AsyncClient],
) -> None:
    # given
    _, client = running
    # when
    payload = await subscribe(client, email="a@example.org", reference="ALM-1999-000001")
    # then
    assert payload["subscription"] is None
    assert len(payload["errors"]) == 1 and payload["errors"][0]["code"] == "UNKNOWN_REPORT"


async def test_a_subscriber_sees_and_downloads_what_is_stored_by_the_link_in_every_message(
    running: tuple[Services, httpx.AsyncClient], inbox: Inbox
) -> None:
    # given a confirmed subscription to Angers
    services, client = running
    email = address()
    await subscribe(client, email=email, communeCode="49007")
    await deliver(services)
    [confirmation] = inbox.to(email)
    [link] = [link for link in confirmation.links() if "/courriel/abonnement" in link]
    await confirm(client, link)
    # when the subscriber opens the data link of the message, without cookie
    [data_link] = [link for link in confirmation.links() if "/courriel/mes-donnees" in link]
    assert data_link in confirmation.text  # in the text part too
    client.cookies.clear()
    page = await client.get(local(data_link))
    download = await client.get(local(data_link) + "&format=json")
    # then the page shows the address, the area and the confirmation, and is not cached
    assert page.status_code == 200
    assert email in page.text and "Angers" in page.text
    assert "no-store" in page.headers["cache-control"]
    assert "/courriel/desinscription" in page.text
    document = download.json()
    assert document["email"] == email and document["communeCode"] == "49007"
    assert document["confirmedAt"] is not None
    assert "attachment" in download.headers["content-disposition"]
    # and a forged or altered token shows nothing
    tampered = local(data_link)[:-3] + "abc"
    refused = await client.get(tampered)
    assert refused.status_code == 404 and email not in refused.text
    # and another action's token (the unsubscribe header's) does not open the data
    stop = confirmation.message["List-Unsubscribe"].strip().strip("<>")
    token = stop.partition("jeton=")[2]
    assert (await client.get(f"/courriel/mes-donnees?jeton={token}")).status_code == 404


async def test_the_data_page_s_button_erases_the_subscription(
    running: tuple[Services, httpx.AsyncClient], inbox: Inbox
) -> None:
    # given a subscriber on the data page of their subscription
    services, client = running
    email = address()
    await subscribe(client, email=email, communeCode="49007")
    await deliver(services)
    [confirmation] = inbox.to(email)
    [data_link] = [link for link in confirmation.links() if "/courriel/mes-donnees" in link]
    page = await client.get(local(data_link))
    stop_token = page.text.partition('name="jeton" value="')[2].partition('"')[0]
    # when they press its button
    answer = await client.post(
        "/courriel/desinscription",
        content=f"jeton={stop_token}",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    # then the subscription and its address are gone, and the link shows nothing any more
    assert answer.status_code == 200
    rows = await subscription_rows(services)
    digest = services.contact_cipher.lookup_hash(email, EMAIL_LOOKUP)
    assert all(row.email_hash != digest for row in rows)
    assert (await client.get(local(data_link))).status_code == 404
