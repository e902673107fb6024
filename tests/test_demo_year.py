"""The demo's year of examples: deterministic, idempotent, and enough for the dashboard to show
figures for Angers and for the whole metropole, not withheld cells."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select

from service.context import Services
from service.demo_year import SCOPE, plan_year, seed_demo_year
from service.items.models import Item
from service.sensors.demo import load_demo_sensors
from tests.web.test_dashboard import tables

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 11, 20, 10, tzinfo=UTC)


async def test_the_same_seed_and_day_plan_the_same_rows(services: Services) -> None:
    # when
    first = plan_year(services.reference, NOW, 500, 7, random.Random(7))
    again = plan_year(services.reference, NOW, 500, 7, random.Random(7))
    other = plan_year(services.reference, NOW, 500, 8, random.Random(8))
    # then
    assert first == again
    assert first != other
    rows, _ = first
    assert {row["idempotency_scope"] for row in rows} == {SCOPE}
    assert all(row["description"].startswith("Exemple") for row in rows)
    assert all(row["created_at"] < NOW for row in rows)


async def test_the_demo_year_makes_the_dashboard_show_figures_for_angers_and_alm(
    fresh_services: Services, fresh_client: httpx.AsyncClient
) -> None:
    # given the demo's example sensors
    await load_demo_sensors(fresh_services, NOW)
    # when (its time is printed by `serve --demo`: about 11 s here, not asserted in a test)
    seeded = await seed_demo_year(fresh_services, NOW)
    again = await seed_demo_year(fresh_services, NOW)
    # then
    assert seeded.items == 9_000 and seeded.opinions > 0
    assert again.items == 0  # idempotent
    async with fresh_services.db.reading() as session:
        communes = (
            await session.exec(  # type: ignore[call-overload]
                select(func.count(func.distinct(Item.commune_code))).where(
                    Item.idempotency_scope == SCOPE
                )
            )
        ).scalar()
    assert communes == 29
    for commune in ("", "49007"):
        response = await fresh_client.get(
            "/tableau-de-bord",
            params={"periode": "custom", "du": "2025-12-01", "au": "2026-10-31",
                    "commune": commune, "lang": "fr"},
        )  # fmt: skip
        assert response.status_code == 200
        found = tables(response.text)
        for name in ("table-series", "table-kind", "table-satisfaction", "table-assisted"):
            cells = [cell for row in found[name] for cell in row[1:]]
            assert cells and all(cell not in ("", "—") for cell in cells), (commune, name)
