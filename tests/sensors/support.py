"""Helpers of the sensor tests: staff members calling the real API, a valid sensor input."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from service.context import Services
from service.staff import rules
from service.staff.models import Role
from tests.support import operation

# Real places in Angers (checked against the commune polygons by the register's own routing).
FRATERNITE = (47.48735, -0.52745)
RALLIEMENT = (47.4716, -0.5509)


class Staff:
    """A staff member with a personal access token, calling the real API."""

    def __init__(self, client: httpx.AsyncClient, staff_id: int, token: str) -> None:
        self.client, self.staff_id, self.token = client, staff_id, token

    async def call(self, name: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql",
            json={"query": operation(name), "variables": variables},
            headers={"authorization": f"Bearer {self.token}", "accept-language": "en"},
        )
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data


async def staff(
    services: Services,
    client: httpx.AsyncClient,
    body: str,
    role: Role,
    scopes: tuple[str, ...] = ("items:read", "items:write", "staff:read"),
) -> Staff:
    async with services.db.writing() as session:
        user = await rules.create_staff(
            session,
            email=f"{uuid.uuid4().hex[:10]}@angers.fr",
            name="Agent",
            body_code=body,
            role=role,
            password="correct horse battery",
            now=services.clock(),
        )
        assert user.id is not None
        _, token = await rules.create_access_token(
            session, user.id, "tests", list(scopes), services.clock()
        )
    return Staff(client, user.id, token)


def unique_slug(prefix: str = "test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def sensor_input(**overrides: Any) -> dict[str, Any]:
    """A valid SensorCreateInput: a parking sensor on place de la Fraternité (ALM roads)."""
    latitude, longitude = overrides.pop("point", FRATERNITE)
    values: dict[str, Any] = {
        "slug": unique_slug(),
        "name": "Capteur de stationnement",
        "description": "Détecte si la place est libre ou occupée.",
        "latitude": latitude,
        "longitude": longitude,
        "placeName": "Place de la Fraternité",
        "accountableBodyCode": "alm-voirie",
        "status": "ACTIVE",
        "dtpr": [
            {"category": "purpose", "element": "mobility"},
            {"category": "tech", "element": "induction_loop"},
            {
                "category": "retention",
                "element": "data_retained",
                "variables": [{"name": "duration", "value": "12 mois"}],
            },
            {"category": "accountable", "element": "institution"},
        ],
    }
    values.update(overrides)
    return values


async def create_sensor(member: Staff, **overrides: Any) -> dict[str, Any]:
    """Run SensorCreate as ``member``; return the created sensor (it must succeed)."""
    payload = (await member.call("SensorCreate", {"input": sensor_input(**overrides)}))[
        "sensorCreate"
    ]
    assert payload["errors"] == [], payload["errors"]
    sensor: dict[str, Any] = payload["sensor"]
    return sensor
