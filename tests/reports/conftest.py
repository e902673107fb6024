"""Report tests that count or list need a database of their own."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from service.context import Services
from service.settings import Settings
from tests.support import prepare_database, running_service, throwaway_database


@pytest.fixture
def fresh_settings(tmp_path: Path) -> Iterator[Settings]:
    with throwaway_database(os.environ.get("TEST_DATABASE_URL"), tmp_path) as url:
        settings = Settings(
            database_url=url,
            data_dir=tmp_path,
            secret_keys=("k" * 32,),
            # Every test request comes from one address: lift the per-origin limits.
            anonymous_requests_per_minute=1_000_000,
            anonymous_submissions_per_minute=1_000_000,
        )
        prepare_database(settings)
        yield settings


@pytest.fixture
async def fresh_running(
    fresh_settings: Settings,
) -> AsyncIterator[tuple[Services, httpx.AsyncClient]]:
    async with running_service(fresh_settings) as pair:
        yield pair


@pytest.fixture
def fresh_services(fresh_running: tuple[Services, httpx.AsyncClient]) -> Services:
    return fresh_running[0]


@pytest.fixture
def fresh_client(fresh_running: tuple[Services, httpx.AsyncClient]) -> httpx.AsyncClient:
    return fresh_running[1]
