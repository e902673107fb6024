"""The rules of the directory: who keeps which place, what an entry must hold, and finding
the places near a point, in a commune, offering something, open at a given time.

Staff of a body keep their body's places (agents, supervisors and admins, with a token that
may write items); ALM's administrators keep every place. The directory is public: an entry
holds a service's professional contact, never a person's.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.errors import N_, DomainError, ValidationFailed
from service.help_places.errors import HelpPlaceErrorCode
from service.help_places.hours import OpeningHours, parse_hours
from service.help_places.models import HelpPlace, ItemHelpPlace, Offer, PlaceKind
from service.items import rules as items
from service.reference import ReferenceData
from service.settings import SUPPORTED_LOCALES
from service.staff.models import Role
from service.staff.permissions import ITEM_ROLES, covered_bodies
from service.staff.rules import StaffIdentity
from service.territory.rules import coordinate_errors

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9][0-9 .]{5,24}$")
METROPOLE_BODY = "alm"
WRITE_SCOPE = "items:write"
MAX_NAME, MAX_ADDRESS, MAX_URL = 200, 300, 300
MAX_RADIUS_METERS = 50_000
EARTH_RADIUS_METERS = 6_371_000


@dataclass(frozen=True)
class PlaceInput:
    """An entry as staff write it."""

    slug: str
    name: str
    kind: str
    address: str
    latitude: float
    longitude: float
    hours: str
    offers: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    phone: str | None = None
    email: str | None = None
    booking_url: str | None = None
    website: str | None = None
    body_code: str | None = None  # ALM's administrators may name another keeper


@dataclass(frozen=True)
class Found:
    """A place as the directory shows it, with what was computed for the question asked."""

    place: HelpPlace
    hours: OpeningHours
    distance_meters: float | None = None


def _error(code: HelpPlaceErrorCode, message: str, field: str | None = None) -> DomainError:
    return DomainError(code, message, field=field)


def forbidden() -> DomainError:
    return _error(
        HelpPlaceErrorCode.FORBIDDEN, N_("Your role or your access token does not allow this.")
    )


def not_found() -> DomainError:
    return _error(HelpPlaceErrorCode.NOT_FOUND, N_("There is no such help place."), "slug")


def is_metropole_admin(identity: StaffIdentity) -> bool:
    return identity.role is Role.ADMIN and identity.body_code == METROPOLE_BODY


def require_keeper(identity: StaffIdentity | None) -> StaffIdentity:
    """A staff member who may keep places (not council members; a token that writes)."""
    if identity is None:
        raise _error(
            HelpPlaceErrorCode.NOT_AUTHENTICATED, N_("Please log in as a staff member first.")
        )
    if identity.role not in ITEM_ROLES or WRITE_SCOPE not in identity.scopes:
        raise forbidden()
    return identity


def may_keep(identity: StaffIdentity, body_code: str, reference: ReferenceData) -> bool:
    """Whether this staff member keeps the places of ``body_code``: their body's and those
    under it; every body's for ALM's administrators."""
    return is_metropole_admin(identity) or body_code in covered_bodies(identity, reference)


def _offer_errors(offers: tuple[str, ...], languages: tuple[str, ...]) -> list[DomainError]:
    errors: list[DomainError] = []
    known = {o.value for o in Offer}
    if any(o not in known for o in offers):
        errors.append(
            _error(HelpPlaceErrorCode.UNKNOWN_OFFER, N_("This offer is not known."), "offers")
        )
    if any(language not in SUPPORTED_LOCALES for language in languages):
        errors.append(
            DomainError(
                HelpPlaceErrorCode.UNSUPPORTED_LANGUAGE,
                N_("Choose one of the supported languages: %(languages)s."),
                field="languages",
                languages=", ".join(SUPPORTED_LOCALES),
            )
        )
    return errors


def _contact_errors(entry: PlaceInput) -> list[DomainError]:
    errors: list[DomainError] = []
    message = N_("Give the service's professional contact: a phone number, an e-mail, a link.")
    if entry.phone and not PHONE.match(entry.phone.strip()):
        errors.append(_error(HelpPlaceErrorCode.INVALID_CONTACT, message, "phone"))
    if entry.email and not EMAIL.match(entry.email.strip()):
        errors.append(_error(HelpPlaceErrorCode.INVALID_CONTACT, message, "email"))
    for name, url in (("bookingUrl", entry.booking_url), ("website", entry.website)):
        if url and (not url.startswith("https://") or len(url) > MAX_URL or " " in url):
            errors.append(_error(HelpPlaceErrorCode.INVALID_CONTACT, message, name))
    return errors


def validate(entry: PlaceInput, reference: ReferenceData) -> tuple[str, OpeningHours]:
    """The commune the point is in and the parsed hours; raises ValidationFailed with
    every reason the entry is refused."""
    errors: list[DomainError] = []
    if not SLUG.match(entry.slug):
        errors.append(
            _error(
                HelpPlaceErrorCode.INVALID_SLUG,
                N_("A place's code has 1 to 80 lower-case letters, digits or dashes."),
                "slug",
            )
        )
    errors += items.text_errors(entry.name, field="name", maximum=MAX_NAME, required=True)
    errors += items.text_errors(entry.address, field="address", maximum=MAX_ADDRESS, required=True)
    if entry.kind not in {k.value for k in PlaceKind}:
        errors.append(
            _error(HelpPlaceErrorCode.UNKNOWN_KIND, N_("This kind of place is not known."), "kind")
        )
    errors += _offer_errors(entry.offers, entry.languages)
    errors += _contact_errors(entry)
    commune = ""
    coordinates = coordinate_errors(entry.latitude, entry.longitude)
    errors += coordinates
    if not coordinates:
        commune = reference.locator.locate(entry.latitude, entry.longitude) or ""
        if not commune:
            errors.append(
                _error(
                    HelpPlaceErrorCode.OUTSIDE_ALM,
                    N_("This place is outside the 29 communes of Angers Loire Métropole."),
                    "latitude",
                )
            )
    hours = OpeningHours()
    try:
        hours = parse_hours(entry.hours)
    except DomainError as error:
        errors.append(error)
    if errors:
        raise ValidationFailed(errors)
    return commune, hours


def _keeper_of(
    entry: PlaceInput, identity: StaffIdentity, place: HelpPlace | None, reference: ReferenceData
) -> str:
    """The body that keeps the entry: the one named, else the one that kept it, else the
    caller's."""
    if entry.body_code:
        if entry.body_code not in reference.bodies:
            raise _error(HelpPlaceErrorCode.UNKNOWN_BODY, N_("There is no such body."), "bodyCode")
        return entry.body_code
    return place.body_code if place is not None else identity.body_code


async def find(session: AsyncSession, slug: str) -> HelpPlace | None:
    return (await session.exec(select(HelpPlace).where(HelpPlace.slug == slug))).first()


async def save(
    session: AsyncSession,
    caller: StaffIdentity | None,
    entry: PlaceInput,
    reference: ReferenceData,
    now: datetime,
) -> HelpPlace:
    """Create the place ``entry.slug``, or replace it when the caller keeps it."""
    identity = require_keeper(caller)
    entry = _cleaned(entry)
    commune, hours = validate(entry, reference)
    place = await find(session, entry.slug)
    if place is not None and not may_keep(identity, place.body_code, reference):
        raise forbidden()
    keeper = _keeper_of(entry, identity, place, reference)
    if not may_keep(identity, keeper, reference):
        raise forbidden()
    if place is None:
        place = HelpPlace(
            slug=entry.slug, name="", kind="", body_code=keeper, commune_code="",
            address="", latitude=0, longitude=0, hours="{}", updated_at=now,
        )  # fmt: skip
    place.name, place.kind, place.address = entry.name.strip(), entry.kind, entry.address.strip()
    place.body_code, place.commune_code = keeper, commune
    place.latitude, place.longitude = entry.latitude, entry.longitude
    place.offers = " ".join(sorted(set(entry.offers)))
    place.languages = " ".join(sorted(set(entry.languages)))
    place.phone, place.email = entry.phone, entry.email
    place.booking_url, place.website = entry.booking_url, entry.website
    place.hours = hours.to_json()
    place.example = False  # an entry staff wrote is real
    place.updated_at, place.updated_by_id = now, identity.staff_id
    session.add(place)
    await session.flush()
    return place


def _cleaned(entry: PlaceInput) -> PlaceInput:
    def blank_is_none(value: str | None) -> str | None:
        return value.strip() if value and value.strip() else None

    return PlaceInput(
        slug=entry.slug.strip().lower(), name=entry.name, kind=entry.kind,
        address=entry.address, latitude=entry.latitude, longitude=entry.longitude,
        hours=entry.hours, offers=entry.offers, languages=entry.languages,
        phone=blank_is_none(entry.phone), email=blank_is_none(entry.email),
        booking_url=blank_is_none(entry.booking_url), website=blank_is_none(entry.website),
        body_code=blank_is_none(entry.body_code),
    )  # fmt: skip


async def delete(
    session: AsyncSession, caller: StaffIdentity | None, slug: str, reference: ReferenceData
) -> HelpPlace:
    """Remove a place the caller keeps (NOT_FOUND for one they do not keep either: whether
    another body keeps it is public anyway, but there is nothing for them to delete)."""
    identity = require_keeper(caller)
    place = await find(session, slug.strip().lower())
    if place is None:
        raise not_found()
    if not may_keep(identity, place.body_code, reference):
        raise forbidden()
    # The items made there stay counted, as made at a place no longer listed.
    await session.exec(
        update(ItemHelpPlace).where(col(ItemHelpPlace.place_id) == place.id).values(place_id=None)
    )
    await session.delete(place)
    await session.flush()
    return place


def distance_meters(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine): enough at the scale of a metropolis."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_METERS * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class Search:
    """What a resident asks the directory."""

    commune: str | None = None
    near: tuple[float, float] | None = None  # (latitude, longitude)
    radius_meters: float = 10_000
    offers: frozenset[str] = frozenset()
    open_at: datetime | None = None
    first: int = 50


def search_errors(search: Search, reference: ReferenceData) -> list[DomainError]:
    errors: list[DomainError] = []
    if search.commune is not None and search.commune not in reference.communes:
        errors.append(
            DomainError(
                HelpPlaceErrorCode.UNKNOWN_COMMUNE,
                N_("There is no commune %(commune)s in Angers Loire Métropole."),
                field="commune",
                commune=search.commune[:10],
            )
        )
    if search.near is not None:
        errors += coordinate_errors(*search.near, field_prefix="near.")
    if not (0 < search.radius_meters <= MAX_RADIUS_METERS):
        errors.append(
            DomainError(
                HelpPlaceErrorCode.INVALID_RADIUS,
                N_("The radius is more than 0 and at most %(limit)s metres."),
                field="radiusMeters",
                limit=MAX_RADIUS_METERS,
            )
        )
    errors += _offer_errors(tuple(search.offers), ())
    return errors


async def places(session: AsyncSession, search: Search, reference: ReferenceData) -> list[Found]:
    """The places that answer ``search``: nearest first with a point, else by commune and
    name. The directory holds hundreds of places at most: read whole, filtered here."""
    errors = search_errors(search, reference)
    if errors:
        raise ValidationFailed(errors)
    statement = select(HelpPlace)
    if search.commune:
        statement = statement.where(HelpPlace.commune_code == search.commune)
    rows = (await session.exec(statement.order_by(col(HelpPlace.name)))).all()
    found: list[Found] = []
    for row in rows:
        if search.offers and not search.offers <= set(row.offers.split()):
            continue
        hours = parse_hours(row.hours)
        if search.open_at is not None and not hours.is_open(search.open_at):
            continue
        distance = None
        if search.near is not None:
            distance = distance_meters(*search.near, row.latitude, row.longitude)
            if distance > search.radius_meters:
                continue
        found.append(Found(row, hours, distance))
    if search.near is not None:
        found.sort(key=lambda f: f.distance_meters or 0.0)
    else:
        communes = reference.communes
        found.sort(
            key=lambda f: (communes[f.place.commune_code].name if f.place.commune_code in
                           communes else "", f.place.name)
        )  # fmt: skip
    return found[: max(search.first, 0)]


async def directory_version(session: AsyncSession) -> tuple[str, int]:
    """Changes whenever a place is added, changed or removed: for pages cached with places."""
    statement = select(func.max(col(HelpPlace.updated_at)), func.count())
    latest, count = (await session.exec(statement)).one()
    return (latest.isoformat() if latest is not None else "", int(count))
