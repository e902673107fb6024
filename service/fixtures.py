"""Load the reference data of ``fixtures/`` into the database, domain by domain."""

from __future__ import annotations

from sqlmodel import select

from service.db import Database
from service.routing.rules import load_routing_fixtures
from service.sensors.rules import load_dtpr_fixtures
from service.service_requests.catalogue import load_service_fixtures
from service.settings import Settings
from service.territory.models import Commune
from service.territory.rules import load_territory_fixtures


async def load_fixtures(settings: Settings, db: Database) -> dict[str, int]:
    """Insert or update every domain's reference data; returns counts per table."""
    counts: dict[str, int] = {}
    async with db.writing() as session:
        counts.update(await load_territory_fixtures(session, settings.fixtures_dir))
        counts.update(await load_routing_fixtures(session, settings.fixtures_dir))
        counts.update(await load_dtpr_fixtures(session, settings.fixtures_dir))
        communes = [c.code for c in (await session.exec(select(Commune))).all()]
        counts.update(await load_service_fixtures(session, settings.fixtures_dir, communes))
    return counts
