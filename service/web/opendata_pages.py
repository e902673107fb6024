"""The open-data catalogue as a page: every dataset with its description, licence, update
frequency, schema and files (``service.trends.catalogue``, as the DCAT-AP harvest lists)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from service.trends import catalogue
from service.trends.endpoints import today_in_angers
from service.web.rendering import Endpoint, Web


def opendata_catalogue(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        year = today_in_angers().year
        years = [year, year - 1]
        datasets = [
            {
                "entry": entry,
                "title": page.gettext(entry.title),
                "description": page.gettext(entry.description),
                "frequency": page.gettext(catalogue.FREQUENCY_LABELS[entry.frequency]),
                "files": [
                    (
                        fmt.upper() if fmt != "geojson" else "GeoJSON",
                        y,
                        catalogue.download_path(entry, fmt, y),
                    )
                    for y in (years if entry.yearly else [None])
                    for fmt in entry.formats
                ],  # fmt: skip
            }
            for entry in catalogue.entries()
        ]
        return web.render(
            page, "opendata.html", nav="dashboard", datasets=datasets,
            licence=catalogue.LICENCE, licence_name=catalogue.LICENCE_NAME,
        )  # fmt: skip

    return endpoint
