"""The change feed: public changes in a resumable order, consumed across restarts while
items are written concurrently, with no gap and no duplicate; nothing private in it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from service.context import Services, utc_now
from service.outbox import rules as outbox
from service.settings import Settings
from service.staff.models import Role
from tests.integrations.clients import call, client_key
from tests.service_requests.support import request_service, tree_pruning_input
from tests.staff.test_authorization_matrix import token_for
from tests.support import operation, running_service, submit_report

pytestmark = pytest.mark.anyio


async def read_all(
    client: httpx.AsyncClient, key: str, since: str | None, first: int = 50
) -> tuple[list[dict[str, Any]], str | None]:
    """Every change after ``since``, page by page; the changes and the last cursor."""
    found: list[dict[str, Any]] = []
    while True:
        response = await call(
            client,
            key,
            {"query": operation("Changes"), "variables": {"since": since, "first": first}},
        )
        body = response.json()
        assert response.status_code == 200, body
        page = body["data"]["changes"]
        found += page["changes"]
        since = page["cursor"]
        if not page["hasMore"]:
            return found, since


async def test_an_integrator_follows_public_changes_and_never_sees_private_ones(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: where the feed stands now
    key = await client_key(services, ("opendata:read",))
    _, start = await read_all(client, key, None)
    submitted = await submit_report(
        client, categoryCode="graffiti", description="Tag sur le mur, appelez 06 11 22 33 44"
    )
    report = submitted["report"]["reference"]
    home = await request_service(
        client, tree_pruning_input(atHomeAddress=True, addressText="12 rue Lenepveu")
    )
    staff = {"authorization": f"Bearer {await token_for(services, 'mairie-49007', Role.AGENT)}"}
    for document, variables in (
        ("ItemAcknowledge", {"reference": report}),
        ("ItemAnswer", {"reference": report, "publicAnswer": "Intervention prévue lundi."}),
    ):
        response = await client.post(
            "/graphql", json={"query": operation(document), "variables": variables}, headers=staff
        )
        assert next(iter(response.json()["data"].values()))["errors"] == []
    # when
    changes, _ = await read_all(client, key, start)
    # then
    assert [(c["kind"], c["reference"]) for c in changes] == [
        ("CREATED", report),
        ("STATUS_CHANGED", report),
        ("ANSWERED", report),
    ]
    assert changes[1]["status"] == "acknowledged"
    text_of_feed = json.dumps(changes, ensure_ascii=False)
    assert home["serviceRequest"]["reference"] not in text_of_feed
    assert "06 11" not in text_of_feed and "mur" not in text_of_feed


async def test_a_feed_consumed_across_restarts_during_concurrent_writes_has_no_gap_or_duplicate(
    settings: Settings,
) -> None:
    # given: a consumer that keeps only its cursor between runs
    async with running_service(settings) as (services, client):
        key = await client_key(services, ("opendata:read",))
        _, cursor = await read_all(client, key, None)
    submitted: list[str] = []
    seen: list[str] = []
    for _restart in range(3):
        async with running_service(settings) as (services, client):
            # when: twenty reports are written concurrently while the consumer reads
            async def write() -> None:
                payloads = await asyncio.gather(
                    *(submit_report(client, language=None) for _ in range(20))
                )
                submitted.extend(p["report"]["reference"] for p in payloads)

            async def consume() -> None:
                nonlocal cursor
                for _ in range(5):
                    changes, cursor = await read_all(client, key, cursor, first=7)
                    seen.extend(c["reference"] for c in changes if c["kind"] == "CREATED")
                    await asyncio.sleep(0)

            await asyncio.gather(write(), consume())
            changes, cursor = await read_all(client, key, cursor)
            seen.extend(c["reference"] for c in changes if c["kind"] == "CREATED")
    # then
    assert len(seen) == len(set(seen)) == 60
    assert set(seen) == set(submitted)


async def test_a_change_committed_late_is_not_passed_by_the_cursor(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: a transaction that wrote an outbox entry and has not committed yet
    if services.db.is_sqlite:
        pytest.skip("SQLite serialises writers: ids are commit order there")
    key = await client_key(services, ("opendata:read",))
    _, cursor = await read_all(client, key, None)
    slow_reference = (await submit_report(client))["report"]["reference"]
    _, cursor = await read_all(client, key, cursor)
    async with services.db.writing() as session:
        slow_id = (
            await session.exec(  # type: ignore[call-overload]
                text("SELECT id FROM item WHERE reference = :r"), params={"r": slow_reference}
            )
        ).scalar_one()
    async with services.db.writing() as slow:
        outbox.append(slow, "item.answered", item_id=slow_id, now=utc_now())
        await slow.flush()
        # when: a later transaction commits meanwhile
        fast = (await submit_report(client))["report"]["reference"]
        during, during_cursor = await read_all(client, key, cursor)
    after, _ = await read_all(client, key, during_cursor)
    # then: nothing passed the open transaction; both come once it committed, in order
    assert during == []
    assert [(c["kind"], c["reference"]) for c in after] == [
        ("ANSWERED", slow_reference),
        ("CREATED", fast),
    ]


async def test_a_cursor_not_from_the_feed_is_a_typed_error(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    key = await client_key(services, ("opendata:read",))
    # when
    response = await call(
        client, key, {"query": operation("Changes"), "variables": {"since": "not-a-cursor"}}
    )
    # then
    errors = response.json()["errors"]
    assert len(errors) == 1
    assert errors[0]["extensions"]["code"] == "INVALID_CURSOR"


async def test_a_long_transaction_in_another_database_does_not_hold_the_feed_back(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: a transaction with an id, open in another database of the same server
    if services.db.is_sqlite:
        pytest.skip("PostgreSQL only: transaction ids are cluster-wide there")
    key = await client_key(services, ("opendata:read",))
    _, cursor = await read_all(client, key, None)
    other = create_engine(
        make_url(services.settings.resolved_database_url).set(
            drivername="postgresql+psycopg", database="postgres"
        )
    )
    try:
        with other.connect() as connection:
            connection.execute(text("SELECT pg_current_xact_id()"))  # takes an id, stays open
            # when
            reference = (await submit_report(client))["report"]["reference"]
            changes, _ = await read_all(client, key, cursor)
            connection.rollback()
    finally:
        other.dispose()
    # then
    assert [c["reference"] for c in changes] == [reference]
