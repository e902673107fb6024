"""``create_app(settings)``: the Starlette application serving the whole service."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from service.access_log import AccessLog
from service.background import Loops
from service.body_limit import BodySizeLimit
from service.context import Services
from service.db import Database
from service.errors import N_
from service.graphql_endpoint import GraphQLEndpoint
from service.health import healthz, readiness_endpoint
from service.i18n.catalogs import load_translations
from service.i18n.negotiation import negotiate
from service.integrations.open311.endpoint import Open311Endpoint
from service.integrations.webhooks import run_webhook_worker
from service.mail.sender import run_mail_worker
from service.metrics import MetricsMiddleware, metrics_endpoint
from service.moderation import terms
from service.photos.endpoint import UPLOAD_PATH, PhotoEndpoints
from service.privacy import consent_texts
from service.privacy.retention import run_daily_purge
from service.private_files import protect_data
from service.routing.delivery import run_delivery_worker
from service.schema import build_schema
from service.search.indexer import IndexerLock, run_search_indexer
from service.sensors.geojson import sensors_geojson_endpoint
from service.settings import SUPPORTED_LOCALES, Settings, warn_unknown_variables
from service.territory.geojson import communes_geojson_endpoint
from service.trends.endpoints import (
    catalogue_endpoint,
    chart_endpoint,
    opendata_endpoint,
    table_schema_endpoint,
)
from service.trends.rollup import run_rollup_worker
from service.web.routes import web_routes


def build_services(settings: Settings) -> Services:
    """Database engines and compiled catalogs; a broken catalog stops start-up here."""
    settings.check_startable()
    terms.install(terms.HeldTerms.from_file(settings.moderation_terms_file))
    # The published consent texts: one edited after publication stops start-up here.
    consent_texts.published()
    return Services(
        settings=settings,
        db=Database(settings.resolved_database_url),
        translations=load_translations(settings.locales_dir, SUPPORTED_LOCALES),
    )


def create_app(settings: Settings, services: Services | None = None) -> Starlette:
    services = services or build_services(settings)
    graphql = GraphQLEndpoint(build_schema(settings), services)
    open311 = Open311Endpoint(services)
    photos = PhotoEndpoints(services, graphql)
    loops = Loops()

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await services.reload_reference()
        await services.search_index_identity()
        # What start-up built (schema, catalogs, reference data) lives as long as the process:
        # moved out of the collector's reach, full collections no longer walk it on every
        # request burst (they showed as the p99 of submissions).
        gc.collect()
        gc.freeze()
        # Every process runs the delivery worker: deliveries are claimed before sending, so
        # two processes never send the same one at once.
        stop = loops.stop
        loops.start(
            "delivery",
            lambda: run_delivery_worker(
                services.db,
                settings,
                stop,
                services.clock,
                services.contact_cipher,
                services.mailer,
            ),
        )
        # Messages to residents: claimed before sending too, so every process may run it.
        loops.start(
            "mail", lambda: run_mail_worker(services.db, services.mailer, stop, services.clock)
        )
        loops.start("purge", lambda: run_daily_purge(services.db, settings, stop, services.clock))
        # One process per host indexes (the holder of the indexer lock); every one searches.
        if settings.search_indexer:
            loops.start(
                "searchIndexer",
                lambda: run_search_indexer(
                    services.search_indexer,
                    IndexerLock(settings.search_dir / "indexer.lock"),
                    stop,
                    settings.search_poll_seconds,
                ),
            )
        loops.start(
            "trends", lambda: run_rollup_worker(services.db, settings.delivery_poll_seconds, stop)
        )
        loops.start(
            "webhooks",
            lambda: run_webhook_worker(
                services.db,
                settings,
                stop,
                services.clock,
                lambda: services.reference,
                services.contact_cipher,
            ),
        )
        try:
            yield
        finally:
            # Each loop finishes the round in progress (each HTTP call is capped at 10 s).
            await loops.stop_all()
            services.search_engine.close()
            await services.db.dispose()

    def too_large_message(accept_language: str | None, limit: int) -> str:
        locale = negotiate(accept_language, SUPPORTED_LOCALES, settings.default_locale)
        return services.translator(locale).gettext(
            N_("The request body is larger than the limit of %(limit)s bytes."),
            limit=services.translator(locale).number(limit),
        )

    routes = [
        Route("/graphql", graphql.handle, methods=["GET", "POST"]),
        Route("/graphql/documents.json", graphql.documents, methods=["GET"]),
        Route("/sensors.geojson", sensors_geojson_endpoint(services), methods=["GET"]),
        Route("/communes.geojson", communes_geojson_endpoint(services), methods=["GET"]),
        Route("/open311/v2/{path:path}", open311.handle, methods=["GET", "POST"]),
        Route("/opendata/catalog.jsonld", catalogue_endpoint(services), methods=["GET"]),
        Route("/opendata/{dataset}.schema.json", table_schema_endpoint(services), methods=["GET"]),
        Route("/opendata/{dataset}.{format}", opendata_endpoint(services), methods=["GET"]),
        Route("/trends/charts/{name}.svg", chart_endpoint(services), methods=["GET"]),
        Route(UPLOAD_PATH, photos.upload, methods=["POST"]),
        Route("/media/staff/{file}", photos.staff_copy, methods=["GET"]),
        Route("/media/shared/{file}", photos.shared_copy, methods=["GET"]),
        Route("/media/{file}", photos.public_copy, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readiness_endpoint(services, loops.health), methods=["GET"]),
        Route("/metrics", metrics_endpoint(services), methods=["GET"]),
        *web_routes(services),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(MetricsMiddleware, routes=routes),
            Middleware(AccessLog),
            Middleware(
                BodySizeLimit,
                max_bytes=settings.max_body_bytes,
                message_for=too_large_message,
                # Where photos are sent: one photo, or a form or request carrying them.
                larger={
                    UPLOAD_PATH: settings.photo_max_bytes + 64_000,
                    "/signaler": settings.upload_body_bytes,
                    "/open311/v2/requests.json": settings.upload_body_bytes,
                    "/open311/v2/requests.xml": settings.upload_body_bytes,
                },
            ),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.loops = loops
    return app


def create_app_from_environment() -> Starlette:
    """Factory for worker processes started by ``serve --workers N`` (or by uvicorn
    directly, hence the data files' protection here too)."""
    settings = Settings.from_environ()
    warn_unknown_variables()
    protect_data(settings)
    return create_app(settings)
