"""« Help places » in the console: the places of the directory a staff member keeps (their
body's and those under it; every one for ALM's administrators), to add, change or remove.
The same operations as ``helpPlaceSave``/``helpPlaceDelete`` (``help_places.keeping``), so
the same permission check, rules, messages and audit. Hours are written in OpenStreetMap's
syntax, as in the national schema."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from service.errors import DomainError, ValidationFailed
from service.help_places import display, keeping, osm_hours, rules
from service.help_places.hours import parse_hours
from service.help_places.models import HelpPlace, Offer, PlaceKind
from service.settings import SUPPORTED_LOCALES
from service.web.console.auth import StaffPage, expired, posted_form, refused, render, require_staff
from service.web.forms import Form, field_errors
from service.web.rendering import LANGUAGE_NAMES, Endpoint, Page, Web

PATH = "/console/lieux-aide"
EDIT_PATH = PATH + "/fiche"
DELETE_PATH = PATH + "/suppression"
SAVE, DELETE = "console-help-place-save", "console-help-place-delete"
# The rules' field names → the form's.
FIELDS = {
    "slug": "slug", "name": "name", "kind": "kind", "address": "address",
    "latitude": "latitude", "longitude": "longitude", "hours": "hours", "offers": "offers",
    "languages": "languages", "phone": "phone", "email": "email", "bookingUrl": "booking_url",
    "website": "website",
}  # fmt: skip


def _options(page: Page) -> dict[str, list[tuple[str, str]]]:
    return {
        "kinds": [(k.value, str(page.gettext(display.KIND_LABELS[k]))) for k in PlaceKind],
        "offer_options": [(o.value, str(page.gettext(display.OFFER_LABELS[o]))) for o in Offer],
        "language_options": [(code, LANGUAGE_NAMES[code]) for code in SUPPORTED_LOCALES],
    }


def _values(place: HelpPlace | None) -> dict[str, Any]:
    if place is None:
        return {"offers": [], "languages": []}
    return {
        "slug": place.slug, "name": place.name, "kind": place.kind, "address": place.address,
        "latitude": str(place.latitude), "longitude": str(place.longitude),
        "hours": osm_hours.to_osm(parse_hours(place.hours)), "offers": place.offers.split(),
        "languages": place.languages.split(), "phone": place.phone or "",
        "email": place.email or "", "booking_url": place.booking_url or "",
        "website": place.website or "",
    }  # fmt: skip


def list_page(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        services = web.services
        try:
            places = await keeping.kept_places(services.db, staff.identity, services.reference)
        except DomainError as error:
            return refused(web, staff, error)
        communes = services.reference.communes
        return render(
            web,
            staff,
            "console/help_places.html",
            nav="help_places",
            places=places,
            commune_of=lambda code: communes[code].name if code in communes else code,
            kind_of=lambda kind: display.kind_label(kind, staff.page.translator),
            done=staff.request.query_params.get("fait"),
        )

    return require_staff(web, endpoint)


async def _kept(web: Web, staff: StaffPage, slug: str) -> HelpPlace | None:
    """The place of ``slug`` if the staff member keeps it (NOT_FOUND otherwise)."""
    kept = await keeping.kept_places(web.services.db, staff.identity, web.services.reference)
    for place in kept:
        if place.slug == slug:
            return place
    raise rules.not_found()


def _form_page(
    web: Web,
    staff: StaffPage,
    values: dict[str, Any],
    *,
    new: bool,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return render(
        web,
        staff,
        "console/help_place_form.html",
        status=status,
        nav="help_places",
        values=values,
        new=new,
        errors=errors or {},
        **_options(staff.page),
    )


def edit_page(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        slug = staff.request.query_params.get("lieu")
        try:
            rules.require_keeper(staff.identity)
            place = await _kept(web, staff, slug) if slug else None
        except DomainError as error:
            return refused(web, staff, error)
        return _form_page(web, staff, _values(place), new=place is None)

    return require_staff(web, endpoint)


def _coordinate(raw: str) -> float:
    """A decimal coordinate as typed (a comma as decimal mark too); NaN when it is none, so
    that the rules refuse it with their own message."""
    try:
        return float(raw.strip().replace(",", ".")[:30])
    except ValueError:
        return float("nan")


def _entry(form: Form, kept: HelpPlace | None) -> rules.PlaceInput:
    """The place as posted; the hours unchanged when their text is (notes of exceptions are
    kept: OSM's syntax has none)."""
    text = form.get("hours")
    if kept is not None and text.strip() == osm_hours.to_osm(parse_hours(kept.hours)):
        hours = kept.hours
    else:
        hours = osm_hours.from_osm(text).to_json()
    latitude, longitude = _coordinate(form.get("latitude")), _coordinate(form.get("longitude"))
    return rules.PlaceInput(
        slug=kept.slug if kept is not None else form.get("slug"),
        name=form.get("name"),
        kind=form.get("kind"),
        address=form.get("address"),
        latitude=latitude,
        longitude=longitude,
        hours=hours,
        offers=tuple(form.all("offers")),
        languages=tuple(form.all("languages")),
        phone=form.get("phone"),
        email=form.get("email"),
        booking_url=form.get("booking_url"),
        website=form.get("website"),
    )


def save_post(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        form = await posted_form(web, staff, SAVE)
        if form is None:
            return expired(web, staff, PATH)
        services, page = web.services, staff.page
        editing = form.get("editing")
        values = {**dict(form.as_mapping()), "offers": form.all("offers"),
                  "languages": form.all("languages")}  # fmt: skip
        try:
            kept = await _kept(web, staff, editing) if editing else None
        except DomainError as error:
            return refused(web, staff, error)
        try:
            if form.refused:
                raise ValidationFailed(list(form.refused))
            entry = _entry(form, kept)
            await keeping.save_audited(
                services.db, staff.identity, entry, services.reference, services.clock()
            )
        except ValidationFailed as failed:
            shown = field_errors(failed.errors, page.translator, FIELDS)
            return _form_page(web, staff, values, new=kept is None, errors=shown, status=400)
        except DomainError as error:
            if error.code.value in ("FORBIDDEN", "NOT_AUTHENTICATED"):
                return refused(web, staff, error)
            shown = field_errors([error], page.translator, FIELDS)
            return _form_page(web, staff, values, new=kept is None, errors=shown, status=400)
        return web.redirect(page, page.url(PATH, fait="enregistre"), private=True)

    return require_staff(web, endpoint)


def delete_post(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        form = await posted_form(web, staff, DELETE)
        if form is None:
            return expired(web, staff, PATH)
        services, page = web.services, staff.page
        try:
            await keeping.delete_audited(
                services.db, staff.identity, form.get("slug"), services.reference, services.clock()
            )
        except DomainError as error:
            return refused(web, staff, error)
        return web.redirect(page, page.url(PATH, fait="supprime"), private=True)

    return require_staff(web, endpoint)
