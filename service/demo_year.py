"""A year of example items for ``serve --demo``, so that the dashboard shows figures.

About 9,000 reports and service requests over the twelve months before today, spread over the
29 communes by population, over categories and seasons, with times to acknowledge and to
resolve, residents' satisfaction, the assisted channels (counter, phone, letter) and opinions
on the demo sensors. Invented, marked as examples (idempotency scope ``demo-year``, routing
reason and text saying so), routed by the real routing rules, drawn from a seeded generator:
the same seed and the same day give the same rows. Inserted in bulk, then the trends' roll-ups
are rebuilt from the items, as ``python -m service trends-rebuild`` would."""

from __future__ import annotations

import math
import random
import secrets
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlmodel import col

from service.context import Services
from service.db import table_of
from service.i18n.translator import LOCAL_TIMEZONE
from service.items.models import DeliveryState, Item, ItemKind, ReferenceCounter
from service.reference import ReferenceData
from service.routing.rules import route_item
from service.sensors.models import Sensor, SensorOpinion, Understood
from service.service_requests.models import ServiceRequestDetail
from service.trends import rollup

SCOPE = "demo-year"
DEFAULT_ITEMS = 9_000
DEFAULT_SEED = 2026
TEXT = "Exemple (données inventées pour la démonstration)."
SERVICE_SHARE = 0.17
# Channels of reports and of service requests: residents without digital access go to the
# town hall, phone or write, and an agent submits for them (more often for services).
REPORT_CHANNELS = {"app": 55, "web": 28, "counter": 7, "phone": 6, "letter": 1, "email": 3}
SERVICE_CHANNELS = {"app": 30, "web": 36, "counter": 16, "phone": 13, "letter": 3, "email": 2}
# Categories residents use most (others get a weight of 1).
CATEGORY_WEIGHTS = {
    "pothole": 14,
    "street_light": 12,
    "illegal_dumping": 12,
    "graffiti": 8,
    "damaged_pavement": 8,
    "overflowing_bin": 9,
    "missed_collection": 8,
    "vegetation": 6,
    "water_leak": 4,
    "abandoned_vehicle": 3,
    "noise": 2,
}
# Reports per month of the year, relative (more in spring and summer; lights in winter).
SEASON = [0.8, 0.8, 1.0, 1.1, 1.2, 1.3, 1.2, 0.9, 1.1, 1.0, 0.9, 0.8]
OPINIONS = 600


@dataclass(frozen=True)
class Seeded:
    items: int
    opinions: int


def _weighted(draw: random.Random, weights: Mapping[str, float]) -> str:
    return draw.choices(list(weights), weights=list(weights.values()))[0]


def _points(reference: ReferenceData, draw: random.Random) -> dict[str, list[tuple[float, float]]]:
    """Random points inside each commune (a pool to draw from), by point-in-polygon."""
    min_lon, min_lat, max_lon, max_lat = reference.locator.bounds
    found: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for _ in range(40_000):
        latitude = draw.uniform(min_lat, max_lat)
        longitude = draw.uniform(min_lon, max_lon)
        commune = reference.locator.locate(latitude, longitude)
        if commune is not None and len(found[commune]) < 400:
            found[commune].append((round(latitude, 6), round(longitude, 6)))
    return found


def _moment(day: date, draw: random.Random) -> datetime:
    local = datetime.combine(day, time(7), LOCAL_TIMEZONE) + timedelta(
        minutes=draw.randrange(14 * 60)
    )
    return local.astimezone(UTC)


def _days(today: date, count: int, draw: random.Random) -> list[date]:
    """``count`` days of the 365 before today, by season."""
    days = [today - timedelta(days=n) for n in range(1, 366)]
    weights = [SEASON[d.month - 1] * (0.6 if d.weekday() >= 5 else 1.0) for d in days]
    return sorted(draw.choices(days, weights=weights, k=count))


def _outcome(created: datetime, now: datetime, speed: float, draw: random.Random) -> dict[str, Any]:
    """Dates and status: most items acknowledged within days, resolved within weeks."""
    acknowledged = created + timedelta(hours=draw.lognormvariate(math.log(20 * speed), 1.0))
    resolved = acknowledged + timedelta(days=draw.lognormvariate(math.log(6 * speed), 0.9))
    values: dict[str, Any] = dict.fromkeys(
        ("acknowledged_at", "resolved_at", "closed_at", "feedback_fixed", "feedback_rating")
    )
    if draw.random() < 0.04:
        values.update(status="rejected", acknowledged_at=None, closed_at=acknowledged)
        return (
            values if acknowledged < now else {**values, "status": "submitted", "closed_at": None}
        )
    if acknowledged >= now or draw.random() < 0.03:
        values["status"] = "submitted"
        return values
    values["acknowledged_at"] = acknowledged
    if resolved >= now or draw.random() < 0.06:
        values["status"] = "in_progress" if draw.random() < 0.6 else "acknowledged"
        return values
    values.update(status="resolved", resolved_at=resolved)
    if draw.random() < 0.42:
        fixed = draw.random() < 0.81
        values["feedback_fixed"] = fixed
        values["feedback_rating"] = (
            draw.choices([3, 4, 5], [2, 5, 4])[0]
            if fixed
            else draw.choices([1, 2, 3], [3, 3, 2])[0]
        )
    return values


async def _already_seeded(services: Services) -> bool:
    async with services.db.reading() as session:
        found = await session.exec(  # type: ignore[call-overload]
            select(func.count()).select_from(Item).where(col(Item.idempotency_scope) == SCOPE)
        )
        return bool(found.scalar())


def plan_year(
    reference: ReferenceData, now: datetime, items: int, seed: int, draw: random.Random
) -> tuple[list[dict[str, Any]], list[tuple[int, str]]]:
    """The example items (column values, without reference nor token) and the services of
    the service requests among them (by index): the same seed and day give the same rows."""
    points = _points(reference, draw)
    communes = [c for c in reference.communes_by_name() if points.get(c.code)]
    populations = [c.population for c in communes]
    categories = {c: CATEGORY_WEIGHTS.get(c, 1) for c in sorted(reference.categories)}
    service_specs = sorted(reference.services.services)
    today = now.astimezone(LOCAL_TIMEZONE).date()
    rows: list[dict[str, Any]] = []
    details: list[tuple[int, str]] = []
    for index, day in enumerate(_days(today, items, draw)):
        commune = draw.choices(communes, weights=populations)[0]
        is_service = bool(service_specs) and draw.random() < SERVICE_SHARE
        if is_service:
            subject = draw.choice(service_specs)
            routable: Any = reference.services.services[subject]
            channel = _weighted(draw, SERVICE_CHANNELS)
        else:
            subject = _weighted(draw, categories)
            routable = reference.categories[subject]
            channel = _weighted(draw, REPORT_CHANNELS)
        decision = route_item(reference, commune_code=commune.code, category=routable, today=day)
        created = _moment(day, draw)
        # Metropolitan directorates answer a little faster than small town halls, some
        # categories are slower (a water leak is fixed fast, a pothole waits for a crew).
        speed = (0.8 if decision.body_code.startswith("alm") else 1.2) * (
            0.4 if subject == "water_leak" else 1.5 if subject == "pothole" else 1.0
        )
        latitude, longitude = draw.choice(points[commune.code])
        outcome = _outcome(created, now, speed, draw)
        rows.append(
            {
                "kind": (ItemKind.SERVICE_REQUEST if is_service else ItemKind.REPORT).value,
                "commune_code": commune.code,
                "category_code": None if is_service else subject,
                "body_code": decision.body_code,
                "competence": decision.competence.value,
                "routing_reason": "example: " + decision.reason[:280],
                "delivery_state": (
                    DeliveryState.DELIVERED.value
                    if decision.route is not None
                    else DeliveryState.UNROUTED.value
                ),
                "latitude": None if is_service else latitude,
                "longitude": None if is_service else longitude,
                "description": TEXT,
                "public_description": TEXT,
                "channel": channel,
                "language": "fr",
                "idempotency_scope": SCOPE,
                "idempotency_key": f"{seed}-{index}",
                "request_fingerprint": "example",
                "support_count": 0,
                "assigned_to_id": None,
                "duplicate_of_id": None,
                "address_text": None,
                "created_at": created,
                "updated_at": outcome.get("resolved_at")
                or outcome.get("acknowledged_at")
                or created,
                **outcome,
            }
        )
        if is_service:
            details.append((index, subject))
    return rows, details


async def seed_demo_year(
    services: Services,
    now: datetime,
    items: int = DEFAULT_ITEMS,
    seed: int = DEFAULT_SEED,
) -> Seeded:
    """Insert the example year unless it is there (idempotent); how many rows were added."""
    if items <= 0 or await _already_seeded(services):
        return Seeded(0, 0)
    draw = random.Random(seed)
    rows, details = plan_year(services.reference, now, items, seed, draw)
    for row in rows:  # a secret of each item (it revokes tracking tokens): never drawn
        row["token_nonce"] = secrets.token_hex(8)
    today = now.astimezone(LOCAL_TIMEZONE).date()
    async with services.db.writing() as session:
        counters: dict[int, int] = {}
        for row in rows:
            year = row["created_at"].astimezone(LOCAL_TIMEZONE).year
            if year not in counters:
                counter = await session.get(ReferenceCounter, year)
                counters[year] = counter.last if counter else 0
            counters[year] += 1
            row["reference"] = f"ALM-{year}-{counters[year]:06d}"
        for year, last in counters.items():
            counter = await session.get(ReferenceCounter, year)
            session.add(ReferenceCounter(year=year, last=last) if counter is None else counter)
            if counter is not None:
                counter.last = last
        await session.flush()
        table = table_of(Item)
        for start in range(0, len(rows), 1000):
            await session.exec(insert(table), params=rows[start : start + 1000])
        ids = dict(
            (
                await session.exec(  # type: ignore[call-overload]
                    select(col(Item.idempotency_key), col(Item.id)).where(
                        col(Item.idempotency_scope) == SCOPE
                    )
                )
            ).all()
        )
        if details:
            await session.exec(
                insert(table_of(ServiceRequestDetail)),
                params=[
                    {"item_id": ids[f"{seed}-{index}"], "service_code": code, "answers": "{}"}
                    for index, code in details
                ],
            )
        opinions = await _opinions(session, today, draw)
    await rollup.rebuild(services.db)
    return Seeded(len(rows), opinions)


async def _opinions(session: Any, today: date, draw: random.Random) -> int:
    """Residents' opinions on the example sensors, over the year (one per device)."""
    sensors = [
        int(row[0])
        for row in (
            await session.exec(select(col(Sensor.id)).where(col(Sensor.is_example).is_(True)))
        ).all()
    ]
    if not sensors:
        return 0
    rows = []
    for sensor_id in sensors:
        liking = draw.uniform(2.2, 4.4)
        for _ in range(OPINIONS // len(sensors)):
            moment = _moment(today - timedelta(days=draw.randrange(1, 366)), draw)
            acceptance = max(1, min(5, round(draw.gauss(liking, 1.0))))
            rows.append(
                {
                    "sensor_id": sensor_id,
                    "device_hash": secrets.token_hex(32),
                    "acceptance": acceptance,
                    "understood": draw.choices([u.value for u in Understood], weights=[6, 3, 1])[0],
                    "concerns": "",
                    "created_at": moment,
                    "updated_at": moment,
                }
            )
    await session.exec(insert(table_of(SensorOpinion)), params=rows)
    return len(rows)
