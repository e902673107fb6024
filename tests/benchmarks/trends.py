"""Trends over N items (not a test: timings have no place in the test suite).

Run from the project root: `python -m tests.benchmarks.trends [--items 1000000]`. Seeds the
roll-ups directly on a throwaway SQLite database: N items drawn at random over one year
(365 days x 3 kinds x 20 subjects x 29 communes x 6 channels x 7 statuses, body = the
commune's town hall), summed into `trends_daily` rows and `trends_duration` bins exactly as the
consumer would write them (items are never stored: the roll-ups are what queries read). Then
times each indicator of a one-year query (period + previous period) through the rules layer
(SQL and Python, no HTTP), and prints p50/p95 in ms. The machine is shared: figures are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from service.db import Database
from service.settings import Settings
from service.trends import rules
from service.trends.models import ROLLUP_COUNTERS, TrendsDaily, TrendsDuration
from tests.support import prepare_database

FIRST_DAY = date(2025, 1, 1)
KINDS = ["report", "service_request", "sensor_question"]
SUBJECTS = [f"subject-{n}" for n in range(20)]
COMMUNES = [f"49{n:03d}" for n in range(29)]
CHANNELS = ["app", "web", "counter", "phone", "letter", "api"]
STATUSES = [
    "submitted",
    "acknowledged",
    "in_progress",
    "resolved",
    "rejected",
    "duplicate",
    "closed",
]


def seed_rows(items: int, draw: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    cells: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * len(ROLLUP_COUNTERS))
    bins: dict[tuple[Any, ...], int] = defaultdict(int)
    for _ in range(items):
        day = FIRST_DAY + timedelta(days=draw.randrange(730))
        kind, subject = draw.choice(KINDS), draw.choice(SUBJECTS)
        commune, channel = draw.choice(COMMUNES), draw.choice(CHANNELS)
        status = draw.choice(STATUSES)
        body = f"mairie-{commune}"
        cell = cells[(day, kind, subject, commune, channel, body, status)]
        cell[0] += 1
        acknowledged = draw.random() < 0.8
        resolved = status == "resolved"
        cell[1] += acknowledged
        cell[2] += resolved
        if acknowledged:
            bins[(day, kind, subject, commune, body, "acknowledge", draw.randrange(1, 200))] += 1
        if resolved:
            bins[(day, kind, subject, commune, body, "resolve", draw.randrange(100, 300))] += 1
    daily_key = ("day", "kind", "subject", "commune_code", "channel", "body_code", "status")
    daily = [
        dict(zip(daily_key, key, strict=True)) | dict(zip(ROLLUP_COUNTERS, values, strict=True))
        for key, values in cells.items()
    ]
    duration_key = ("day", "kind", "subject", "commune_code", "body_code", "measure", "bin")
    durations = [
        dict(zip(duration_key, key, strict=True)) | {"count": n} for key, n in bins.items()
    ]
    return daily, durations


async def measure(db: Database, rounds: int) -> dict[str, list[float]]:
    period = rules.Period(date(2026, 1, 1), date(2026, 12, 31), rules.Granularity.MONTH)
    scope = rules.Scope()
    calls = {
        "breakdown by commune": lambda s: rules.breakdown(
            s, period, scope, rules.Dimension.COMMUNE
        ),
        "breakdown by category": lambda s: rules.breakdown(
            s, period, scope, rules.Dimension.CATEGORY
        ),
        "series (months)": lambda s: rules.series(s, period, scope),
        "resolution by body": lambda s: rules.resolution(s, period, scope, rules.Dimension.BODY),
        "totals (routing, satisfaction)": lambda s: rules.totals(s, period, scope),
        "service requests": lambda s: rules.service_requests(s, period, scope),
        "one commune, by category": lambda s: rules.breakdown(
            s, period, rules.Scope(commune_code="49007"), rules.Dimension.CATEGORY
        ),
    }
    timings: dict[str, list[float]] = defaultdict(list)
    for _ in range(rounds):
        for name, call in calls.items():
            async with db.reading() as session:
                start = time.perf_counter()
                await call(session)
                timings[name].append((time.perf_counter() - start) * 1000)
    return timings


async def run(items: int, rounds: int, folder: Path) -> None:
    settings = Settings(data_dir=folder)
    db = Database(settings.resolved_database_url)
    try:
        started = time.perf_counter()
        daily, durations = seed_rows(items, random.Random(1))
        async with db.writing() as session:
            for table, rows in ((TrendsDaily, daily), (TrendsDuration, durations)):
                for offset in range(0, len(rows), 50_000):
                    await session.exec(
                        insert(table.__table__), params=rows[offset : offset + 50_000]
                    )  # type: ignore[attr-defined,call-overload]
        print(
            f"{items:,} items -> {len(daily):,} daily rows, {len(durations):,} duration rows "
            f"(seeded in {time.perf_counter() - started:.0f} s)"
        )
        for name, values in (await measure(db, rounds)).items():
            ordered = sorted(values)
            p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
            print(f"{name:<34} p50 {statistics.median(values):7.1f} ms   p95 {p95:7.1f} ms")
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        prepare_database(Settings(data_dir=Path(folder)))
        asyncio.run(run(args.items, args.rounds, Path(folder)))


if __name__ == "__main__":
    main()
