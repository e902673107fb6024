"""``python -m service remask``: when the masking rules change, every stored public copy is
masked again (with a progress bar), staff edits stay edits, the staff copy is untouched, and
the search index hears of each change through the outbox."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlmodel import col, select

from service.context import Services
from service.items import rules as items
from service.items.models import Item
from service.outbox.models import OutboxEntry
from service.settings import Settings
from service.staff.models import Role
from tests.support import staff, submit_report
from tests.test_cli import run

pytestmark = pytest.mark.anyio

TEXT = "Le camion AB-123-CD de M. Dupont bloque le passage au 12 rue Lenepveu."


async def _public_copy(services: Services, reference: str) -> Item:
    async with services.db.reading() as session:
        item = await items.get_by_reference(session, reference)
    assert item is not None
    return item


async def test_remask_applies_the_current_rules_to_every_public_copy(
    fresh_settings: Settings, fresh_services: Services, fresh_client: httpx.AsyncClient
) -> None:
    # given two reports stored under older rules (their public copies still show a plate and
    # a name), one of them edited by staff
    plain = (await submit_report(fresh_client, categoryCode="graffiti", description=TEXT))[
        "report"
    ]["reference"]
    edited = (await submit_report(fresh_client, categoryCode="graffiti", description=TEXT))[
        "report"
    ]["reference"]
    agent = await staff(fresh_services, fresh_client, "mairie-49007", Role.AGENT)
    await agent.data(
        "ItemModerate",
        {"reference": edited, "action": "EDIT", "reason": "r", "publicText": "Camion gênant."},
    )
    async with fresh_services.db.writing() as session:
        for reference, old in ((plain, TEXT), (edited, "Camion gênant, AB-123-CD.")):
            item = await items.get_by_reference(session, reference)
            assert item is not None
            item.public_description = old
            session.add(item)
    async with fresh_services.db.reading() as session:
        before = max((await session.exec(select(OutboxEntry.id))).all())

    # when the operator runs the command
    result = await asyncio.to_thread(
        run, "remask", env={"SERVICE_DATABASE_URL": fresh_settings.resolved_database_url}
    )

    # then both public copies are masked again, the edit stays an edit, staff copies are whole
    assert result.returncode == 0, result.stderr
    assert "remask: 2 public copies changed" in result.stdout
    assert "100%" in result.stderr  # the progress bar
    first = await _public_copy(fresh_services, plain)
    second = await _public_copy(fresh_services, edited)
    assert first.public_description == (
        "Le camion […] de M. […] bloque le passage au 12 rue Lenepveu."
    )
    assert second.public_description == "Camion gênant, […]."
    assert first.description == second.description == TEXT
    # and the outbox tells the indexers, once per changed copy
    async with fresh_services.db.reading() as session:
        entries = (
            await session.exec(select(OutboxEntry.topic).where(col(OutboxEntry.id) > before))
        ).all()
    assert entries == ["item.redacted", "item.redacted"]

    # when it runs again, nothing changes
    again = await asyncio.to_thread(
        run, "remask", env={"SERVICE_DATABASE_URL": fresh_settings.resolved_database_url}
    )
    assert "remask: 0 public copies changed" in again.stdout
