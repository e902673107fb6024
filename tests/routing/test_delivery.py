"""Webhook deliveries: planned from the outbox, signed, retried with backoff, given up on.

A real HTTP server on 127.0.0.1 plays the body's receiver; the clock is passed explicitly.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from service.db import Database
from service.items.models import Item, ItemEvent
from service.outbox.models import ConsumerPosition, Delivery, OutboxEntry
from service.privacy.models import Consent, Contact
from service.routing import delivery
from service.routing.models import Route
from service.settings import Settings
from tests.support import prepare_database, throwaway_database

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET = "whsec-voirie-0123456789"
PRIVATE = "Nid de poule devant chez moi, appelez-moi au 06 12 34 56 78"
PUBLIC = "Nid de poule devant chez moi, appelez-moi au […]"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


@dataclass
class Receiver:
    """A body's webhook endpoint: answers the scripted statuses in turn, then 200."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    delay: float = 0.0


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
            threading.Event().wait(state.delay)
            self.send_response(state.statuses.pop(0) if state.statuses else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/alm/webhook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """A database of its own for each test: migrated, with the reference data loaded."""
    with throwaway_database(os.environ.get("TEST_DATABASE_URL"), tmp_path) as url:
        prepare_database(Settings(database_url=url, data_dir=tmp_path))
        yield url


@pytest.fixture
async def db(fresh_url: str) -> AsyncIterator[Database]:
    database = Database(fresh_url)
    yield database
    await database.dispose()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=delivery.HTTP_TIMEOUT_SECONDS) as client:
        yield client


def settings_for(url: str, **overrides: Any) -> Settings:
    return Settings(database_url=url, **overrides)


async def add_route(db: Database, url: str, body_code: str = "alm-voirie") -> int:
    async with db.writing() as session:
        route = Route(body_code=body_code, kind="webhook", url=url, signing_secret=SECRET)
        session.add(route)
        await session.flush()
        assert route.id is not None
        return route.id


async def add_item(
    db: Database, *, body_code: str = "alm-voirie", state: str = "pending", number: int = 1
) -> int:
    """An item of the given body with its ``item.created`` outbox entry."""
    async with db.writing() as session:
        item = Item(
            reference=f"ALM-2026-{number:06d}", kind="report", status="submitted",
            commune_code="49007", category_code="pothole", body_code=body_code,
            competence="metropole", routing_reason="test", delivery_state=state,
            latitude=47.4712, longitude=-0.5518, address_text="12 rue Lenepveu, Angers",
            description=PRIVATE, public_description=PUBLIC, channel="app", language="fr",
            idempotency_scope="app", idempotency_key=f"key-{number:08d}",
            request_fingerprint="f" * 64, token_nonce="n" * 16, created_at=T0, updated_at=T0,
        )  # fmt: skip
        session.add(item)
        await session.flush()
        assert item.id is not None
        session.add(OutboxEntry(topic="item.created", item_id=item.id, created_at=T0))
        return item.id


async def plan(db: Database, now: datetime = T0) -> int:
    async with db.writing() as session:
        return await delivery.plan_deliveries(session, now)


async def deliveries(db: Database) -> list[Delivery]:
    async with db.reading() as session:
        return list((await session.exec(select(Delivery).order_by(col(Delivery.id)))).all())


def utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def valid_signature(request: Received, secret: str) -> bool:
    """What the receiver does: recompute the HMAC from its copy of the secret."""
    timestamp = request.headers["x-alm-timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256)
    return hmac.compare_digest(request.headers["x-alm-signature"], f"sha256={expected.hexdigest()}")


async def test_a_change_is_delivered_once_with_a_signature_the_receiver_can_check(
    db: Database, fresh_url: str, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    # given
    await add_route(db, receiver.url)
    item_id = await add_item(db)
    assert await plan(db) == 1
    # when
    counts = await delivery.send_due_deliveries(db, http, settings_for(fresh_url), T0)
    again = await delivery.send_due_deliveries(
        db, http, settings_for(fresh_url), T0 + timedelta(hours=1)
    )
    # then
    assert counts == delivery.SendCounts(delivered=1)
    assert again == delivery.SendCounts()
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-alm-timestamp"] == str(int(T0.timestamp()))
    assert valid_signature(request, SECRET)
    assert not valid_signature(request, "another-secret")
    [row] = await deliveries(db)
    assert request.headers["x-alm-delivery-id"] == row.delivery_uid
    assert (row.status, row.attempts, utc(row.delivered_at or T0)) == ("delivered", 1, T0)
    body = request.json()
    assert body["deliveryId"] == row.delivery_uid
    assert body["event"] == "item.created"
    assert body["item"]["reference"] == "ALM-2026-000001"
    assert body["item"]["commune"] == "49007"
    assert body["item"]["category"] == "pothole"
    async with db.reading() as session:
        item = await session.get(Item, item_id)
        assert item is not None and item.delivery_state == "delivered"


async def test_an_outage_is_retried_with_growing_backoff_under_the_same_delivery_id(
    db: Database, fresh_url: str, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    # given
    settings = settings_for(fresh_url, delivery_backoff_seconds=30.0)
    receiver.statuses = [503, 503]
    await add_route(db, receiver.url)
    item_id = await add_item(db)
    await plan(db)
    # when
    first = await delivery.send_due_deliveries(db, http, settings, T0)
    [after_first] = await deliveries(db)
    too_early = await delivery.send_due_deliveries(db, http, settings, T0 + timedelta(seconds=29))
    second = await delivery.send_due_deliveries(db, http, settings, T0 + timedelta(seconds=30))
    [after_second] = await deliveries(db)
    third = await delivery.send_due_deliveries(db, http, settings, T0 + timedelta(seconds=90))
    # then
    assert (first.retried, too_early, second.retried, third.delivered) == (
        1, delivery.SendCounts(), 1, 1,
    )  # fmt: skip
    assert utc(after_first.next_attempt_at) == T0 + timedelta(seconds=30)
    assert utc(after_second.next_attempt_at) == T0 + timedelta(seconds=30 + 60)
    assert after_second.last_error == "HTTP 503"
    assert len(receiver.requests) == 3
    assert len({r.headers["x-alm-delivery-id"] for r in receiver.requests}) == 1
    assert all(valid_signature(r, SECRET) for r in receiver.requests)
    [row] = await deliveries(db)
    assert (row.status, row.attempts) == ("delivered", 3)
    async with db.reading() as session:
        item = await session.get(Item, item_id)
        assert item is not None and item.delivery_state == "delivered"


async def test_exhausted_retries_fail_the_delivery_and_tell_staff_only(
    db: Database, fresh_url: str, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    # given
    settings = settings_for(fresh_url, delivery_max_attempts=3, delivery_backoff_seconds=30.0)
    receiver.statuses = [503] * 10
    await add_route(db, receiver.url)
    item_id = await add_item(db)
    await plan(db)
    # when
    for seconds in (0, 30, 90, 10_000):
        await delivery.send_due_deliveries(db, http, settings, T0 + timedelta(seconds=seconds))
    # then
    assert len(receiver.requests) == 3  # nothing after giving up
    [row] = await deliveries(db)
    assert (row.status, row.attempts, row.last_error) == ("failed", 3, "HTTP 503")
    async with db.reading() as session:
        item = await session.get(Item, item_id)
        assert item is not None and item.delivery_state == "failed"
        events = (await session.exec(select(ItemEvent).where(ItemEvent.item_id == item_id))).all()
    [event] = [e for e in events if e.kind == "delivery_failed"]
    assert event.audience == "staff"
    assert PRIVATE not in (event.text or "")


async def test_planning_again_or_replaying_the_outbox_creates_no_second_delivery(
    db: Database, receiver: Receiver
) -> None:
    # given
    await add_route(db, receiver.url)
    await add_item(db)
    assert await plan(db) == 1
    # when
    planned_again = await plan(db)
    async with db.writing() as session:  # a replay: the consumer starts over
        position = await session.get(ConsumerPosition, "delivery")
        assert position is not None
        position.position = 0
        session.add(position)
    replayed = await plan(db)
    # then
    assert (planned_again, replayed) == (0, 0)
    assert len(await deliveries(db)) == 1


@pytest.mark.parametrize(
    ("purposes", "withdrawn", "shared"),
    [
        (["follow_up_contact"], False, False),
        (["follow_up_contact", "share_with_operator"], False, True),
        (["follow_up_contact", "share_with_operator"], True, False),
    ],
    ids=["no-share-consent", "share-consent", "share-consent-withdrawn"],
)
async def test_the_contact_and_private_text_go_only_with_the_share_consent(
    db: Database,
    fresh_url: str,
    http: httpx.AsyncClient,
    receiver: Receiver,
    purposes: list[str],
    withdrawn: bool,
    shared: bool,
) -> None:
    # given
    await add_route(db, receiver.url)
    item_id = await add_item(db)
    async with db.writing() as session:
        session.add(Contact(item_id=item_id, name="Camille Martin", email="camille@example.org",
                            phone="+33612345678", created_at=T0))  # fmt: skip
        for purpose in purposes:
            session.add(Consent(item_id=item_id, purpose=purpose, text_version="2026-01",
                                channel="app", given_at=T0,
                                withdrawn_at=T0 if withdrawn and purpose == "share_with_operator"
                                else None))  # fmt: skip
    await plan(db)
    # when
    await delivery.send_due_deliveries(db, http, settings_for(fresh_url), T0)
    # then
    [request] = receiver.requests
    body = request.json()
    raw = request.body.decode()
    if shared:
        assert body["contact"] == {
            "name": "Camille Martin", "email": "camille@example.org", "phone": "+33612345678",
        }  # fmt: skip
        assert body["item"]["description"] == PRIVATE
    else:
        assert "contact" not in body
        assert body["item"]["description"] == PUBLIC
        for personal in ("Camille", "camille@example.org", "+33612345678", "06 12 34 56 78"):
            assert personal not in raw


async def test_triage_and_unrouted_bodies_get_no_delivery(db: Database) -> None:
    # given: the town hall of Angers works its items here; the operator has no route at all
    await add_item(db, body_code="mairie-49007", state="triage", number=1)
    await add_item(db, body_code="op-mobilier-exemple", state="unrouted", number=2)
    # when
    planned = await plan(db)
    # then
    assert planned == 0
    assert await deliveries(db) == []
    async with db.reading() as session:
        position = await session.get(ConsumerPosition, "delivery")
        assert position is not None and position.position == 2


async def test_two_workers_sending_at_once_send_a_delivery_once(
    fresh_url: str, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    # given: two processes, each with its own engines, and a slow receiver
    receiver.delay = 0.3
    first, second = Database(fresh_url), Database(fresh_url)
    await add_route(first, receiver.url)
    await add_item(first)
    await plan(first)
    settings = settings_for(fresh_url)
    # when
    counts = await asyncio.gather(
        delivery.send_due_deliveries(first, http, settings, T0),
        delivery.send_due_deliveries(second, http, settings, T0),
    )
    # then
    assert sorted(c.delivered for c in counts) == [0, 1]
    assert len(receiver.requests) == 1
    await first.dispose()
    await second.dispose()


async def test_the_worker_survives_a_failed_round_and_stops_when_asked(
    db: Database, fresh_url: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the first sending round blows up
    await add_route(db, receiver.url)
    await add_item(db)
    send = delivery.send_due_deliveries
    rounds: list[int] = []

    async def flaky_send(*args: Any) -> delivery.SendCounts:
        rounds.append(1)
        if len(rounds) == 1:
            raise RuntimeError("database went away")
        return await send(*args)

    monkeypatch.setattr(delivery, "send_due_deliveries", flaky_send)
    stop = asyncio.Event()
    settings = settings_for(fresh_url, delivery_poll_seconds=0.05)
    # when
    worker = asyncio.create_task(delivery.run_delivery_worker(db, settings, stop, lambda: T0))
    for _ in range(100):
        if receiver.requests:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(worker, timeout=5)
    # then
    assert len(rounds) >= 2
    assert len(receiver.requests) == 1
    [row] = await deliveries(db)
    assert row.status == "delivered"


async def test_a_burst_of_changes_is_planned_in_one_round(db: Database) -> None:
    # given: 450 items of a webhook body, more than two planning batches
    await add_route(db, "http://127.0.0.1:9/unused")
    for number in range(1, 451):
        await add_item(db, number=number)
    # when: one round of the worker's planning
    created = await delivery.plan_until_caught_up(db, T0)
    # then: every change has its delivery, none twice
    assert created == 450
    assert len({d.outbox_id for d in await deliveries(db)}) == 450


async def test_an_entry_committed_after_a_later_one_is_still_delivered(
    db: Database, receiver: Receiver
) -> None:
    # given: two changes; the first one's transaction commits only after the second was
    # planned (PostgreSQL hands out ids at insert time): simulated by removing it, planning,
    # then putting it back under its own id
    await add_route(db, receiver.url)
    items = {await add_item(db, number=1), await add_item(db, number=2)}
    async with db.writing() as session:
        first = (await session.exec(select(OutboxEntry).order_by(col(OutboxEntry.id)))).first()
        assert first is not None
        late = OutboxEntry(
            id=first.id, topic=first.topic, item_id=first.item_id, created_at=first.created_at
        )
        await session.delete(first)
    assert await plan(db) == 1  # only the second, and the position moves past the first
    async with db.writing() as session:
        session.add(late)
    # when
    planned_late = await plan(db)
    # then
    assert planned_late == 1
    assert sorted(d.item_id for d in await deliveries(db)) == sorted(items)
