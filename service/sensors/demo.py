"""Example sensors and opinions for `serve --demo` (invented, marked as examples)."""

from __future__ import annotations

import json
from datetime import date, datetime

from service.context import Services
from service.privacy.rules import keyed_hash
from service.sensors import opinions, rules
from service.sensors.models import Concern, SensorStatus, Understood


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


async def load_demo_sensors(services: Services, now: datetime) -> int:
    """Add the example sensors of fixtures/demo/sensors.json that are not there yet, through
    the same rules as staff use, and a few example opinions; returns how many are new."""
    path = services.settings.fixtures_dir / "demo" / "sensors.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    created = 0
    for entry in data["sensors"]:
        async with services.db.reading() as session:
            if await rules.get_sensor(session, entry["slug"]) is not None:
                continue
        await rules.create_sensor(
            services.db,
            services.reference,
            None,
            entry["slug"],
            rules.SensorFields(
                name=entry["name"],
                description=entry["description"],
                latitude=entry["latitude"],
                longitude=entry["longitude"],
                place_name=entry.get("place_name"),
                accountable_body_code=entry["accountable_body_code"],
                elements=[rules.ElementChoice(c, e, v) for c, e, v in entry["dtpr"]],
                personal_data=entry.get("personal_data", False),
                anonymisation=entry.get("anonymisation"),
                hosted_in_eu=entry.get("hosted_in_eu", True),
                hosting=entry.get("hosting"),
                status=SensorStatus(entry["status"]),
                planned_on=_date(entry.get("planned_on")),
                installed_on=_date(entry.get("installed_on")),
                removed_on=_date(entry.get("removed_on")),
            ),
            now,
            is_example=True,
        )
        created += 1
        for index, (acceptance, understood, concerns) in enumerate(
            data["opinions"].get(entry["slug"], [])
        ):
            device = f"demo-device-{index:04d}"
            await opinions.give_opinion(
                services.db,
                opinions.OpinionRequest(
                    sensor_slug=entry["slug"],
                    acceptance=acceptance,
                    understood=Understood(understood),
                    concerns=frozenset(Concern(c) for c in concerns.split()),
                    comment=None,
                    device_key=device,
                    idempotency_key=f"{device}-{entry['slug']}"[:100],
                ),
                keyed_hash("demo", "sensor-opinion-device", device),
                now,
            )
    return created
