"""What the privacy tests share: a resident with a contact, staff moving items on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from service.context import Services
from service.items import rules as items
from service.items.lifecycle import Status
from service.items.models import Item
from tests.support import submit_report

CONTACT = {
    "name": "Camille Martin",
    "email": "Camille.Martin@example.org",
    "phone": "06 12 34 56 78",
    "followUpConsent": True,
    "consentTextVersion": "2026-01",
    "shareWithHandlingBody": True,
}
PERSONAL_VALUES = ("Camille Martin", "camille.martin@example.org", "+33612345678", "06 12 34 56 78")


async def report_with_contact(
    client: httpx.AsyncClient, contact: dict[str, Any] | None = None, **overrides: Any
) -> tuple[str, str]:
    """Submit a report with a contact; return its reference and tracking token."""
    payload = await submit_report(client, contact=contact or CONTACT, **overrides)
    assert payload["errors"] == [], payload
    return payload["report"]["reference"], payload["trackingToken"]


async def finish(services: Services, reference: str, status: Status, now: datetime) -> Item:
    """Staff move the item to ``status`` at ``now`` (through the same rules as triage)."""
    async with services.db.writing() as session:
        item = await items.get_by_reference(session, reference)
        assert item is not None
        items.change_status(session, item, status, actor="staff:test", now=now)
    return item
