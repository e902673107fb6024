"""``GET /sensors.geojson``: the sensor register as an RFC 7946 FeatureCollection, for any
map library or an open-data portal; cacheable (ETag, If-None-Match -> 304)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from service.compressed import Body, body_response
from service.context import Services
from service.i18n.negotiation import negotiate
from service.i18n.translator import Translator
from service.inputs import fields_refusal
from service.reference import ReferenceData
from service.sensors import rules
from service.sensors.models import Sensor, SensorElement, SensorStatus
from service.settings import SUPPORTED_LOCALES

MEDIA_TYPE = "application/geo+json"
CACHE_CONTROL = "public, max-age=60"
DEFAULT_STATUSES = (SensorStatus.PLANNED, SensorStatus.ACTIVE)
# RFC 7946 §11.2: 6 decimal places (about 10 cm) are more than a sign's position needs.
PRECISION = 6


def feature(
    sensor: Sensor,
    elements: list[SensorElement],
    taxonomy: rules.Taxonomy,
    reference: ReferenceData,
    translator: Translator,
) -> dict[str, Any]:
    """One sensor as a GeoJSON Feature: a Point in [longitude, latitude] order, flat public
    properties (what map pop-ups and spreadsheets read best) and its DTPR sign."""
    dtpr: list[dict[str, str]] = []
    for row in elements:
        element = taxonomy.elements.get((row.category_id, row.element_id))
        if element is None:
            continue
        values: dict[str, str] = json.loads(row.variables or "{}")
        name = taxonomy.texts_of(element).name(translator.locale)
        dtpr.append(
            {
                "category": row.category_id,
                "element": row.element_id,
                "name": rules.fill(name.text, values),
                "language": name.language,
                "translation": name.source.name,
            }
        )
    commune = reference.communes.get(sensor.commune_code)
    body = reference.bodies.get(sensor.accountable_body_code)
    return {
        "type": "Feature",
        "id": sensor.slug,
        "geometry": {
            "type": "Point",
            "coordinates": [round(sensor.longitude, PRECISION), round(sensor.latitude, PRECISION)],
        },
        "properties": {
            "slug": sensor.slug,
            "name": sensor.name,
            "description": sensor.description,
            "placeName": sensor.place_name,
            "communeCode": sensor.commune_code,
            "communeName": commune.name if commune else None,
            "accountableBodyCode": sensor.accountable_body_code,
            "accountableBodyName": body.name if body else None,
            "status": sensor.status,
            "installedOn": sensor.installed_on.isoformat() if sensor.installed_on else None,
            "removedOn": sensor.removed_on.isoformat() if sensor.removed_on else None,
            "personalData": sensor.personal_data,
            "hostedInEu": sensor.hosted_in_eu,
            "openDataUrl": sensor.open_data_url,
            "purposes": [d["element"] for d in dtpr if d["category"] == "purpose"],
            "technologies": [d["element"] for d in dtpr if d["category"] == "tech"],
            "dtpr": dtpr,
            "isExample": sensor.is_example,
        },
    }


async def feature_collection(
    services: Services, translator: Translator, statuses: tuple[SensorStatus, ...]
) -> dict[str, Any]:
    async with services.db.reading() as session:
        taxonomy = await rules.load_taxonomy(session, translator.locale)
        statement = (
            select(Sensor)
            .where(col(Sensor.status).in_([s.value for s in statuses]))
            .order_by(col(Sensor.id))
        )
        sensors = list((await session.exec(statement)).all())
        elements = await rules.elements_of(session, [s.id for s in sensors if s.id is not None])
    return {
        "type": "FeatureCollection",
        # Foreign members (RFC 7946 §6.1): the credit the DTPR licence asks for.
        "name": "Angers Loire Métropole — sensor register",
        "attribution": rules.DTPR_ATTRIBUTION,
        "license": rules.DTPR_LICENSE,
        "features": [
            feature(s, elements[s.id or 0], taxonomy, services.reference, translator)
            for s in sensors
        ],
    }


def parse_statuses(raw: str | None) -> tuple[SensorStatus, ...] | None:
    if not raw:
        return DEFAULT_STATUSES
    try:
        return tuple(sorted({SensorStatus(v.strip().lower()) for v in raw.split(",")}, key=str))
    except ValueError:
        return None


async def register_version(services: Services) -> tuple[object, ...]:
    """Changes whenever the map would: every edit of a sensor (its DTPR sign included)
    moves its updated_at; a reload of the reference data (names of communes and bodies)
    replaces the snapshot. One aggregate statement, however large the register."""
    statement = select(func.count(), func.max(Sensor.updated_at), func.max(Sensor.id))
    async with services.db.reading() as session:
        count, updated, last = (await session.exec(statement)).one()
    return (count, str(updated), last, id(services.reference))


@dataclass(frozen=True)
class Rendered:
    version: tuple[object, ...]
    body: Body


def sensors_geojson_endpoint(services: Services) -> Callable[[Request], Awaitable[Response]]:
    # The map is read far more often than the register changes: each process keeps the last
    # rendering per (language, statuses) — at most 5 × 7 entries — and checks it is current
    # with one cheap statement, so every worker serves the same bytes and the same ETag.
    rendered: dict[tuple[str, tuple[SensorStatus, ...]], Rendered] = {}

    async def render(translator: Translator, statuses: tuple[SensorStatus, ...]) -> Rendered:
        key = (translator.locale, statuses)
        version = await register_version(services)
        cached = rendered.get(key)
        if cached is not None and cached.version == version:
            return cached
        body = json.dumps(
            await feature_collection(services, translator, statuses),
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        fresh = Rendered(version, Body.of(body, etag))
        rendered[key] = fresh
        return fresh

    async def sensors_geojson(request: Request) -> Response:
        settings = services.settings
        locale = negotiate(
            request.query_params.get("lang") or request.headers.get("accept-language"),
            SUPPORTED_LOCALES,
            settings.default_locale,
        )
        translator = services.translator(locale)
        refusal = fields_refusal(request.query_params.multi_items())
        if refusal is not None:
            message = refusal.describe(translator)
            return JSONResponse({"error": "INVALID_TEXT", "message": message}, status_code=400)
        statuses = parse_statuses(request.query_params.get("status"))
        if statuses is None:
            return JSONResponse(
                {"error": "BAD_REQUEST", "message": "status: planned, active and/or removed"},
                status_code=400,
            )
        current = await render(translator, statuses)
        headers = {
            "Cache-Control": CACHE_CONTROL,
            "Vary": "Accept-Language",
            "Content-Language": locale,
            "Access-Control-Allow-Origin": "*",  # open data: any map on any site may load it
        }
        return body_response(request, current.body, MEDIA_TYPE, headers)

    return sensors_geojson
