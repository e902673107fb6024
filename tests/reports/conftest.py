"""Report tests that count or list need a database of their own."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from service.app import build_services, create_app
from service.context import Services
from service.settings import Settings
from tests.support import prepare_database, throwaway_database


@pytest.fixture
def fresh_settings(tmp_path: Path) -> Iterator[Settings]:
    with throwaway_database(os.environ.get("TEST_DATABASE_URL"), tmp_path) as url:
        settings = Settings(database_url=url, data_dir=tmp_path, secret_keys=("k" * 32,))
        prepare_database(settings)
        yield settings


@pytest.fixture
async def fresh_services(fresh_settings: Settings) -> AsyncIterator[Services]:
    services = build_services(fresh_settings)
    await services.reload_reference()
    yield services
    await services.db.dispose()


@pytest.fixture
async def fresh_client(
    fresh_settings: Settings, fresh_services: Services
) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(fresh_settings, fresh_services))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
