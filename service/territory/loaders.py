"""DataLoaders of the territory, created per request (never shared between requests)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.dataloader import DataLoader

from service.db import Database
from service.territory import rules
from service.territory.models import Body, Commune

T = TypeVar("T")


def keyed_loader(
    db: Database, fetch: Callable[[AsyncSession, Sequence[str]], Awaitable[Mapping[str, T]]]
) -> DataLoader[str, T | None]:
    """A loader running ``fetch`` once per batch of keys, in its own short read session."""

    async def load(keys: list[str]) -> list[T | None]:
        async with db.reading() as session:
            found = await fetch(session, keys)
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


@dataclass(frozen=True)
class TerritoryLoaders:
    communes: DataLoader[str, Commune | None]
    bodies: DataLoader[str, Body | None]
    town_halls: DataLoader[str, Body | None]

    @classmethod
    def create(cls, db: Database) -> TerritoryLoaders:
        return cls(
            communes=keyed_loader(db, rules.communes_by_code),
            bodies=keyed_loader(db, rules.bodies_by_code),
            town_halls=keyed_loader(db, rules.town_halls_by_commune),
        )
