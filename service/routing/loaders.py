"""DataLoaders of routing, created per request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.dataloader import DataLoader

from service.db import Database
from service.routing.models import Category, CategoryGroup
from service.territory.loaders import keyed_loader


async def categories_by_code(session: AsyncSession, codes: Sequence[str]) -> dict[str, Category]:
    statement = select(Category).where(col(Category.code).in_(codes))
    return {c.code: c for c in (await session.exec(statement)).all()}


async def groups_by_code(session: AsyncSession, codes: Sequence[str]) -> dict[str, CategoryGroup]:
    statement = select(CategoryGroup).where(col(CategoryGroup.code).in_(codes))
    return {g.code: g for g in (await session.exec(statement)).all()}


@dataclass(frozen=True)
class RoutingLoaders:
    categories: DataLoader[str, Category | None]
    groups: DataLoader[str, CategoryGroup | None]

    @classmethod
    def create(cls, db: Database) -> RoutingLoaders:
        return cls(
            categories=keyed_loader(db, categories_by_code),
            groups=keyed_loader(db, groups_by_code),
        )
