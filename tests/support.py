"""Helpers shared by the tests: databases to throw away, operations, GraphQL calls."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from service import migrate
from service.app import build_services, create_app
from service.context import Services
from service.db import Database
from service.fixtures import load_fixtures
from service.settings import PROJECT_ROOT, Settings
from service.staff import rules as staff_rules
from service.staff.models import Role

OPERATIONS_DIR = PROJECT_ROOT / "graphql" / "operations"
# Every test request comes from one address: the per-origin limits are lifted (and set low on
# purpose in tests/integrations/test_rate_limits.py and test_query_cost.py).
ONE_ORIGIN_LIMITS: dict[str, Any] = {
    "anonymous_requests_per_minute": 1_000_000,
    "anonymous_submissions_per_minute": 1_000_000,
    "anonymous_cost_per_minute": 1_000_000_000,
}


def operation(name: str) -> str:
    """The text of ``graphql/operations/<name>.graphql``: tests run what clients run."""
    return (OPERATIONS_DIR / f"{name}.graphql").read_text(encoding="utf-8")


@contextlib.contextmanager
def throwaway_database(base_url: str | None, folder: Path) -> Iterator[str]:
    """A new empty database: a SQLite file in ``folder``, or a fresh PostgreSQL database
    created on the server of ``base_url`` and dropped afterwards."""
    if not base_url:
        yield f"sqlite:///{(folder / 'test.db').as_posix()}"
        return
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        make_url(base_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare_database(settings: Settings) -> None:
    """Migrate and load the fixtures, as ``serve --demo`` does."""
    migrate.upgrade(settings.resolved_database_url)

    async def load() -> None:
        db = Database(settings.resolved_database_url)
        try:
            await load_fixtures(settings, db)
        finally:
            await db.dispose()

    asyncio.run(load())


async def graphql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    language: str | None = None,
    accept: str = "application/graphql-response+json",
) -> httpx.Response:
    headers = {"accept": accept}
    if language:
        headers["accept-language"] = language
    return await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


async def data_of(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, **kwargs: Any
) -> dict[str, Any]:
    """Run an operation that must succeed; return its data."""
    response = await graphql(client, query, variables, **kwargs)
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


# Real places (checked against the commune polygons in tests/territory).
ANGERS_TOWN_HALL = (47.4712, -0.5502)
PONTS_DE_CE_TOWN_HALL = (47.42528, -0.52417)
BEHUARD = (47.38, -0.64278)
CHALONNES_OUTSIDE_ALM = (47.351, -0.762)


def report_input(**overrides: Any) -> dict[str, Any]:
    """A valid ReportCreateInput (a pothole at Angers town hall), with overrides."""
    latitude, longitude = overrides.pop("point", ANGERS_TOWN_HALL)
    values: dict[str, Any] = {
        "categoryCode": "pothole",
        "latitude": latitude,
        "longitude": longitude,
        "description": "Nid-de-poule profond devant l'arrêt de bus.",
        "idempotencyKey": f"key-{uuid.uuid4()}",
        "channel": "APP",
    }
    values.update(overrides)
    return values


async def submit_report(
    client: httpx.AsyncClient, language: str | None = "fr", **overrides: Any
) -> dict[str, Any]:
    """Run ReportCreate; return its payload (report, trackingToken, errors)."""
    response = await graphql(
        client, operation("ReportCreate"), {"input": report_input(**overrides)}, language=language
    )
    body = response.json()
    assert response.status_code == 200, body
    payload: dict[str, Any] = body["data"]["reportCreate"]
    return payload


@contextlib.asynccontextmanager
async def running_service(
    settings: Settings, *, load_reference: bool = True
) -> AsyncIterator[tuple[Services, httpx.AsyncClient]]:
    """The service's objects and an in-process HTTP client to it, disposed afterwards.

    ``load_reference`` is what the app's start-up does; leave it off for a database that is
    not there or not migrated.
    """
    services = build_services(settings)
    try:
        if load_reference:
            await services.reload_reference()
        transport = httpx.ASGITransport(app=create_app(settings, services))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield services, client
    finally:
        await services.db.dispose()


class Staff:
    """A staff member with a personal access token, calling the real API."""

    def __init__(self, client: httpx.AsyncClient, staff_id: int, token: str) -> None:
        self.client, self.staff_id, self.token = client, staff_id, token

    async def call(self, name: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run ``graphql/operations/<name>.graphql``; the whole response body."""
        response = await self.client.post(
            "/graphql",
            json={"query": operation(name), "variables": variables},
            headers={"authorization": f"Bearer {self.token}", "accept-language": "en"},
        )
        body: dict[str, Any] = response.json()
        return body

    async def data(self, name: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run an operation that must not fail as a whole; its data."""
        body = await self.call(name, variables)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data


async def staff(
    services: Services,
    client: httpx.AsyncClient,
    body: str,
    role: Role,
    scopes: tuple[str, ...] = ("items:read", "items:write"),
) -> Staff:
    """A new staff member of ``body`` with an access token of these scopes."""
    async with services.db.writing() as session:
        user = await staff_rules.create_staff(
            session,
            email=f"{uuid.uuid4().hex[:10]}@angers.fr",
            name="Agent",
            body_code=body,
            role=role,
            password="correct horse battery",
            now=services.clock(),
        )
        assert user.id is not None
        _, token = await staff_rules.create_access_token(
            session, user.id, "tests", list(scopes), services.clock()
        )
    return Staff(client, user.id, token)
