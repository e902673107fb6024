"""`python -m tests.benchmarks.follow_cpu`: the CPU time the follow page (``/suivi?jeton=``)
costs the service, in process, beside the trivial GraphQL query's.

The app runs through httpx's ASGI transport on a throw-away SQLite database with the demo's
reference data; the page followed is a report with a consented contact and two added pieces of
information, so its history and consents are read as a resident's page reads them. CPU time
of this process (``time.process_time``): it moves much less than a served throughput on a
shared machine, so two versions of the service can be compared (run it in each tree). The
ratio printed (trivial µs / page µs) is only indicative of the pages benchmark's « × trivial »
(budget ≥ 0.30): the in-process client's own cost is in both. ``--profile`` prints the top of
a cProfile of the page's requests.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import httpx

from service.settings import Settings
from service.tracking import rules as tracking
from tests.support import ONE_ORIGIN_LIMITS, operation, prepare_database, running_service

Request = Callable[[], Awaitable[None]]


async def _followed_token(client: httpx.AsyncClient) -> str:
    variables = {
        "input": {
            "categoryCode": "pothole",
            "latitude": 47.4712,
            "longitude": -0.5502,
            "description": "Nid-de-poule profond devant l'arrêt de bus, dangereux pour les vélos.",
            "idempotencyKey": "follow-cpu-1",
            "channel": "APP",
            "contact": {
                "name": "Camille Martin",
                "email": "camille.martin@example.org",
                "followUpConsent": True,
                "consentTextVersion": "2026-01",
                "shareWithHandlingBody": True,
                "satisfactionSurveyConsent": True,
            },
        }
    }
    response = await client.post(
        "/graphql", json={"query": operation("ReportCreate"), "variables": variables}
    )
    created = response.json()["data"]["reportCreate"]
    assert not created["errors"], created["errors"]
    return str(created["trackingToken"])


async def _timed(request: Request, count: int, rounds: int) -> list[float]:
    for _ in range(min(count, 100)):  # warm-up: caches, first statements
        await request()
    timings = []
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(count):
            await request()
        timings.append((time.process_time() - started) / count * 1e6)
    return timings


async def measure(
    settings: Settings, count: int, rounds: int, profile: bool
) -> dict[str, list[float]]:
    async with running_service(settings) as (services, client):
        token = await _followed_token(client)
        page = f"/suivi?jeton={token}"
        async with services.db.writing() as session:
            item = await services.tracking_tokens.item_for(session, token, services.clock())
            for text in ("Toujours là ce matin.", "Un cycliste est tombé hier soir."):
                tracking.add_information(session, item, text, services.clock())

        async def follow() -> None:
            response = await client.get(page, headers={"accept-language": "fr"})
            assert response.status_code == 200, response.status_code

        async def trivial() -> None:
            response = await client.post("/graphql", json={"query": "{ __typename }"})
            assert response.status_code == 200, response.status_code

        results = {"trivial": [], "follow": []}  # type: dict[str, list[float]]
        for _ in range(2):  # interleaved: a slow phase of the machine hits both
            results["trivial"] += await _timed(trivial, count, rounds)
            results["follow"] += await _timed(follow, count, rounds)
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(count):
                await follow()
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="alm-follow-") as folder:
        settings = Settings(
            database_url=f"sqlite:///{Path(folder) / 'bench.db'}",
            data_dir=Path(folder),
            secret_keys=("k" * 32,),
            search_indexer=False,
            public_cache_seconds=0,
            **ONE_ORIGIN_LIMITS,
        )
        prepare_database(settings)
        results = asyncio.run(measure(settings, args.requests, args.rounds, args.profile))
    medians = {name: statistics.median(values) for name, values in results.items()}
    for name, values in results.items():
        shown = ", ".join(f"{v:,.0f}" for v in values)
        print(f"{name:<8} {medians[name]:>8,.0f} µs CPU per request (median; rounds: {shown})")
    print(f"ratio trivial/follow: {medians['trivial'] / medians['follow']:.2f} (budget ≥ 0.30)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
