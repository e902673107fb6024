"""Helpers of the hostile-input tests: a caller that sends JSON as hostile clients write it,
and a small world (a report, a sensor, an agent) to aim at."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from service.context import Services
from service.staff.models import Role
from tests import support
from tests.sensors.support import create_sensor


class RawCaller:
    """Posts GraphQL bodies serialised by ``json.dumps`` with its default ``ensure_ascii``: a
    lone surrogate travels as a ``\\ud800`` escape (httpx's own encoder cannot send it)."""

    def __init__(
        self, client: httpx.AsyncClient, token: str | None = None, *, language: str = "en"
    ) -> None:
        self.client = client
        self.headers = {
            "content-type": "application/json",
            "accept": "application/graphql-response+json",
            "accept-language": language,
        }
        if token is not None:
            self.headers["authorization"] = f"Bearer {token}"

    async def post(self, body: dict[str, Any]) -> httpx.Response:
        return await self.client.post(
            "/graphql", content=json.dumps(body).encode("ascii"), headers=self.headers
        )

    async def run(self, name: str, variables: dict[str, Any]) -> httpx.Response:
        """Run ``graphql/operations/<name>.graphql`` with these variables."""
        return await self.post({"query": support.operation(name), "variables": variables})


def errors_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = body.get("errors") or []
    return errors


@dataclass(frozen=True)
class World:
    reference: str  # a report of Angers, handled by its town hall
    token: str  # its tracking token
    slug: str  # a sensor of ALM's roads directorate
    agent: support.Staff  # an agent of Angers' town hall


# One sensor per test database: other tests read the register's pages (50 sensors a page).
_SENSORS: dict[str, str] = {}


async def a_sensor(client: httpx.AsyncClient, services: Services) -> str:
    """The slug of a sensor of ALM's roads directorate, made once per test database."""
    database = services.settings.database_url
    if database not in _SENSORS:
        roads = await support.staff(services, client, "alm-voirie", Role.AGENT)
        _SENSORS[database] = str((await create_sensor(roads))["slug"])
    return _SENSORS[database]


async def a_world(client: httpx.AsyncClient, services: Services) -> World:
    payload = await support.submit_report(client, categoryCode="graffiti")
    slug = await a_sensor(client, services)
    agent = await support.staff(
        services, client, "mairie-49007", Role.AGENT, ("items:read", "items:write", "staff:read")
    )
    return World(
        reference=payload["report"]["reference"],
        token=payload["trackingToken"],
        slug=slug,
        agent=agent,
    )
