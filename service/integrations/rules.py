"""API clients: integrators' keys, created by admins (command line or GraphQL), stored as
hashes, with scopes saying which operations they may run."""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import Database
from service.errors import N_, DomainError, raise_if_any
from service.integrations.errors import IntegrationErrorCode
from service.integrations.models import ApiClient

KEY_PREFIX = "alm_api_"
CLIENT_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]{1,54}$")
MAX_KEY_LENGTH = 200


class ApiScope(enum.Enum):
    PUBLIC_READ = "public:read"
    ITEMS_WRITE = "items:write"
    ITEMS_FOLLOW = "items:follow"
    WEBHOOKS_MANAGE = "webhooks:manage"
    OPENDATA_READ = "opendata:read"


# What each scope opens (the root fields are listed in service.integrations.access).
SCOPES: dict[str, str] = {
    "public:read": "Read public data: communes, categories, public items, sensors.",
    "items:write": "Submit reports, service requests, sensor opinions and questions.",
    "items:follow": "Follow an item with its tracking token, add information, rate it.",
    "webhooks:manage": "Subscribe to events with webhooks and read their deliveries.",
    "opendata:read": "Read the change feed of public items.",
}
DEFAULT_SCOPES = ("public:read", "items:write", "items:follow")


@dataclass(frozen=True)
class ClientIdentity:
    """An authenticated API client, as a request sees it."""

    client_id: int
    name: str
    scopes: frozenset[str]
    trusted_documents_only: bool = False

    @property
    def channel(self) -> str:
        """The channel of the items it submits."""
        return f"api:{self.name}"

    @property
    def idempotency_scope(self) -> str:
        """Shared with Open311: a retry through either path finds the first submission."""
        return f"api:{self.client_id}"


def identity_of(client: ApiClient) -> ClientIdentity:
    assert client.id is not None
    return ClientIdentity(
        client_id=client.id,
        name=client.name,
        scopes=frozenset(client.scopes.split()),
        trusted_documents_only=client.trusted_documents_only,
    )


def key_hash(key: str) -> str:
    """SHA-256 is enough: keys are 256 random bits, not passwords a person chose."""
    return hashlib.sha256(key.encode()).hexdigest()


def valid_client_name(name: str) -> bool:
    return CLIENT_NAME.match(name) is not None


def is_client_key(token: str) -> bool:
    """Whether a bearer token is an API client's key (staff tokens have another prefix)."""
    return token.startswith(KEY_PREFIX)


def client_errors(name: str, scopes: Iterable[str]) -> list[DomainError]:
    errors: list[DomainError] = []
    if not valid_client_name(name):
        errors.append(
            DomainError(
                IntegrationErrorCode.INVALID_NAME,
                N_("A client name is 2 to 55 lower-case letters, digits, - or _."),
                field="name",
            )
        )
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not list(scopes):
        errors.append(
            DomainError(
                IntegrationErrorCode.INVALID_SCOPE,
                N_("Unknown scope %(scope)s; choose among %(choices)s."),
                field="scopes",
                scope=", ".join(unknown) or "-",
                choices=", ".join(SCOPES),
            )
        )
    return errors


async def create_api_client(
    session: AsyncSession,
    name: str,
    now: datetime,
    scopes: Iterable[str] = DEFAULT_SCOPES,
    *,
    trusted_documents_only: bool = False,
) -> tuple[ApiClient, str]:
    """A new client and its key; the key is returned once and never stored. Check the
    name and scopes with client_errors() first."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient(
        name=name,
        key_hash=key_hash(key),
        key_prefix=key[: len(KEY_PREFIX) + 4],
        created_at=now,
        scopes=" ".join(s for s in SCOPES if s in set(scopes)),
        trusted_documents_only=trusted_documents_only,
    )
    session.add(client)
    await session.flush()
    return client, key


async def name_taken(session: AsyncSession, name: str) -> bool:
    return (
        await session.exec(select(ApiClient.id).where(ApiClient.name == name))
    ).first() is not None


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


async def list_api_clients(session: AsyncSession) -> list[ApiClient]:
    return list((await session.exec(select(ApiClient).order_by(col(ApiClient.name)))).all())


async def client_by_name(session: AsyncSession, name: str) -> ApiClient | None:
    return (await session.exec(select(ApiClient).where(ApiClient.name == name))).first()


def name_taken_error(name: str) -> DomainError:
    return DomainError(
        IntegrationErrorCode.NAME_TAKEN,
        N_("There is already an API client named %(name)s."),
        field="name",
        name=name,
    )


async def register_api_client(
    db: Database,
    name: str,
    scopes: Iterable[str],
    now: datetime,
    *,
    trusted_documents_only: bool = False,
) -> tuple[ApiClient, str]:
    """Check the name and scopes, then create the client in its own transaction: its key is
    returned once. A name already taken (even at the same moment) is NAME_TAKEN."""
    scopes = list(scopes)
    raise_if_any(client_errors(name, scopes))
    try:
        async with db.writing() as session:
            if await name_taken(session, name):
                raise name_taken_error(name)
            return await create_api_client(
                session, name, now, scopes, trusted_documents_only=trusted_documents_only
            )
    except IntegrityError:  # created by someone else at the same moment
        raise name_taken_error(name) from None


async def revoke_api_client_named(db: Database, name: str, now: datetime) -> ApiClient | None:
    """Revoke the active client of this name (NOT_FOUND without one); the client as it is."""
    async with db.writing() as session:
        if not await revoke_api_client(session, name, now):
            raise DomainError(
                IntegrationErrorCode.NOT_FOUND,
                N_("There is no active API client named %(name)s."),
                field="name",
                name=name[:60],
            )
        return await client_by_name(session, name)
