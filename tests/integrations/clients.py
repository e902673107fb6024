"""Helpers for integrator tests: API clients with chosen scopes, and calls with their key."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from service.context import Services, utc_now
from service.integrations import rules as api_clients

ALL_SCOPES = tuple(api_clients.SCOPES)


async def client_key(
    services: Services,
    scopes: tuple[str, ...] = ALL_SCOPES,
    *,
    trusted_documents_only: bool = False,
    name: str | None = None,
) -> str:
    async with services.db.writing() as session:
        _, key = await api_clients.create_api_client(
            session,
            name or f"app-{uuid.uuid4().hex[:8]}",
            utc_now(),
            scopes,
            trusted_documents_only=trusted_documents_only,
        )
    return key


async def call(
    client: httpx.AsyncClient,
    key: str | None,
    body: dict[str, Any],
    *,
    language: str = "en",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    sent = {"accept-language": language, **(headers or {})}
    if key:
        sent["authorization"] = f"Bearer {key}"
    return await client.post("/graphql", json=body, headers=sent)
