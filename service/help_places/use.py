"""Measuring the need: the help place an assisted submission was made at, and how many items
each place's agents submitted, per channel (for the communes that fund the help).

An agent names the place (optional); it is kept beside the item (``item_help_place``), in the
submission's own transaction. The counts are published k-anonymously by ``service.trends``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from service.errors import N_, DomainError
from service.help_places.errors import HelpPlaceErrorCode
from service.help_places.models import HelpPlace, ItemHelpPlace
from service.items.models import Item
from service.items.submission import StoreExtra


def unknown_place(field: str = "helpPlace") -> DomainError:
    return DomainError(
        HelpPlaceErrorCode.UNKNOWN_HELP_PLACE,
        N_("This help place is not in the directory."),
        field=field,
    )


async def place_named(
    session: AsyncSession, slug: str | None, field: str = "helpPlace"
) -> HelpPlace | None:
    """The place an agent named (None when they named none); UNKNOWN_HELP_PLACE otherwise."""
    if slug is None or not slug.strip():
        return None
    found = await session.exec(  # type: ignore[call-overload]
        select(HelpPlace).where(col(HelpPlace.slug) == slug.strip().lower())
    )
    place: HelpPlace | None = found.scalars().first()
    if place is None:
        raise unknown_place(field)
    return place


async def all_places(session: AsyncSession) -> list[HelpPlace]:
    found = await session.exec(select(HelpPlace))  # type: ignore[call-overload]
    return list(found.scalars().all())


def recording(place: HelpPlace | None, *others: StoreExtra | None) -> StoreExtra | None:
    """A submission's ``store_extra``: the others' (photos), then the place the item was made
    at; None when there is nothing to store."""
    steps = [step for step in others if step is not None]
    place_id = place.id if place is not None else None
    if place_id is None and not steps:
        return None

    async def store(session: AsyncSession, item: Item) -> None:
        for step in steps:
            await step(session, item)
        if place_id is not None and item.id is not None:
            session.add(ItemHelpPlace(item_id=item.id, place_id=place_id))
            await session.flush()

    return store


async def place_of_item(session: AsyncSession, item_id: int) -> HelpPlace | None:
    found = await session.exec(  # type: ignore[call-overload]
        select(HelpPlace)
        .join(ItemHelpPlace, col(ItemHelpPlace.place_id) == col(HelpPlace.id))
        .where(col(ItemHelpPlace.item_id) == item_id)
    )
    place: HelpPlace | None = found.scalars().first()
    return place


# (place slug, "" when it left the directory; the place's commune, else the item's; the
# item's commune; channel)
PlacedKey = tuple[str, str, str, str]


async def items_made_at_places(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    channels: Iterable[str],
) -> dict[PlacedKey, int]:
    """Items submitted in [start, end) through the given channels at a help place, by place
    and channel. Reads ``item_help_place`` (assisted items only) and their items by key."""
    slug = func.coalesce(col(HelpPlace.slug), "")
    commune = func.coalesce(col(HelpPlace.commune_code), col(Item.commune_code))
    query = (
        select(slug, commune, col(Item.commune_code), col(Item.channel), func.count())
        .select_from(ItemHelpPlace)
        .join(Item, col(Item.id) == col(ItemHelpPlace.item_id))
        .outerjoin(HelpPlace, col(HelpPlace.id) == col(ItemHelpPlace.place_id))
        .where(
            col(Item.created_at) >= start,
            col(Item.created_at) < end,
            col(Item.channel).in_(list(channels)),
        )
        .group_by(slug, commune, col(Item.commune_code), col(Item.channel))
    )
    rows = await session.exec(query)  # type: ignore[call-overload]
    return {(s, c, ic, ch): int(n) for s, c, ic, ch, n in rows.all()}
