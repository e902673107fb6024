"""The public response cache: repeated public reads skip execution, writes are seen at once,
entries expire, and nothing personal or erroneous is ever kept."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import event

from service.context import Services
from service.field_access import AccessTable
from service.schema import build_schema
from service.settings import Settings
from tests.support import data_of, graphql, operation, running_service, submit_report

pytestmark = pytest.mark.anyio


@contextmanager
def statements(services: Services) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    for engine in {services.db.read_engine, services.db.write_engine}:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in {services.db.read_engine, services.db.write_engine}:
            event.remove(engine, "before_cursor_execute", record)


async def test_a_repeated_public_read_is_answered_without_the_database(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    first = await graphql(client, operation("Reports"), {"first": 5})
    # when
    with statements(services) as seen:
        second = await graphql(client, operation("Reports"), {"first": 5})
    # then
    assert seen == []
    assert second.content == first.content
    assert second.headers["content-language"] == first.headers["content-language"]


async def test_a_mutation_is_seen_by_the_next_read_at_once(client: httpx.AsyncClient) -> None:
    # given
    before = await data_of(client, operation("Reports"), {"first": 1})
    # when
    created = await submit_report(client)
    after = await data_of(client, operation("Reports"), {"first": 1})
    # then
    assert after["reports"]["edges"][0]["node"]["reference"] == created["report"]["reference"]
    assert after["reports"]["totalCount"] == before["reports"]["totalCount"] + 1


async def test_each_language_has_its_own_entry(client: httpx.AsyncClient) -> None:
    # when
    french = await data_of(client, operation("Categories"), language="fr")
    german = await data_of(client, operation("Categories"), language="de")
    # then
    assert french["categories"]["groups"][0]["label"] == "Voirie et trottoirs"
    assert german["categories"]["groups"][0]["label"] != "Voirie et trottoirs"
    assert french["categories"]["version"] != german["categories"]["version"]


async def test_entries_expire(settings: Settings) -> None:
    # given: a cache that keeps answers 50 ms
    short = replace(settings, public_cache_seconds=0.05)
    async with running_service(short) as (services, client):
        await graphql(client, operation("Reports"), {"first": 2})
        # when
        await asyncio.sleep(0.1)
        with statements(services) as seen:
            await graphql(client, operation("Reports"), {"first": 2})
    # then
    assert seen != []


async def test_a_tracked_item_is_never_cached(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given
    token = (await submit_report(client))["trackingToken"]
    await graphql(client, operation("Tracked"), {"token": token})
    # when
    with statements(services) as seen:
        await graphql(client, operation("Tracked"), {"token": token})
    # then
    assert seen != []


@pytest.mark.parametrize(
    ("query", "public"),
    [
        ("{ communes { code } }", True),
        (
            'query A { reports { totalCount } } query B { tracked(token: "x") { item { kind } } }',
            False,
        ),  # several operations and no operationName: not ours to guess
        ('{ reports { totalCount } tracked(token: "x") { errors { code } } }', False),
        ("{ ...F } fragment F on Query { communes { code } }", False),
        ('mutation { reportSupport(reference: "x", deviceKey: "y") { counted } }', False),
        ("{ communes {", False),
    ],
)
def test_only_queries_made_of_public_root_fields_are_cacheable(query: str, public: bool) -> None:
    assert AccessTable.of(build_schema(Settings())).is_public_read(query, None) is public
