"""Fixtures: a real database (SQLite by default, PostgreSQL when TEST_DATABASE_URL is set),
migrated and loaded once per session; a fresh app and client per test; and for tests that
count or list, a fresh database of their own (``fresh_*``)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from service.context import Services
from service.settings import Settings
from tests.support import (
    ONE_ORIGIN_LIMITS,
    prepare_database,
    running_service,
    throwaway_database,
)


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
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        secret_keys=("k" * 32,),
        **ONE_ORIGIN_LIMITS,
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


# Tests that count or list, or need the demo data alone, get a database of their own.
@pytest.fixture
def fresh_settings(tmp_path: Path) -> Iterator[Settings]:
    with throwaway_database(os.environ.get("TEST_DATABASE_URL"), tmp_path) as url:
        settings = Settings(
            database_url=url,
            data_dir=tmp_path,
            secret_keys=("k" * 32,),
            **ONE_ORIGIN_LIMITS,
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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last. Playwright's synchronous API leaves its event loop marked as
    running in the main thread until the session's browser closes, and every other test
    starts its own loop (``asyncio.run``), which then refuses to start."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
