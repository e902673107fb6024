"""The directory's queries: public, the same answer for every anonymous caller."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.errors import DomainError, ValidationFailed
from service.help_places import rules
from service.help_places.errors import HelpPlaceErrorCode
from service.help_places.hours import ANGERS, parse_hours
from service.help_places.models import Offer
from service.help_places.types import HelpPlaceError, HelpPlaceType
from service.schema_support import payload_errors

MAX_FIRST = 100


@strawberry.input(description="A point (WGS 84).")
class HelpPlacePoint:
    latitude: float = strawberry.field(description="Latitude.")
    longitude: float = strawberry.field(description="Longitude.")


@strawberry.type(description="The places that answer the question, or why it was refused.")
class HelpPlacesResult:
    places: list[HelpPlaceType] = strawberry.field(
        description="Nearest first when `near` is given, else by commune and name."
    )
    errors: list[HelpPlaceError] = strawberry.field(description="Empty on success.")


def errors_of(errors: list[DomainError], info: Info[Context, None]) -> list[HelpPlaceError]:
    return payload_errors(errors, info.context.translator, HelpPlaceError, HelpPlaceErrorCode)


@strawberry.type
class HelpPlaceQuery:
    @strawberry.field(
        description="The places that help residents with digital procedures (town halls, "
        "CCAS, France Services, libraries, associations, third places): near a point, in a "
        "commune, offering something, open at a given time.",
        metadata=field_access.public(cacheable=True),
    )
    async def help_places(
        self,
        info: Info[Context, None],
        near: Annotated[
            HelpPlacePoint | None, strawberry.argument(description="Nearest first from here.")
        ] = None,
        radius_meters: Annotated[
            int, strawberry.argument(description="With `near`: how far, 1 to 50,000 metres.")
        ] = 10_000,
        commune: Annotated[
            str | None, strawberry.argument(description="Only this commune (INSEE code).")
        ] = None,
        offers: Annotated[
            list[Offer] | None,
            strawberry.argument(description="Only places offering all of these."),
        ] = None,
        open_at: Annotated[
            datetime | None,
            strawberry.argument(
                description="Only places open at this time (without an offset: in Angers)."
            ),
        ] = None,
        first: Annotated[
            int, strawberry.argument(description="At most this many (1 to 100).")
        ] = 50,
    ) -> HelpPlacesResult:
        context = info.context
        search = rules.Search(
            commune=commune,
            near=(near.latitude, near.longitude) if near else None,
            radius_meters=radius_meters,
            offers=frozenset(Offer(o).value for o in offers or []),
            # A time without its offset is one of Angers.
            open_at=open_at
            if open_at is None or open_at.tzinfo
            else open_at.replace(tzinfo=ANGERS),
            first=max(1, min(first, MAX_FIRST)),
        )
        try:
            async with context.db.reading() as session:
                found = await rules.places(session, search, context.reference)
        except ValidationFailed as failed:
            return HelpPlacesResult(places=[], errors=errors_of(failed.errors, info))
        now = context.now
        return HelpPlacesResult(
            places=[
                HelpPlaceType.from_found(f, context.translator, context.reference, now)
                for f in found
            ],
            errors=[],
        )

    @strawberry.field(
        description="One help place by its code; null when there is none.",
        metadata=field_access.public(cacheable=True),
    )
    async def help_place(
        self,
        info: Info[Context, None],
        slug: Annotated[strawberry.ID, strawberry.argument(description="Its code.")],
    ) -> HelpPlaceType | None:
        context = info.context
        async with context.db.reading() as session:
            place = await rules.find(session, str(slug))
        if place is None:
            return None
        found = rules.Found(place, parse_hours(place.hours))
        return HelpPlaceType.from_found(found, context.translator, context.reference, context.now)
