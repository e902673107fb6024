"""The pages' routes, mounted by ``create_app``. Their paths are French (ALM's language) and
stable: ``/capteurs/<slug>`` is printed on signs in the street."""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.context import Services
from service.web import (
    about,
    dashboard,
    help_pages,
    home,
    opendata_pages,
    sensors,
    transparency_pages,
)
from service.web.console.routes import console_routes
from service.web.rendering import STATIC_DIR, Web
from service.web.residents_routes import residents_routes

VERSIONED = f"public, max-age={365 * 24 * 3600}, immutable".encode()
UNVERSIONED = b"public, max-age=3600"


class CachedStatic:
    """Static files, compressed, cached for a year when asked by versioned URL (``?v=``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = GZipMiddleware(app, minimum_size=512)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        versioned = b"v=" in scope.get("query_string", b"")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"cache-control", VERSIONED if versioned else UNVERSIONED))
                headers.append((b"x-content-type-options", b"nosniff"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def web_routes(services: Services) -> list[BaseRoute]:
    web = Web(services)
    return [
        web.route("/", home.home(web)),
        *residents_routes(web),
        *console_routes(web),
        web.route("/accessibilite", about.accessibility(web)),
        web.route("/donnees-personnelles", about.personal_data(web)),
        web.route("/tableau-de-bord", dashboard.dashboard(web)),
        web.route("/donnees-ouvertes", opendata_pages.opendata_catalogue(web)),
        web.route("/transparence", transparency_pages.transparency_page(web)),
        web.route("/transparence/{year}.{format}", transparency_pages.transparency_download(web)),
        web.route(help_pages.PATH, help_pages.help_directory(web)),
        web.route(help_pages.GEOJSON_PATH, help_pages.help_geojson(web)),
        web.route(help_pages.CSV_PATH, help_pages.help_csv(web)),
        web.route(help_pages.SCHEMA_PATH, help_pages.help_schema(web)),
        web.route("/capteurs", sensors.sensor_list(web)),
        web.route("/capteurs/{slug}", sensors.sensor_page(web)),
        web.route("/capteurs/{slug}/avis", sensors.opinion_post(web), "POST"),
        web.route("/capteurs/{slug}/question", sensors.question_post(web), "POST"),
        web.route("/capteurs/{slug}/question-envoyee", sensors.question_sent(web)),
        web.route("/capteurs/{slug}/panneau", sensors.sensor_sign(web)),
        Mount("/static", app=CachedStatic(StaticFiles(directory=STATIC_DIR)), name="static"),
    ]
