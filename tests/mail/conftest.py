"""What the mail tests share: a database per module, a real SMTP server per test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from service.context import Services
from service.settings import Settings
from tests.mail.support import Inbox, mail_settings, smtp_server
from tests.support import (
    prepare_database,
    running_service,
    throwaway_database,
)


@pytest.fixture(scope="module")
def mail_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database for this module's messages (the shared one's outbox is others' business)."""
    folder = tmp_path_factory.mktemp("mail-db")
    with throwaway_database(os.environ.get("TEST_DATABASE_URL"), folder) as url:
        prepare_database(Settings(database_url=url, data_dir=folder))
        yield url


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as server:
        yield server


@pytest.fixture
async def running(
    mail_database: str, tmp_path: Path, inbox: Inbox
) -> AsyncIterator[tuple[Services, httpx.AsyncClient]]:
    async with running_service(mail_settings(mail_database, tmp_path, inbox)) as pair:
        yield pair
