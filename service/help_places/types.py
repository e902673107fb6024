"""The directory in GraphQL: a place as the public reads it, its hours, the errors."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from service.help_places import display
from service.help_places.errors import HelpPlaceErrorCode
from service.help_places.hours import ANGERS, OpeningHours
from service.help_places.models import Offer, PlaceKind
from service.help_places.rules import Found
from service.i18n.translator import Translator
from service.items.rules import as_utc
from service.reference import ReferenceData
from service.schema_support import described_enum

UPCOMING_EXCEPTIONS = 10

described_enum(
    HelpPlaceErrorCode,
    name="HelpPlaceErrorCode",
    description="Why a question to, or a change of, the directory of help places was refused.",
    values={
        HelpPlaceErrorCode.NOT_AUTHENTICATED: "Staff only: log in first.",
        HelpPlaceErrorCode.FORBIDDEN: "This staff member does not keep that place.",
        HelpPlaceErrorCode.NOT_FOUND: "No place has this code.",
        HelpPlaceErrorCode.INVALID_SLUG: "The code is not 1-80 lower-case letters, digits, dashes.",
        HelpPlaceErrorCode.TEXT_REQUIRED: "A required text is empty.",
        HelpPlaceErrorCode.TEXT_TOO_LONG: "A text is too long.",
        HelpPlaceErrorCode.INVALID_TEXT: "A text holds a refused character.",
        HelpPlaceErrorCode.UNKNOWN_HELP_PLACE: "No help place of the directory has this slug.",
        HelpPlaceErrorCode.UNKNOWN_KIND: "The kind of place is not known.",
        HelpPlaceErrorCode.UNKNOWN_OFFER: "An offer is not known.",
        HelpPlaceErrorCode.UNSUPPORTED_LANGUAGE: "A language is not one of the service's.",
        HelpPlaceErrorCode.LATITUDE_OUT_OF_RANGE: "The latitude is not between -90 and 90.",
        HelpPlaceErrorCode.LONGITUDE_OUT_OF_RANGE: "The longitude is not between -180 and 180.",
        HelpPlaceErrorCode.OUTSIDE_ALM: "The point is outside the 29 communes of ALM.",
        HelpPlaceErrorCode.UNKNOWN_COMMUNE: "No commune of ALM has this INSEE code.",
        HelpPlaceErrorCode.UNKNOWN_BODY: "No body has this code.",
        HelpPlaceErrorCode.INVALID_HOURS: "The opening hours cannot be read (the message says "
        "why).",
        HelpPlaceErrorCode.INVALID_CONTACT: "A phone, e-mail or link is not a valid one.",
        HelpPlaceErrorCode.INVALID_RADIUS: "The radius is not within 1 m and 50 km.",
    },
)
described_enum(
    PlaceKind,
    name="HelpPlaceKind",
    description="What kind of place helps.",
    values={
        PlaceKind.TOWN_HALL: "A town hall's own agents.",
        PlaceKind.CCAS: "A commune's social action centre (CCAS).",
        PlaceKind.FRANCE_SERVICES: "A France Services house.",
        PlaceKind.LIBRARY: "A library or media library.",
        PlaceKind.ASSOCIATION: "An association.",
        PlaceKind.THIRD_PLACE: "A third place (tiers-lieu).",
        PlaceKind.SOCIAL_CENTRE: "A social or community centre.",
    },
)
described_enum(
    Offer,
    name="HelpOffer",
    description="What a resident finds at a help place.",
    values={
        Offer.FREE_COMPUTER: "A computer to use for free.",
        Offer.WIFI: "Free Wi-Fi.",
        Offer.DIGITAL_MEDIATOR: "A digital mediator.",
        Offer.PROCEDURE_HELP: "Someone helps with an online procedure.",
        Offer.PRINTING: "Printing and scanning.",
        Offer.LANGUAGE_HELP: "Help in the languages listed in `languages`.",
        Offer.REDUCED_MOBILITY: "Accessible to people with reduced mobility.",
    },
)


@strawberry.type(description="Why a question to, or a change of, the directory was refused.")
class HelpPlaceError:
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    message: str = strawberry.field(description="What went wrong, in the caller's language.")
    code: HelpPlaceErrorCode = strawberry.field(description="Stable code for programs.")


@strawberry.type(description="One opening period, in the wall-clock time of Angers.")
class HelpPeriod:
    opens: str = strawberry.field(description="HH:MM.")
    closes: str = strawberry.field(description="HH:MM (after `opens`).")


@strawberry.type(description="One day of the usual week.")
class HelpPlaceDay:
    weekday: int = strawberry.field(description="1 is Monday … 7 is Sunday (ISO 8601).")
    label: str = strawberry.field(description="The day, abbreviated in the caller's language.")
    text: str = strawberry.field(description="The periods formatted for the caller, or closed.")
    periods: list[HelpPeriod] = strawberry.field(description="Empty: closed that day.")


@strawberry.type(description="A day that differs from the usual week (or a public holiday).")
class HelpPlaceException:
    date: date = strawberry.field(description="The day.")
    periods: list[HelpPeriod] = strawberry.field(description="Empty: closed that day.")
    text: str = strawberry.field(description="The periods formatted for the caller, or closed.")
    note: str = strawberry.field(description="Why, as the keeper wrote it (may be empty).")


def _periods(periods: tuple[tuple[object, object], ...]) -> list[HelpPeriod]:
    return [
        HelpPeriod(opens=o.strftime("%H:%M"), closes=c.strftime("%H:%M"))  # type: ignore[attr-defined]
        for o, c in periods
    ]


def upcoming_exceptions(
    hours: OpeningHours, translator: Translator, today: date
) -> list[HelpPlaceException]:
    return [
        HelpPlaceException(
            date=line.day, periods=_periods(line.periods), text=line.text, note=line.note
        )
        for line in display.upcoming(hours, translator, today, UPCOMING_EXCEPTIONS)
    ]


@strawberry.type(name="HelpPlace", description="A place that helps with digital procedures.")
class HelpPlaceType:
    slug: strawberry.ID = strawberry.field(description="Its stable code.")
    name: str = strawberry.field(description="Its name.")
    kind: PlaceKind = strawberry.field(description="What kind of place it is.")
    kind_label: str = strawberry.field(description="The kind, in the caller's language.")
    address: str = strawberry.field(description="Its postal address.")
    commune_code: str = strawberry.field(description="INSEE code of its commune (from the point).")
    commune_name: str = strawberry.field(description="Its commune's name.")
    latitude: float = strawberry.field(description="Latitude (WGS 84).")
    longitude: float = strawberry.field(description="Longitude (WGS 84).")
    offers: list[Offer] = strawberry.field(description="What one finds there.")
    offer_labels: list[str] = strawberry.field(description="The offers, in the caller's language.")
    languages: list[str] = strawberry.field(description="Languages help is given in (codes).")
    phone: str | None = strawberry.field(description="The service's professional phone.")
    email: str | None = strawberry.field(description="The service's professional e-mail.")
    booking_url: str | None = strawberry.field(description="Where to book an appointment.")
    website: str | None = strawberry.field(description="Its web page.")
    kept_by: str = strawberry.field(description="Code of the body that keeps this entry.")
    is_example: bool = strawberry.field(description="An invented place of the demo.")
    updated_at: datetime = strawberry.field(description="When the entry last changed (UTC).")
    hours: str = strawberry.field(
        description="The opening hours as JSON (the format `helpPlaceSave` takes)."
    )
    open_now: bool = strawberry.field(description="Open at the time of the request (Angers).")
    next_opening: datetime | None = strawberry.field(
        description="When it next opens, within a month (null: open now, or not within a month)."
    )
    status_text: str = strawberry.field(
        description="« Open now, until 12:00 » or « Closed now; opens … », in the caller's "
        "language."
    )
    week: list[HelpPlaceDay] = strawberry.field(description="The usual week, Monday first.")
    exceptions: list[HelpPlaceException] = strawberry.field(
        description="The next days (a month ahead, at most 10) that differ from the week."
    )
    distance_meters: int | None = strawberry.field(
        description="Distance from the point asked about, when one was."
    )

    @classmethod
    def from_found(
        cls, found: Found, translator: Translator, reference: ReferenceData, now: datetime
    ) -> HelpPlaceType:
        place, hours = found.place, found.hours
        today = now.astimezone(ANGERS).date()
        open_now, status = display.status_text(hours, translator, now)
        commune = reference.communes.get(place.commune_code)
        known = {o.value: o for o in Offer}
        return cls(
            slug=strawberry.ID(place.slug),
            name=place.name,
            kind=PlaceKind(place.kind),
            kind_label=display.kind_label(place.kind, translator),
            address=place.address,
            commune_code=place.commune_code,
            commune_name=commune.name if commune else "",
            latitude=place.latitude,
            longitude=place.longitude,
            offers=[known[o] for o in place.offers.split() if o in known],
            offer_labels=display.offer_labels(place.offers, translator),
            languages=place.languages.split(),
            phone=place.phone,
            email=place.email,
            booking_url=place.booking_url,
            website=place.website,
            kept_by=place.body_code,
            is_example=place.example,
            updated_at=as_utc(place.updated_at),
            hours=place.hours,
            open_now=open_now,
            next_opening=None if open_now else hours.next_opening(now),
            status_text=status,
            week=[
                HelpPlaceDay(
                    weekday=line.weekday + 1,
                    label=line.label,
                    text=line.text,
                    periods=_periods(hours.week.get(line.weekday, ())),
                )
                for line in display.week_lines(hours, translator, today)
            ],
            exceptions=upcoming_exceptions(hours, translator, today),
            distance_meters=(
                round(found.distance_meters) if found.distance_meters is not None else None
            ),
        )
