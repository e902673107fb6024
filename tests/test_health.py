"""Health and readiness, as a load balancer and an operator see them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from service.settings import Settings
from tests.support import running_service

pytestmark = pytest.mark.anyio


async def test_healthz_says_the_process_answers(client: httpx.AsyncClient) -> None:
    # when
    response = await client.get("/healthz")
    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_on_a_migrated_database(client: httpx.AsyncClient) -> None:
    # when
    response = await client.get("/readyz")
    # then
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "current"},
    }


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
