"""Which body handles an item, and how it receives it.

point → commune (territory) → category → competence (the category's default, or the commune's
override in force that day) → body → route. A body without an active route still gets the
item: it waits in its triage queue, counted as unrouted. Differences between communes are rows
in ``competence_override``, never code.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.errors import N_, DomainError
from service.items.models import DeliveryState
from service.privacy.crypto import FieldCipher
from service.privacy.signing_secrets import ROUTE_SECRET_COLUMN, seal_secret
from service.reference import ReferenceData
from service.routing.errors import RoutingErrorCode
from service.routing.models import (
    Category,
    CategoryGroup,
    Competence,
    CompetenceOverride,
    DueSubject,
    DueTarget,
    Route,
    RouteKind,
)


@dataclass(frozen=True)
class RoutingDecision:
    competence: Competence
    body_code: str
    route: Route | None
    reason: str  # for staff and the audit trail: which rule applied

    @property
    def delivery_state(self) -> DeliveryState:
        if self.route is None:
            return DeliveryState.UNROUTED
        if self.route.kind == RouteKind.TRIAGE.value:
            return DeliveryState.TRIAGE
        return DeliveryState.PENDING


class Routable(Protocol):
    """What routing needs to know of a category or a service."""

    @property
    def code(self) -> str: ...

    @property
    def competence(self) -> str: ...

    @property
    def metropole_body_code(self) -> str | None: ...


def unknown_category(category_code: str) -> DomainError:
    return DomainError(
        RoutingErrorCode.UNKNOWN_CATEGORY,
        N_("There is no category %(category)s."),
        field="categoryCode",
        category=category_code,
    )


def route_item(
    reference: ReferenceData, *, commune_code: str, category: Routable, today: date
) -> RoutingDecision:
    """Decide the body and route of an item in ``commune_code`` of ``category``."""
    override = next(
        (
            o
            for o in reference.overrides.get((category.code, commune_code), [])
            if o.effective_from <= today
        ),
        None,
    )
    if override is not None:
        competence = Competence(override.competence)
        rule = f"override from {override.effective_from.isoformat()} in {commune_code}"
    else:
        competence = Competence(category.competence)
        rule = "category default"
    body_code = _competent_body(reference, competence, category, commune_code, override)
    route = reference.routes.get(body_code)
    how = route.kind if route else "none (unrouted: kept in the body's triage queue)"
    reason = f"{category.code}: {competence.value} by {rule} -> {body_code}; route {how}"
    return RoutingDecision(competence, body_code, route, reason)


def _competent_body(
    reference: ReferenceData,
    competence: Competence,
    category: Routable,
    commune_code: str,
    override: CompetenceOverride | None,
) -> str:
    if override is not None and override.body_code:
        return override.body_code
    if competence is Competence.METROPOLE:
        return category.metropole_body_code or "alm"
    town_hall = reference.town_halls.get(commune_code)
    # Every commune has a town hall in the fixtures; ALM is the safe fallback, never a drop.
    return town_hall.code if town_hall else "alm"


def catalog_version(entries: list[tuple[str, ...]]) -> str:
    """A short fingerprint of what the picker shows (codes, translated labels, order)."""
    digest = hashlib.sha256()
    for entry in entries:
        digest.update("\x1f".join(entry).encode() + b"\x1e")
    return digest.hexdigest()[:16]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


async def load_routing_fixtures(session: AsyncSession, fixtures_dir: Path) -> dict[str, int]:
    """Insert or update category groups, categories, overrides and routes (idempotent)."""
    folder = fixtures_dir / "routing"
    groups = _rows(folder / "category_groups.csv")
    for row in groups:
        await session.merge(
            CategoryGroup(code=row["code"], label=row["label"], position=int(row["position"]))
        )
    await session.flush()
    categories = _rows(folder / "categories.csv")
    for row in categories:
        Competence(row["competence"])  # refuse an unknown competence
        await session.merge(
            Category(
                code=row["code"],
                group_code=row["group_code"],
                label=row["label"],
                competence=row["competence"],
                metropole_body_code=row["metropole_body_code"] or None,
                position=int(row["position"]),
            )
        )
    await session.flush()
    overrides = _rows(folder / "competence_overrides.csv")
    for row in overrides:
        effective = date.fromisoformat(row["effective_from"])
        existing = (
            await session.exec(
                select(CompetenceOverride).where(
                    CompetenceOverride.category_code == row["category_code"],
                    CompetenceOverride.commune_code == row["commune_code"],
                    CompetenceOverride.effective_from == effective,
                )
            )
        ).first() or CompetenceOverride(
            category_code=row["category_code"],
            commune_code=row["commune_code"],
            competence=row["competence"],
            effective_from=effective,
        )
        existing.competence = Competence(row["competence"]).value
        existing.body_code = row["body_code"] or None
        session.add(existing)
    routes = _rows(folder / "routes.csv")
    for row in routes:
        kind = RouteKind(row["kind"]).value
        existing_route = (
            await session.exec(
                select(Route).where(Route.body_code == row["body_code"], Route.kind == kind)
            )
        ).first() or Route(body_code=row["body_code"], kind=kind)
        existing_route.url = row["url"] or None
        existing_route.email = row["email"] or None
        session.add(existing_route)
    await session.flush()
    targets = _rows(folder / "due_targets.csv")
    for row in targets:
        subject = DueSubject(row["subject"]).value  # refuse an unknown subject
        hours = int(row["hours"])
        if hours <= 0:
            raise ValueError(f"due_targets.csv: {row['code']}: hours must be positive")
        existing_target = (
            await session.exec(
                select(DueTarget).where(
                    DueTarget.subject == subject,
                    DueTarget.code == row["code"],
                    DueTarget.body_code == (row["body_code"] or ""),
                )
            )
        ).first() or DueTarget(
            subject=subject, code=row["code"], body_code=row["body_code"] or "", hours=hours
        )
        existing_target.hours = hours
        session.add(existing_target)
    await session.flush()
    return {
        "due targets": len(targets),
        "category groups": len(groups),
        "categories": len(categories),
        "competence overrides": len(overrides),
        "routes": len(routes),
    }


def set_signing_secret(route: Route, secret: str, cipher: FieldCipher) -> None:
    """Give a webhook route the secret it shares with its receiver, encrypted at rest."""
    sealed = seal_secret(secret, ROUTE_SECRET_COLUMN, cipher)
    route.signing_secret, route.signing_secret_key_id = sealed.value, sealed.key_id
