"""Health and readiness, as a load balancer and an operator see them."""

from __future__ import annotations

import asyncio
import gc
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from service.app import build_services, create_app
from service.background import Loops
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


async def test_readyz_shows_a_background_loop_that_failed_and_runs_again(
    services: Services,
) -> None:
    # given: the app's loops, one of which fails every time
    app = create_app(services.settings, services)
    loops: Loops = app.state.loops
    loops.first_pause_seconds = 60

    async def broken() -> None:
        raise RuntimeError("broken")

    loops.start("webhooks", broken)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        while not loops.health()["webhooks"]["restarts"]:
            await asyncio.sleep(0.01)
        # when
        response = await client.get("/readyz")
    await loops.stop_all()
    # then: shown; the process still serves, so readiness is the database's and the index's
    assert response.json()["loops"] == {
        "webhooks": {"state": "restarting", "restarts": 1, "lastError": "RuntimeError"}
    }


async def test_start_up_runs_every_background_loop_and_shutdown_stops_them(
    settings: Settings,
) -> None:
    # given: the app with its start-up and shutdown (the lifespan), as a server runs it
    settings = replace(settings, delivery_poll_seconds=0.05, search_poll_seconds=0.05)
    services = build_services(settings)
    app = create_app(settings, services)
    transport = httpx.ASGITransport(app=app)
    try:
        # when
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                running = (await client.get("/readyz")).json()["loops"]
        stopped = app.state.loops.health()
    finally:
        gc.unfreeze()  # start-up froze what it built; the other tests' objects too
    # then
    names = {"delivery", "mail", "purge", "searchIndexer", "trends", "webhooks"}
    assert running == {name: {"state": "ok", "restarts": 0} for name in names}
    assert stopped == {name: {"state": "stopped", "restarts": 0} for name in names}
