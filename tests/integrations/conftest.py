"""An integrator's API key, created as the CLI does."""

from __future__ import annotations

import uuid

import pytest

from service.context import Services, utc_now
from service.integrations import rules as api_clients


@pytest.fixture
async def api_key(services: Services) -> str:
    async with services.db.writing() as session:
        _, key = await api_clients.create_api_client(
            session, f"test-{uuid.uuid4().hex[:8]}", utc_now()
        )
    return key
