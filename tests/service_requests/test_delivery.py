"""The handling body's webhook carries the service and the answers of a request; free-text
answers are masked like the description unless the resident agreed to share."""

from __future__ import annotations

import json

import httpx
import pytest

from service.db import Database
from service.items.models import Item
from service.outbox.models import OutboxEntry
from service.routing import delivery
from service.service_requests.models import ServiceRequestDetail
from tests.routing.test_delivery import (  # noqa: F401  (fixtures)
    T0,
    Receiver,
    add_route,
    db,
    fresh_url,
    http,
    plan,
    receiver,
    settings_for,
)

pytestmark = pytest.mark.anyio


async def test_a_service_request_is_delivered_with_its_service_and_answers(
    db: Database,  # noqa: F811
    fresh_url: str,  # noqa: F811
    http: httpx.AsyncClient,  # noqa: F811
    receiver: Receiver,  # noqa: F811
) -> None:
    # given: a bulky-waste pickup for ALM's waste directorate, which has a webhook
    await add_route(db, receiver.url, body_code="alm-dechets")
    async with db.writing() as session:
        item = Item(
            reference="ALM-2026-000001", kind="service_request", status="submitted",
            commune_code="49007", body_code="alm-dechets", competence="metropole",
            routing_reason="test", delivery_state="pending", address_text="12 rue Lenepveu",
            channel="app", language="fr", idempotency_scope="app", idempotency_key="key-00000001",
            request_fingerprint="f" * 64, token_nonce="n" * 16, created_at=T0, updated_at=T0,
        )  # fmt: skip
        session.add(item)
        await session.flush()
        assert item.id is not None
        answers = {
            "items": ["furniture"],
            "volume_m3": "2",
            "access_notes": "Appelez le 06 12 34 56 78",
        }
        session.add(
            ServiceRequestDetail(
                item_id=item.id,
                service_code="bulky_waste_pickup",
                answers=json.dumps(answers),
                at_home=True,
            )
        )
        session.add(OutboxEntry(topic="item.created", item_id=item.id, created_at=T0))
    assert await plan(db) == 1
    # when
    await delivery.send_due_deliveries(db, http, settings_for(fresh_url), T0)
    # then
    [request] = receiver.requests
    sent = request.json()["item"]
    assert sent["kind"] == "service_request"
    assert sent["service"] == "bulky_waste_pickup"
    assert sent["answers"] == {
        "items": ["furniture"],
        "volume_m3": "2",
        "access_notes": "Appelez le […]",
    }
