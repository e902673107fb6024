"""Where to get help: the directory of help places as a page anyone can read (no script
needed), its GeoJSON (RFC 7946), and the « places open now » other pages show where a
resident might be stuck (the follow and confirmation pages, a form's errors)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel import Locale
from starlette.requests import Request
from starlette.responses import Response

from service.errors import ValidationFailed
from service.help_places import display, national, rules
from service.help_places.hours import ANGERS
from service.help_places.models import Offer
from service.web.rendering import Endpoint, Page, Web
from service.web.security import tiles_origin

PATH = "/aide-numerique"
GEOJSON_PATH = "/help-places.geojson"
CSV_PATH = "/help-places.csv"
SCHEMA_PATH = "/help-places.schema.json"
OPEN_NOW_SHOWN = 3


@dataclass(frozen=True)
class ShownPlace:
    """A place as the pages show it, in the reader's language."""

    slug: str
    name: str
    kind: str
    example: bool
    open_now: bool
    status: str
    address: str
    commune: str
    offers: list[str]
    week: list[display.DayLine]
    exceptions: list[Any]
    phone: str | None
    phone_href: str | None
    email: str | None
    booking_url: str | None
    website: str | None
    languages: list[str]


def shown_place(web: Web, page: Page, found: rules.Found, now: datetime) -> ShownPlace:
    place, hours = found.place, found.hours
    open_now, status = display.status_text(hours, page.translator, now)
    commune = web.services.reference.communes.get(place.commune_code)
    today = now.astimezone(ANGERS).date()
    return ShownPlace(
        slug=place.slug,
        name=place.name,
        kind=display.kind_label(place.kind, page.translator),
        example=place.example,
        open_now=open_now,
        status=status,
        address=place.address,
        commune=commune.name if commune else "",
        offers=display.offer_labels(place.offers, page.translator),
        week=display.week_lines(hours, page.translator, today),
        exceptions=display.upcoming(hours, page.translator, today, limit=3),
        phone=place.phone,
        phone_href=("tel:" + "".join(c for c in place.phone if c.isdigit() or c == "+"))
        if place.phone
        else None,
        email=place.email,
        booking_url=place.booking_url,
        website=place.website,
        languages=[language_name(code, page.locale) for code in place.languages.split()],
    )


def language_name(code: str, locale: str) -> str:
    """« arabe », « Arabic », « العربية »: a language named in the reader's."""
    return str(Locale.parse(code).get_display_name(locale) or code)


async def open_now(web: Web, page: Page, commune_code: str | None) -> list[ShownPlace]:
    """A few places of the commune open now (none when there is no commune).

    Kept for the minute (``Web.this_minute``), by commune and language: the follow page
    (never cached itself: it holds a resident's data) read and parsed the commune's places on
    every request, about as much work as the rest of the page. Public directory data only; a
    change by staff shows within a minute."""
    if not commune_code or commune_code not in web.services.reference.communes:
        return []
    now = web.services.clock()

    async def build() -> list[ShownPlace]:
        search = rules.Search(commune=commune_code, open_at=now, first=OPEN_NOW_SHOWN)
        async with web.services.db.reading() as session:
            found = await rules.places(session, search, web.services.reference)
        return [shown_place(web, page, f, now) for f in found]

    return await web.this_minute.get_async(now, ("help-open-now", commune_code, page.locale), build)


def help_directory(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        reference = web.services.reference
        params = request.query_params
        commune = params.get("commune") or None
        if commune not in reference.communes:
            commune = None
        only_open = params.get("ouvert") == "1"
        offer = params.get("offre") or None
        if offer not in {o.value for o in Offer}:
            offer = None
        now = web.services.clock()
        search = rules.Search(
            commune=commune,
            open_at=now if only_open else None,
            offers=frozenset([offer]) if offer else frozenset(),
            first=200,
        )
        found: list[rules.Found] = []
        # The whole directory would be a long page: a commune first (the form asks for one).
        if commune is not None:
            try:
                async with web.services.db.reading() as session:
                    found = await rules.places(session, search, reference)
            except ValidationFailed:  # pragma: no cover - the parameters were checked above
                found = []
        communes = [(c.code, c.name) for c in reference.communes_by_name()]
        offers = [(o.value, str(page.gettext(display.OFFER_LABELS[o]))) for o in Offer]
        return web.render(
            page,
            "help_places.html",
            nav="help",
            places=[shown_place(web, page, f, now) for f in found],
            communes=communes,
            offers=offers,
            commune=commune,
            commune_name=reference.communes[commune].name if commune else None,
            only_open=only_open,
            offer=offer,
            geojson=GEOJSON_PATH + (f"?commune={commune}" if commune else ""),
            tiles_host=tiles_origin(web.tiles_url),
        )

    return endpoint


def help_geojson(web: Web) -> Endpoint:
    """The directory as a GeoJSON FeatureCollection (RFC 7946: WGS 84, longitude first), for
    maps and for anyone to reuse; ``?commune=`` for one commune."""

    async def endpoint(request: Request) -> Response:
        reference = web.services.reference
        commune = request.query_params.get("commune") or None
        if commune is not None and commune not in reference.communes:
            return Response("unknown commune\n", status_code=404, media_type="text/plain")
        async with web.services.db.reading() as session:
            found = await rules.places(session, rules.Search(commune=commune, first=10_000),
                                       reference)  # fmt: skip
        body = {
            "type": "FeatureCollection",
            "features": [feature(f) for f in found],
        }
        return Response(
            json.dumps(body, ensure_ascii=False, separators=(",", ":")),
            media_type="application/geo+json",
            headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
        )

    return endpoint


def feature(found: rules.Found) -> dict[str, Any]:
    place = found.place
    return {
        "type": "Feature",
        "id": place.slug,
        "geometry": {"type": "Point", "coordinates": [place.longitude, place.latitude]},
        "properties": {
            "slug": place.slug,
            "name": place.name,
            "kind": place.kind,
            "address": place.address,
            "commune": place.commune_code,
            "offers": place.offers.split(),
            "languages": place.languages.split(),
            "phone": place.phone,
            "email": place.email,
            "bookingUrl": place.booking_url,
            "website": place.website,
            "hours": json.loads(place.hours),
            "keptBy": place.body_code,
            "isExample": place.example,
        },
    }


def help_csv(web: Web) -> Endpoint:
    """The directory in the national schema of the places of digital mediation (CSV)."""

    async def endpoint(request: Request) -> Response:
        reference = web.services.reference
        async with web.services.db.reading() as session:
            found = await rules.places(session, rules.Search(first=10_000), reference)
        body = national.export_csv([f.place for f in found], reference)
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={
                "Cache-Control": "public, max-age=300",
                "Content-Disposition": 'inline; filename="lieux-mediation-numerique-alm.csv"',
                "Link": f'<{SCHEMA_PATH}>; rel="describedby"',
            },
        )

    return endpoint


def help_schema(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        return Response(
            json.dumps(national.TABLE_SCHEMA, ensure_ascii=False, indent=1),
            media_type="application/json",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    return endpoint
