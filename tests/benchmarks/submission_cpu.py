"""`python -m tests.benchmarks.submission_cpu`: the CPU time one `reportCreate` costs the
service, in process (the app through httpx's ASGI transport, a throw-away SQLite database).

CPU time of this process (``time.process_time``), not wall time: on a machine shared with
other work it moves much less than a throughput measured against a server, so that two
versions of the service can be compared (run it in each tree, e.g. ``cd ../main &&
.venv/bin/python -m tests.benchmarks.submission_cpu`` against this branch). Each round posts
``--reports`` reports with realistic descriptions (the moderation benchmark's corpus) after a
warm-up; the median round is printed, in µs of CPU per report, with its implied ceiling on
one core (reports/s).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from service.settings import Settings
from tests.support import ONE_ORIGIN_LIMITS, operation, prepare_database, running_service

DESCRIPTIONS = [
    "L'éclairage public ne fonctionne plus rue Saint-Aubin depuis trois jours : le lampadaire "
    "devant le numéro 12 clignote puis s'éteint.",
    "Nid-de-poule profond devant l'arrêt de bus, dangereux pour les vélos, depuis le 12/05.",
    "Dépôt sauvage de matelas et de gravats au bout de l'impasse des Tilleuls, 49130.",
    "Street lights are broken on the bridge, it is very dark at night.",
    "Las farolas de la calle están rotas desde el lunes.",
    "Die Straßenlaternen in der Rue Saint-Aubin sind seit Tagen kaputt.",
    "الإنارة العامة معطلة في الشارع منذ أسبوع",
    "Conteneurs pleins, appelez-moi au 06 12 34 56 78 ou jean.dupont@example.org",
    "La voiture AB-123-CD de M. Dupont est garée sur le trottoir tous les soirs.",
]


async def measure(settings: Settings, reports: int, rounds: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    query = operation("ReportCreate")
    async with running_service(settings) as (_, client):

        async def post_one() -> None:
            variables = {
                "input": {
                    "categoryCode": "pothole",
                    "latitude": 47.4712,
                    "longitude": -0.5502,
                    "description": rng.choice(DESCRIPTIONS),
                    "idempotencyKey": f"cpu-{uuid.uuid4()}",
                    "channel": "APP",
                }
            }
            response = await client.post("/graphql", json={"query": query, "variables": variables})
            assert response.status_code == 200 and '"errors":[]' in response.text

        for _ in range(200):  # warm-up: caches, first statements
            await post_one()
        timings = []
        for _ in range(rounds):
            started = time.process_time()
            for _ in range(reports):
                await post_one()
            timings.append((time.process_time() - started) / reports * 1e6)
        return timings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="alm-cpu-") as folder:
        settings = Settings(
            database_url=f"sqlite:///{Path(folder) / 'bench.db'}",
            data_dir=Path(folder),
            secret_keys=("k" * 32,),
            search_indexer=False,
            public_cache_seconds=0,
            **ONE_ORIGIN_LIMITS,
        )
        prepare_database(settings)
        timings = asyncio.run(measure(settings, args.reports, args.rounds, args.seed))
    median = statistics.median(timings)
    rounds = ", ".join(f"{t:,.0f}" for t in timings)
    print(f"reportCreate: {median:,.0f} µs of CPU per report (rounds: {rounds})")
    print(f"  ceiling on one core: {1e6 / median:,.0f} reports/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
