"""``/healthz`` (the process answers) and ``/readyz`` (it can serve: database and schema)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse

from service.context import Services
from service.db import DatabaseUnavailable
from service.migrate import current_revision_async, head_revision
from service.search.indexer import lag


async def healthz(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


def readiness_endpoint(services: Services) -> Callable[[Request], Awaitable[JSONResponse]]:
    head = head_revision()

    async def readyz(_: Request) -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            async with services.db.reading() as session:
                revision = await current_revision_async(session)
            checks["database"] = "ok"
            checks["migrations"] = "current" if revision == head else f"at {revision}, not {head}"
        except Exception as error:  # noqa: BLE001  (any failure means "not ready")
            checks["database"] = str(DatabaseUnavailable(type(error).__name__))
            checks["migrations"] = "unknown"
        ready = checks["database"] == "ok" and checks["migrations"] == "current"
        search: dict[str, object] = {}
        if ready:
            # Reported, not a condition of readiness: a lagging index still answers searches
            # (slightly stale), and a worker that refused traffic would not make it catch up.
            try:
                behind = await lag(services.db, services.search_engine)
                search = {
                    "engine": services.settings.search_engine,
                    "position": behind.position,
                    "pendingEntries": behind.pending,
                    "lagSeconds": round(behind.seconds(services.clock()), 3),
                }
            except Exception as error:  # noqa: BLE001
                search = {"error": type(error).__name__}
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks, "search": search},
            status_code=200 if ready else 503,
            headers={"Cache-Control": "no-store"},
        )

    return readyz
