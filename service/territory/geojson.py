"""``GET /communes.geojson``: the outlines of the 29 communes, from our own data.

The pages' maps draw them, so a map is usable with no tile server at all (demo, tests,
offline). Coordinates are rounded to 5 decimals (about 1 m): plenty for an outline, and a
third lighter. Built once per reference snapshot; served with an ETag.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel import select
from starlette.requests import Request
from starlette.responses import Response

from service.compressed import Body, body_response
from service.context import Services
from service.sensors.geojson import MEDIA_TYPE
from service.territory.models import CommuneBoundary

PRECISION = 5


def _rounded(coordinates: Any) -> Any:
    if isinstance(coordinates, float | int):
        return round(coordinates, PRECISION)
    return [_rounded(c) for c in coordinates]


async def outlines(services: Services) -> dict[str, Any]:
    async with services.db.reading() as session:
        boundaries = (await session.exec(select(CommuneBoundary))).all()
    communes = services.reference.communes
    features = []
    for boundary in sorted(boundaries, key=lambda b: b.commune_code):
        geometry = json.loads(boundary.geometry)
        commune = communes.get(boundary.commune_code)
        features.append(
            {
                "type": "Feature",
                "id": boundary.commune_code,
                "geometry": {
                    "type": geometry["type"],
                    "coordinates": _rounded(geometry["coordinates"]),
                },
                "properties": {
                    "code": boundary.commune_code,
                    "name": commune.name if commune else boundary.commune_code,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def communes_geojson_endpoint(services: Services) -> Callable[[Request], Awaitable[Response]]:
    rendered: dict[int, Body] = {}

    async def communes_geojson(request: Request) -> Response:
        version = id(services.reference)  # replaced whole when the reference data is reloaded
        if version not in rendered:
            body = json.dumps(await outlines(services), separators=(",", ":")).encode()
            rendered.clear()
            rendered[version] = Body.of(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
        headers = {"Cache-Control": "public, max-age=3600"}
        return body_response(request, rendered[version], MEDIA_TYPE, headers)

    return communes_geojson
