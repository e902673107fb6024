"""Fixtures: a real database (SQLite by default, PostgreSQL when TEST_DATABASE_URL is set),
migrated and loaded once per session; a fresh app and client per test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from service.context import Services
from service.settings import Settings
from tests.support import prepare_database, running_service, throwaway_database


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One database for the session, migrated, with the fixtures loaded."""
    folder = tmp_path_factory.mktemp("db")
    with throwaway_database(os.environ.get("TEST_DATABASE_URL"), folder) as url:
        prepare_database(Settings(database_url=url, data_dir=folder))
        yield url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # Every test request comes from one address: per-origin limits are lifted here and set
    # low on purpose in tests/integrations/test_rate_limits.py.
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        secret_keys=("k" * 32,),
        anonymous_requests_per_minute=1_000_000,
        anonymous_submissions_per_minute=1_000_000,
    )


@pytest.fixture
async def running(settings: Settings) -> AsyncIterator[tuple[Services, httpx.AsyncClient]]:
    async with running_service(settings) as pair:
        yield pair


@pytest.fixture
def services(running: tuple[Services, httpx.AsyncClient]) -> Services:
    return running[0]


@pytest.fixture
def client(running: tuple[Services, httpx.AsyncClient]) -> httpx.AsyncClient:
    return running[1]
