"""``/healthz`` (the process answers) and ``/readyz`` (it can serve: database, schema, and a
search index kept up to date)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse

from service.context import Services
from service.db import DatabaseUnavailable
from service.migrate import current_revision_async, head_revision
from service.search.indexer import lag
from service.search.status import read_status, readiness

# The keys of documents set aside shown (the newest): `reindex` and the logs say the rest.
SET_ASIDE_SHOWN = 20


async def healthz(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


async def _search_readiness(
    services: Services, checks: dict[str, str]
) -> tuple[bool, dict[str, object]]:
    """Whether the index is kept up to date (``checks["searchIndexer"]`` says why not: a
    failing or stalled indexer, see search/status.py; a lagging index that moves is ready,
    it still answers, slightly stale), and the search block."""
    now = services.clock()
    status = await asyncio.to_thread(read_status, services.search_status_path)
    try:
        behind = await lag(services.db, services.search_engine)
        set_aside = await asyncio.to_thread(services.search_engine.set_aside)
    except Exception as error:  # an index that cannot be read cannot serve
        # The indexer's own word first (failing, and why), if it has said so.
        failing = readiness(status, 0, 0.0, now)
        unreadable = f"search index unreadable ({type(error).__name__})"
        checks["searchIndexer"] = unreadable if failing.ready else failing.reason
        return False, {"error": type(error).__name__}
    verdict = readiness(status, behind.pending, behind.seconds(now), now)
    checks["searchIndexer"] = verdict.reason
    follows = await services.search_index_identity()
    ready = verdict.ready
    if follows.instance_id != services.instance_id:
        # Another database's index: its answers are not this instance's (restarting the
        # service, or `reindex`, rebuilds it from this database).
        ready = False
        checks["searchIndex"] = "follows another database: run `python -m service reindex`"
    else:
        checks["searchIndex"] = "follows this database"
    return ready, {
        "instance": follows.instance_id,
        "engine": services.settings.search_engine,
        "position": behind.position,
        "pendingEntries": behind.pending,
        "lagSeconds": round(behind.seconds(now), 3),
        # Documents left out of the index (a builder's bug, a text the engine refused):
        # their keys, so that staff can look at them; the logs say why.
        "setAside": {"count": len(set_aside), "keys": list(set_aside)[-SET_ASIDE_SHOWN:]},
    }


def readiness_endpoint(
    services: Services, loops: Callable[[], dict[str, dict[str, object]]] = dict
) -> Callable[[Request], Awaitable[JSONResponse]]:
    """``loops``: the background loops' health (service.background), shown as it is: a loop
    that failed runs again by itself, and this process still serves meanwhile."""
    head = head_revision()

    async def readyz(_: Request) -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            async with services.db.reading() as session:
                revision = await current_revision_async(session)
            checks["database"] = "ok"
            checks["migrations"] = "current" if revision == head else f"at {revision}, not {head}"
        except Exception as error:  # any failure means "not ready"
            checks["database"] = str(DatabaseUnavailable(type(error).__name__))
            checks["migrations"] = "unknown"
        ready = checks["database"] == "ok" and checks["migrations"] == "current"
        search: dict[str, object] = {}
        if ready:
            ready, search = await _search_readiness(services, checks)
        return JSONResponse(
            {
                "status": "ready" if ready else "not ready",
                "checks": checks,
                "search": search,
                "loops": loops(),
            },
            status_code=200 if ready else 503,
            headers={"Cache-Control": "no-store"},
        )

    return readyz
