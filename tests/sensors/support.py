"""Helpers of the sensor tests: staff members calling the real API, a valid sensor input."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from service.context import Services
from service.staff.models import Role
from tests import support

# Real places in Angers (checked against the commune polygons by the register's own routing).
FRATERNITE = (47.48735, -0.52745)
RALLIEMENT = (47.4716, -0.5509)


async def staff(
    services: Services, client: httpx.AsyncClient, body: str, role: Role
) -> support.Staff:
    """A staff member whose token may also read staff data (the audit log)."""
    return await support.staff(
        services, client, body, role, scopes=("items:read", "items:write", "staff:read")
    )


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


async def create_sensor(member: support.Staff, **overrides: Any) -> dict[str, Any]:
    """Run SensorCreate as ``member``; return the created sensor (it must succeed)."""
    payload = (await member.data("SensorCreate", {"input": sensor_input(**overrides)}))[
        "sensorCreate"
    ]
    assert payload["errors"] == [], payload["errors"]
    sensor: dict[str, Any] = payload["sensor"]
    return sensor
