"""Helpers of the service-request tests: valid inputs and a submission shortcut."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support import ANGERS_TOWN_HALL, graphql, operation


def in_days(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def bulky_waste_input(**overrides: Any) -> dict[str, Any]:
    """A valid bulky-waste pickup at an Angers address (a home-address service)."""
    values: dict[str, Any] = {
        "serviceCode": "bulky_waste_pickup",
        "commune": "49007",
        "addressText": "12 rue Lenepveu",
        "answers": [
            {"code": "items", "values": ["furniture", "mattress"]},
            {"code": "volume_m3", "value": "2,5"},
            {"code": "preferred_date", "value": in_days(10)},
            {"code": "access_notes", "value": "Digicode 4521B, rez-de-chaussée"},
        ],
        "description": "Un canapé et un matelas",
        "idempotencyKey": f"key-{uuid.uuid4()}",
        "channel": "APP",
    }
    values.update(overrides)
    return values


def tree_pruning_input(**overrides: Any) -> dict[str, Any]:
    """A valid tree-pruning request in public space (a public service) in Avrillé."""
    values: dict[str, Any] = {
        "serviceCode": "tree_pruning",
        "latitude": 47.50694,
        "longitude": -0.58917,
        "answers": [
            {"code": "tree_place", "value": "street"},
            {"code": "problem", "values": ["low_branches", "hides_sign"]},
            {"code": "height_m", "value": "12"},
        ],
        "description": "Les branches cachent le panneau stop",
        "idempotencyKey": f"key-{uuid.uuid4()}",
        "channel": "WEB",
    }
    values.update(overrides)
    return values


def with_answer(base: dict[str, Any], code: str, **answer: Any) -> dict[str, Any]:
    """The input with the answer to ``code`` replaced (or removed when no value is given)."""
    kept = [a for a in base["answers"] if a["code"] != code]
    if answer:
        kept.append({"code": code, **answer})
    return {**base, "answers": kept}


async def request_service(
    client: httpx.AsyncClient, values: dict[str, Any], language: str | None = "fr"
) -> dict[str, Any]:
    response = await graphql(
        client, operation("ServiceRequestCreate"), {"input": values}, language=language
    )
    body = response.json()
    assert response.status_code == 200, body
    payload: dict[str, Any] = body["data"]["serviceRequestCreate"]
    return payload


__all__ = ["ANGERS_TOWN_HALL"]
