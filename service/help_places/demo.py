"""Example help places for `serve --demo`: invented, marked as examples, one or more per
commune (fixtures/demo/help_places.json)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from service.db import Database
from service.help_places.hours import parse_hours
from service.help_places.models import HelpPlace, Offer, PlaceKind
from service.help_places.rules import find
from service.reference import ReferenceData

DEMO_FILE = Path("demo") / "help_places.json"


async def load_demo_help_places(
    db: Database, reference: ReferenceData, fixtures_dir: Path, now: datetime
) -> int:
    """Add the example places not there yet (a slug already there is left as it is);
    returns how many were added."""
    entries = json.loads((fixtures_dir / DEMO_FILE).read_text(encoding="utf-8"))["places"]
    added = 0
    async with db.writing() as session:
        for entry in entries:
            if await find(session, entry["slug"]) is not None:
                continue
            commune = reference.locator.locate(entry["latitude"], entry["longitude"])
            if commune is None:
                raise ValueError(f"{entry['slug']}: outside ALM")
            PlaceKind(entry["kind"])  # refuse a fixture with an unknown kind or offer
            offers = sorted(Offer(o).value for o in entry["offers"])
            session.add(
                HelpPlace(
                    slug=entry["slug"],
                    name=entry["name"],
                    kind=entry["kind"],
                    body_code=entry["body"],
                    commune_code=commune,
                    address=entry["address"],
                    latitude=entry["latitude"],
                    longitude=entry["longitude"],
                    offers=" ".join(offers),
                    languages=" ".join(entry["languages"]),
                    phone=entry["phone"],
                    email=entry["email"],
                    booking_url=entry["booking_url"],
                    website=entry["website"],
                    hours=parse_hours(entry["hours"]).to_json(),
                    example=True,
                    updated_at=now,
                )
            )
            added += 1
    return added
