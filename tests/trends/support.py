"""Fixture data for the trends: reports of March 2021 with known outcomes, and a direct
computation of every indicator from the item rows (what the roll-ups must agree with)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select, update

from service.context import Services
from service.items.models import Item
from service.staff import rules as staff_rules
from service.staff.models import Role, StaffUser
from tests.support import ANGERS_TOWN_HALL, PONTS_DE_CE_TOWN_HALL, submit_report

PARIS = ZoneInfo("Europe/Paris")
# pothole and graffiti are large; noise has 3 items: a small cell.
CATEGORIES = ["pothole"] * 30 + ["graffiti"] * 24 + ["noise"] * 3


@dataclass(frozen=True)
class Outcome:
    created_at: datetime
    acknowledged_after: timedelta | None
    resolved_after: timedelta | None
    channel: str
    delivery_state: str
    feedback_fixed: bool | None
    rating: int | None


def period(year: int) -> dict[str, str]:
    """March of ``year``: each test module seeds its own year, so small cells stay small."""
    return {"start": f"{year}-03-01", "end": f"{year}-03-31", "granularity": "WEEK"}


def outcomes(count: int, year: int = 2021) -> list[Outcome]:
    draw = random.Random(10)
    found = []
    for _ in range(count):
        created = datetime(year, 3, 1, 8, tzinfo=UTC) + timedelta(minutes=draw.randrange(43000))
        acknowledged = (
            timedelta(hours=draw.lognormvariate(2.5, 1.2)) if draw.random() < 0.85 else None
        )
        resolved = (
            acknowledged + timedelta(days=draw.lognormvariate(1.8, 1.0))
            if acknowledged and draw.random() < 0.7
            else None
        )
        fixed = draw.choice([True, True, False]) if resolved and draw.random() < 0.6 else None
        found.append(
            Outcome(
                created_at=created,
                acknowledged_after=acknowledged,
                resolved_after=resolved,
                channel=draw.choice(["app", "app", "web", "counter", "phone"]),
                delivery_state=draw.choice(["triage"] * 5 + ["unrouted"]),
                feedback_fixed=fixed,
                rating=draw.randint(1, 5) if fixed is not None else None,
            )
        )
    return found


async def seed_march(client: httpx.AsyncClient, services: Services, year: int = 2021) -> list[int]:
    """Submit the reports through the API, then give them histories of March ``year``."""
    ids = []
    for index, (category, outcome) in enumerate(
        zip(CATEGORIES, outcomes(len(CATEGORIES), year), strict=True)
    ):
        point = ANGERS_TOWN_HALL if index % 3 else PONTS_DE_CE_TOWN_HALL
        payload = await submit_report(client, categoryCode=category, point=point)
        reference = payload["report"]["reference"]
        async with services.db.writing() as session:
            item = (
                (await session.exec(select(Item).where(Item.reference == reference)))  # type: ignore[call-overload]
                .scalars()
                .one()
            )
            created = outcome.created_at
            acknowledged = (
                created + outcome.acknowledged_after if outcome.acknowledged_after else None
            )
            resolved = created + outcome.resolved_after if outcome.resolved_after else None
            status = "resolved" if resolved else "acknowledged" if acknowledged else "submitted"
            await session.exec(  # type: ignore[call-overload]
                update(Item)
                .where(Item.id == item.id)  # type: ignore[arg-type]
                .values(
                    created_at=created,
                    acknowledged_at=acknowledged,
                    resolved_at=resolved,
                    status=status,
                    channel=outcome.channel,
                    delivery_state=outcome.delivery_state,
                    feedback_fixed=outcome.feedback_fixed,
                    feedback_rating=outcome.rating,
                )
            )
            ids.append(item.id)
    return ids


async def march_items(services: Services, year: int = 2021) -> list[Item]:
    """Every item submitted in March ``year`` (Angers days), read directly."""
    async with services.db.reading() as session:
        rows = (await session.exec(select(Item))).scalars().all()  # type: ignore[call-overload]
    return [row for row in rows if (year, 3) == _month(row.created_at)]


def _month(moment: datetime) -> tuple[int, int]:
    local = _utc(moment).astimezone(PARIS).date()
    return local.year, local.month


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def hours_between(later: datetime | None, earlier: datetime) -> float | None:
    return None if later is None else (_utc(later) - _utc(earlier)).total_seconds() / 3600


async def staff_token(services: Services, role: Role, body: str = "alm") -> str:
    async with services.db.writing() as session:
        user = StaffUser(
            email=f"{uuid.uuid4().hex[:10]}@angers.fr",
            name="Élue",
            body_code=body,
            role=role.value,
            password_hash="!",
            created_at=services.clock(),
        )
        session.add(user)
        await session.flush()
        assert user.id is not None
        _, token = await staff_rules.create_access_token(
            session, user.id, "trends", ["items:read"], services.clock()
        )
    return token


def cells(rows: list[dict[str, Any]], field: str = "count") -> dict[str, Any]:
    return {row["key"]: row[field]["value"] for row in rows}
