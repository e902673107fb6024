"""API clients: integrators' keys, created from the command line, stored as hashes."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.integrations.models import ApiClient

KEY_PREFIX = "alm_api_"
CLIENT_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]{1,54}$")
MAX_KEY_LENGTH = 200


def key_hash(key: str) -> str:
    """SHA-256 is enough: keys are 256 random bits, not passwords a person chose."""
    return hashlib.sha256(key.encode()).hexdigest()


def valid_client_name(name: str) -> bool:
    return CLIENT_NAME.match(name) is not None


async def create_api_client(
    session: AsyncSession, name: str, now: datetime
) -> tuple[ApiClient, str]:
    """A new client and its key; the key is returned once and never stored."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient(
        name=name, key_hash=key_hash(key), key_prefix=key[: len(KEY_PREFIX) + 4], created_at=now
    )
    session.add(client)
    await session.flush()
    return client, key


async def authenticate(session: AsyncSession, key: str | None) -> ApiClient | None:
    """The active client holding this key, or None (unknown, revoked, absent or absurd)."""
    if not key or len(key) > MAX_KEY_LENGTH:
        return None
    statement = select(ApiClient).where(
        ApiClient.key_hash == key_hash(key), col(ApiClient.revoked_at).is_(None)
    )
    return (await session.exec(statement)).first()


async def revoke_api_client(session: AsyncSession, name: str, now: datetime) -> bool:
    client = (await session.exec(select(ApiClient).where(ApiClient.name == name))).first()
    if client is None or client.revoked_at is not None:
        return False
    client.revoked_at = now
    session.add(client)
    return True
