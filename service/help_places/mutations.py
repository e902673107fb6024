"""The directory's mutations: staff keep their body's places, ALM's administrators all."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.errors import DomainError, ValidationFailed
from service.help_places import keeping, national, rules
from service.help_places.hours import parse_hours
from service.help_places.models import Offer, PlaceKind
from service.help_places.queries import errors_of
from service.help_places.types import HelpPlaceError, HelpPlaceType
from service.staff import triage
from service.staff.permissions import ITEM_WRITE


@strawberry.input(description="A help place as its keeper writes it (replaces it whole).")
class HelpPlaceSaveInput:
    slug: strawberry.ID = strawberry.field(
        description="Its stable code: 1 to 80 lower-case letters, digits or dashes. A new code "
        "creates the place."
    )
    name: str = strawberry.field(description="Its name (200 characters).")
    kind: PlaceKind = strawberry.field(description="What kind of place it is.")
    address: str = strawberry.field(description="Its postal address (300 characters).")
    latitude: float = strawberry.field(description="Latitude (WGS 84); the commune follows.")
    longitude: float = strawberry.field(description="Longitude (WGS 84).")
    hours: str = strawberry.field(
        description='Opening hours as JSON: {"week": {"mon": [["09:00", "12:00"]], …}, '
        '"exceptions": [{"date": "2026-12-24", "periods": [], "note": "…"}], '
        '"closedOnPublicHolidays": true}. Times of Angers.'
    )
    offers: list[Offer] = strawberry.field(description="What one finds there.")
    languages: list[str] = strawberry.field(
        default_factory=list, description="Languages help is given in: fr, en, es, de, ar."
    )
    phone: str | None = strawberry.field(default=None, description="The service's phone.")
    email: str | None = strawberry.field(default=None, description="The service's mailbox.")
    booking_url: str | None = strawberry.field(default=None, description="https:// booking.")
    website: str | None = strawberry.field(default=None, description="https:// web page.")
    kept_by: str | None = strawberry.field(
        default=None,
        description="The body that keeps it (one in my scope; any for ALM's administrators). "
        "Default: who kept it, else my body.",
    )


@strawberry.type(description="The place saved or deleted, or why not.")
class HelpPlacePayload:
    place: HelpPlaceType | None = strawberry.field(description="Null on errors and deletion.")
    errors: list[HelpPlaceError] = strawberry.field(description="Empty on success.")


@strawberry.type(description="A row of an imported file that was not imported, and why.")
class HelpPlaceImportProblem:
    line: int = strawberry.field(description="Its line in the file (the header is line 1).")
    field: str | None = strawberry.field(description="The column or field at fault.")
    message: str = strawberry.field(description="Why, in the caller's language.")


@strawberry.type(description="What an import did: places added and replaced, rows refused.")
class HelpPlacesImportPayload:
    added: int = strawberry.field(description="Places added.")
    updated: int = strawberry.field(description="Places replaced (same `id`).")
    problems: list[HelpPlaceImportProblem] = strawberry.field(
        description="Rows not imported, each with its line and reason (nothing of them is written)."
    )
    errors: list[HelpPlaceError] = strawberry.field(description="Why nothing was imported.")


@strawberry.type
class HelpPlaceMutation:
    @strawberry.mutation(
        description="Create or replace a help place my body keeps (agents, supervisors, "
        "admins; ALM's administrators: any place). Audited.",
        metadata=field_access.staff(ITEM_WRITE),
    )
    async def help_place_save(
        self,
        info: Info[Context, None],
        input: Annotated[  # the argument's public name
            HelpPlaceSaveInput, strawberry.argument(description="The place.")
        ],
    ) -> HelpPlacePayload:
        context = info.context
        entry = rules.PlaceInput(
            slug=str(input.slug),
            name=input.name,
            kind=PlaceKind(input.kind).value,
            address=input.address,
            latitude=input.latitude,
            longitude=input.longitude,
            hours=input.hours,
            offers=tuple(Offer(o).value for o in input.offers),
            languages=tuple(input.languages),
            phone=input.phone,
            email=input.email,
            booking_url=input.booking_url,
            website=input.website,
            body_code=input.kept_by,
        )
        try:
            place = await keeping.save_audited(
                context.db, context.caller.staff, entry, context.reference, context.now
            )
        except ValidationFailed as failed:
            return HelpPlacePayload(place=None, errors=errors_of(failed.errors, info))
        except DomainError as error:
            return HelpPlacePayload(place=None, errors=errors_of([error], info))
        found = rules.Found(place, parse_hours(place.hours))
        view = HelpPlaceType.from_found(found, context.translator, context.reference, context.now)
        return HelpPlacePayload(place=view, errors=[])

    @strawberry.mutation(
        description="Delete a help place my body keeps. Audited.",
        metadata=field_access.staff(ITEM_WRITE),
    )
    async def help_place_delete(
        self,
        info: Info[Context, None],
        slug: Annotated[strawberry.ID, strawberry.argument(description="Its code.")],
    ) -> HelpPlacePayload:
        context = info.context
        try:
            await keeping.delete_audited(
                context.db, context.caller.staff, str(slug), context.reference, context.now
            )
        except DomainError as error:
            return HelpPlacePayload(place=None, errors=errors_of([error], info))
        return HelpPlacePayload(place=None, errors=[])

    @strawberry.mutation(
        description="Import a CSV in the national schema of the places of digital mediation "
        "(« lieux de médiation numérique »): valid rows are added or replace the place of the "
        "same `id`, kept by my body (or `keptBy`); invalid rows are reported by line. Audited.",
        metadata=field_access.staff(ITEM_WRITE),
    )
    async def help_places_import(
        self,
        info: Info[Context, None],
        csv: Annotated[str, strawberry.argument(description="The file's text (UTF-8 CSV).")],
        kept_by: Annotated[
            str | None, strawberry.argument(description="The body that keeps the places.")
        ] = None,
    ) -> HelpPlacesImportPayload:
        context = info.context
        translator = context.translator
        try:
            async with context.db.writing() as session:
                report = await national.import_csv(
                    session, context.caller.staff, csv, context.reference, context.now, kept_by
                )
                identity = context.caller.staff
                assert identity is not None  # narrowing: the rule refused anyone else
                detail = f"added {report.added}, updated {report.updated}"
                triage.audit(session, identity, "help_places_imported", None, context.now, detail)
        except DomainError as error:
            return HelpPlacesImportPayload(
                added=0, updated=0, problems=[], errors=errors_of([error], info)
            )
        return HelpPlacesImportPayload(
            added=report.added,
            updated=report.updated,
            problems=[
                HelpPlaceImportProblem(
                    line=p.line, field=p.field, message=translator.gettext(p.reason, **p.params)
                )
                for p in report.problems
            ],
            errors=[],
        )
