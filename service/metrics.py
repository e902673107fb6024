"""``/metrics`` in Prometheus' text format, for operators (never public).

- ``service_http_requests_total{route,status}`` and ``service_http_request_seconds{route}``:
  every HTTP request, by route *template* (``/suivi``, not a reference) and status;
- ``service_graphql_operations_total{operation,outcome}`` and
  ``service_graphql_operation_seconds{operation}``: GraphQL requests by published operation
  name (graphql/operations; any other text counts as ``other``, so no client-chosen text
  becomes a label) and outcome (ok, refused, rate_limited, error);
- computed at scrape time from the database and the index: ``service_outbox_backlog{consumer}``
  (index, delivery, rollup and the other outbox consumers), ``service_search_index_lag_seconds``,
  ``service_deliveries{kind,status}`` (routes' deliveries and integrators' webhooks: pending,
  delivered, failed).

No label holds personal data or free text. Several workers add up: ``serve`` points
``PROMETHEUS_MULTIPROC_DIR`` at ``<data dir>/metrics`` (emptied at start) before the workers
start, and a scrape reads every worker's counts (prometheus-client's multiprocess mode).

Served only with ``SERVICE_METRICS_TOKEN`` set, to ``Authorization: Bearer <token>``
(otherwise 404); the README's nginx configuration also keeps it off the public site.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlmodel import col, select
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.context import Services
from service.integrations.models import WebhookDelivery
from service.outbox.models import ConsumerPosition, Delivery, OutboxEntry
from service.search.indexer import lag
from service.trends.models import TrendsPosition

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "service_http_requests", "HTTP requests by route template and status.", ["route", "status"]
)
HTTP_SECONDS = Histogram(
    "service_http_request_seconds", "HTTP request duration.", ["route"], buckets=LATENCY_BUCKETS
)
OPERATIONS = Counter(
    "service_graphql_operations",
    "GraphQL requests by published operation name and outcome.",
    ["operation", "outcome"],
)
OPERATION_SECONDS = Histogram(
    "service_graphql_operation_seconds",
    "GraphQL request duration by published operation name.",
    ["operation"],
    buckets=LATENCY_BUCKETS,
)


def outcome_of(status: int) -> str:
    if status < 400:
        return "ok"
    if status == 429:
        return "rate_limited"
    return "refused" if status < 500 else "error"


def route_of(routes: Iterable[BaseRoute], scope: Scope) -> str:
    """The template of the route serving ``scope`` (never the path: it may hold ids)."""
    for route in routes:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return str(getattr(route, "path", "other"))
    return "unrouted"


# Paths served by a route without parameters (/graphql, /readyz...), remembered: the routes
# are not walked again for them. Paths with parameters are never kept (unbounded).
FIXED_PATHS_KEPT = 256


class MetricsMiddleware:
    """Counts and times every HTTP request; GraphQL ones by their operation too (the
    endpoint names it in ``request.state.operation``)."""

    def __init__(self, app: ASGIApp, routes: Iterable[BaseRoute]) -> None:
        self.app = app
        self.routes = routes
        self._fixed: dict[tuple[str, str], str] = {}

    def _route(self, scope: Scope) -> str:
        key = (scope["method"], scope["path"])
        found = self._fixed.get(key)
        if found is None:
            found = route_of(self.routes, scope)
            if "{" not in found and len(self._fixed) < FIXED_PATHS_KEPT:
                self._fixed[key] = found
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            seconds = time.perf_counter() - started
            route = self._route(scope)
            HTTP_REQUESTS.labels(route, str(status)).inc()
            HTTP_SECONDS.labels(route).observe(seconds)
            operation = scope.get("state", {}).get("operation")
            if operation is not None:
                OPERATIONS.labels(operation, outcome_of(status)).inc()
                OPERATION_SECONDS.labels(operation).observe(seconds)


class _Snapshot(Collector):
    """Gauges computed just before the scrape (from the database and the index)."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> Iterable[Any]:
        return iter(self.families)


async def snapshot(services: Services) -> list[GaugeMetricFamily]:
    backlog = GaugeMetricFamily(
        "service_outbox_backlog",
        "Outbox entries a consumer has not applied yet (index: this host's search index).",
        labels=["consumer"],
    )
    deliveries = GaugeMetricFamily(
        "service_deliveries", "Deliveries by kind and status.", labels=["kind", "status"]
    )
    index_lag = GaugeMetricFamily(
        "service_search_index_lag_seconds", "Age of the oldest entry the index has not applied."
    )
    async with services.db.reading() as session:
        last = (await session.exec(select(func.max(OutboxEntry.id)))).one() or 0
        positions: list[ConsumerPosition | TrendsPosition] = [
            *(await session.exec(select(ConsumerPosition))).all(),
            *(await session.exec(select(TrendsPosition))).all(),
        ]
        for row in positions:
            backlog.add_metric([row.name], max(0, int(last) - row.position))
        for kind, table in (("route", Delivery), ("webhook", WebhookDelivery)):
            counts = select(table.status, func.count()).group_by(col(table.status))
            for status, count in (await session.exec(counts)).all():
                deliveries.add_metric([kind, str(status)], int(count))
    behind = await lag(services.db, services.search_engine)
    backlog.add_metric(["index"], behind.pending)
    index_lag.add_metric([], behind.seconds(services.clock()))
    return [backlog, deliveries, index_lag]


def metrics_endpoint(services: Services) -> Callable[[Request], Awaitable[Response]]:
    token = services.settings.metrics_token

    async def metrics(request: Request) -> Response:
        given = request.headers.get("authorization", "")
        if not token:
            return PlainTextResponse("Not Found", status_code=404)
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return PlainTextResponse(
                "Unauthorized", status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        families = await snapshot(services)
        # prometheus-client chose its mode from this variable when it was imported (set by
        # `serve` before the workers start): read the same way here.
        if os.environ.get(MULTIPROCESS_ENV):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        else:
            registry = CollectorRegistry()
            registry.register(_Everything())
        registry.register(_Snapshot(families))
        body = await asyncio.to_thread(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})

    return metrics


class _Everything(Collector):
    """This process's own metrics (one worker, tests)."""

    def collect(self) -> Iterable[Any]:
        return REGISTRY.collect()
