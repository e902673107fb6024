"""Retention: the purge removes what is past its period, at each boundary; the dry run counts
exactly what the purge then does; every purge is logged with counts only."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlmodel import col, select

from service.context import Services
from service.items import rules as items
from service.items.lifecycle import Status
from service.items.models import ItemEvent
from service.outbox.models import OutboxEntry
from service.privacy.models import ContactAccess, PrivacyLogEntry
from service.privacy.retention import purge
from service.staff.models import Role
from tests.privacy.helpers import PERSONAL_VALUES, finish, report_with_contact
from tests.staff.test_triage import staff

pytestmark = pytest.mark.anyio


async def test_contacts_go_30_days_after_the_item_is_closed_and_the_dry_run_agrees(
    fresh_client: httpx.AsyncClient, fresh_services: Services
) -> None:
    # given: two items closed at t0, one still open
    services = fresh_services
    t0 = services.clock()
    closed = [(await report_with_contact(fresh_client))[0] for _ in range(2)]
    await report_with_contact(fresh_client)
    for reference in closed:
        await finish(services, reference, Status.CLOSED, t0)
    periods = services.retention_periods
    just_before = t0 + timedelta(days=30) - timedelta(seconds=1)
    just_after = t0 + timedelta(days=30) + timedelta(seconds=1)
    # when
    before = await purge(services.db, periods, just_before, dry_run=True)
    planned = await purge(services.db, periods, just_after, dry_run=True)
    done = await purge(services.db, periods, just_after)
    again = await purge(services.db, periods, just_after, dry_run=True)
    # then
    assert before["contacts"] == 0
    assert planned == done
    assert done["contacts"] == 2 and done["free_texts"] == 0
    assert again["contacts"] == 0
    async with services.db.reading() as session:
        logs = (await session.exec(select(PrivacyLogEntry).where(
            PrivacyLogEntry.action == "purge"))).all()  # fmt: skip
    assert len(logs) == 1  # dry runs change nothing and log nothing
    assert all(value not in logs[0].counts for value in PERSONAL_VALUES)
    assert '"contacts": 2' in logs[0].counts


async def test_free_text_is_redacted_after_five_years_and_the_item_stays(
    fresh_client: httpx.AsyncClient, fresh_services: Services
) -> None:
    # given: a resolved item whose resident added information
    services = fresh_services
    t0 = services.clock()
    reference, _ = await report_with_contact(fresh_client, addressText="12 rue Lenepveu")
    async with services.db.writing() as session:
        item = await items.get_by_reference(session, reference)
        assert item is not None
        from service.tracking.rules import add_information

        add_information(session, item, "Je suis au 06 98 76 54 32", t0)
    item = await finish(services, reference, Status.RESOLVED, t0)
    periods = services.retention_periods
    boundary = t0 + timedelta(days=periods.free_text_days)
    # when
    early = await purge(services.db, periods, boundary - timedelta(seconds=1), dry_run=True)
    planned = await purge(services.db, periods, boundary + timedelta(seconds=1), dry_run=True)
    done = await purge(services.db, periods, boundary + timedelta(seconds=1))
    # then
    assert early["free_texts"] == 0
    assert planned == done == {"contacts": 1, "free_texts": 1, "device_pseudonyms": 0,
                               "contact_reads": 0, "opinion_comments": 0}  # fmt: skip
    async with services.db.reading() as session:
        kept = await items.get_by_reference(session, reference)
        texts = (await session.exec(
            select(ItemEvent.text).where(ItemEvent.item_id == item.id)
        )).all()  # fmt: skip
        redacted = (await session.exec(select(OutboxEntry).where(
            OutboxEntry.item_id == item.id, OutboxEntry.topic == "item.redacted"
        ))).all()  # fmt: skip
    assert kept is not None
    assert (kept.status, kept.category_code, kept.commune_code) == ("resolved", "pothole", "49007")
    assert (kept.description, kept.public_description, kept.address_text) == ("", "", None)
    assert set(texts) == {None}
    assert len(redacted) == 1  # the search index drops the text


async def test_the_contact_read_log_is_kept_one_year(
    fresh_client: httpx.AsyncClient, fresh_services: Services
) -> None:
    # given
    services = fresh_services
    reference, _ = await report_with_contact(fresh_client)
    agent = await staff(services, fresh_client, "alm-voirie", Role.AGENT)
    await agent.call("ItemContact", {"reference": reference})
    async with services.db.reading() as session:
        read_at = (await session.exec(select(ContactAccess.at))).one()
    periods = services.retention_periods
    # when
    kept = await purge(services.db, periods, read_at + timedelta(days=364))
    gone = await purge(services.db, periods, read_at + timedelta(days=366))
    # then
    assert (kept["contact_reads"], gone["contact_reads"]) == (0, 1)
    async with services.db.reading() as session:
        assert (await session.exec(select(col(ContactAccess.id)))).all() == []


async def test_serve_purges_at_start_up_and_logs_it(fresh_services: Services) -> None:
    # given
    import asyncio

    from service.privacy.retention import run_daily_purge

    services = fresh_services
    stop = asyncio.Event()
    # when
    worker = asyncio.create_task(
        run_daily_purge(services.db, services.settings, stop, services.clock)
    )
    for _ in range(100):
        async with services.db.reading() as session:
            logged = (await session.exec(select(PrivacyLogEntry))).all()
        if logged:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(worker, 5)
    # then
    assert [(entry.action, entry.actor) for entry in logged] == [("purge", "system")]
