"""Health and readiness, as a load balancer and an operator see them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from service.context import Services
from service.settings import Settings
from tests.support import running_service, submit_report

pytestmark = pytest.mark.anyio


async def test_healthz_says_the_process_answers(client: httpx.AsyncClient) -> None:
    # when
    response = await client.get("/healthz")
    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_on_a_migrated_database(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: the index of this test's data folder caught up with the session's database
    await services.search_indexer.catch_up()
    # when
    response = await client.get("/readyz")
    # then
    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("status", "checks")} == {
        "status": "ready",
        "checks": {
            "database": "ok",
            "migrations": "current",
            "searchIndexer": "ok",
            "searchIndex": "follows this database",
        },
    }
    assert set(body["search"]) == {
        "instance",
        "engine",
        "position",
        "pendingEntries",
        "lagSeconds",
        "setAside",
    }
    assert body["search"]["engine"] == "whoosh"
    assert body["search"]["setAside"] == {"count": 0, "keys": []}


async def test_readyz_reports_how_far_the_search_index_is_behind(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: a report the indexer has not applied yet (this test runs no indexer)
    await submit_report(client)
    # when
    behind = (await client.get("/readyz")).json()["search"]
    await services.search_indexer.catch_up()
    caught_up = (await client.get("/readyz")).json()["search"]
    # then
    assert behind["pendingEntries"] >= 1 and behind["lagSeconds"] >= 0
    assert caught_up["pendingEntries"] == 0 and caught_up["lagSeconds"] == 0
    assert caught_up["position"] > behind["position"]


async def test_readyz_is_503_on_a_database_that_was_never_migrated(tmp_path: Path) -> None:
    # given: an empty SQLite file
    settings = Settings(data_dir=tmp_path)
    # when
    async with running_service(settings, load_reference=False) as (_, client):
        response = await client.get("/readyz")
    # then
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["migrations"].startswith("at None")


async def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    # given: nothing listens on port 1
    settings = Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    # when
    async with running_service(settings, load_reference=False) as (_, client):
        response = await client.get("/readyz")
    # then
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("OperationalError")
