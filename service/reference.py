"""Reference data held in memory: communes, bodies, categories, competence overrides, routes,
the service catalogue.

Every request reads it and administrators change it rarely, so each process keeps a snapshot,
loaded at start-up and replaced whole (never mutated) when it changes: after `load-fixtures`
and, with the staff stage, after an administrator's edit. Lookups are dictionary reads — no
SQL statement and no awaitable per field. Boundaries feed the commune locator.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.routing.models import (
    Category,
    CategoryGroup,
    CompetenceOverride,
    DueTarget,
    Route,
)
from service.service_requests.catalogue import ServiceCatalogue, load_service_catalogue
from service.territory.geometry import CommuneLocator
from service.territory.models import Body, BodyKind, Commune, CommuneBoundary
from service.territory.rules import name_sort_key


@dataclass(frozen=True)
class ReferenceData:
    communes: dict[str, Commune] = field(default_factory=dict)
    bodies: dict[str, Body] = field(default_factory=dict)
    town_halls: dict[str, Body] = field(default_factory=dict)  # by commune code
    groups: dict[str, CategoryGroup] = field(default_factory=dict)
    categories: dict[str, Category] = field(default_factory=dict)
    # Newest effective date first, per (category, commune).
    overrides: dict[tuple[str, str], list[CompetenceOverride]] = field(default_factory=dict)
    # The active route of each body (the lowest id when several are active).
    routes: dict[str, Route] = field(default_factory=dict)
    # Services residents may request, with their typed questions and availability.
    services: ServiceCatalogue = field(default_factory=ServiceCatalogue)
    # Target times in hours, by (subject, code, body code); body code "" is ALM's default.
    due_targets: dict[tuple[str, str, str], int] = field(default_factory=dict)
    locator: CommuneLocator = field(
        default_factory=lambda: CommuneLocator.from_geojson({"features": []})
    )

    def communes_by_name(self) -> list[Commune]:
        return sorted(self.communes.values(), key=lambda c: name_sort_key(c.name))

    def bodies_in_order(self) -> list[Body]:
        """ALM first, then its directorates, town halls, operators; by name within each."""
        kind_order = {kind.value: position for position, kind in enumerate(BodyKind)}
        return sorted(
            self.bodies.values(), key=lambda b: (kind_order[b.kind], name_sort_key(b.name))
        )

    def categories_in_order(self) -> list[Category]:
        group_order = {code: group.position for code, group in self.groups.items()}
        return sorted(
            self.categories.values(), key=lambda c: (group_order.get(c.group_code, 0), c.position)
        )

    def groups_in_order(self) -> list[CategoryGroup]:
        return sorted(self.groups.values(), key=lambda g: g.position)


async def load_reference_data(session: AsyncSession) -> ReferenceData:
    """Read every reference table once (a handful of statements, whatever their size)."""

    async def all_of(model: type) -> list:  # type: ignore[type-arg]
        return list((await session.exec(select(model))).all())

    communes = await all_of(Commune)
    bodies = await all_of(Body)
    overrides: dict[tuple[str, str], list[CompetenceOverride]] = defaultdict(list)
    for override in sorted(
        await all_of(CompetenceOverride), key=lambda o: o.effective_from, reverse=True
    ):
        overrides[(override.category_code, override.commune_code)].append(override)
    routes: dict[str, Route] = {}
    active = select(Route).where(col(Route.active).is_(True)).order_by(col(Route.id))
    for route in (await session.exec(active)).all():
        routes.setdefault(route.body_code, route)
    boundaries = await all_of(CommuneBoundary)
    locator = CommuneLocator.from_geojson(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"code": b.commune_code},
                    "geometry": json.loads(b.geometry),
                }
                for b in boundaries
            ],
        }
    )
    return ReferenceData(
        communes={c.code: c for c in communes},
        bodies={b.code: b for b in bodies},
        town_halls={
            b.commune_code: b for b in bodies if b.kind == BodyKind.COMMUNE.value and b.commune_code
        },
        groups={g.code: g for g in await all_of(CategoryGroup)},
        categories={c.code: c for c in await all_of(Category)},
        overrides=dict(overrides),
        routes=routes,
        services=await load_service_catalogue(session),
        due_targets={(t.subject, t.code, t.body_code): t.hours for t in await all_of(DueTarget)},
        locator=locator,
    )
