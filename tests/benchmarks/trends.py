"""Trends over N items (not a test: timings have no place in the test suite).

Run from the project root: `python -m tests.benchmarks.trends [--items 1000000]`.

How the roll-ups are seeded: N synthetic items (no item rows) are drawn over 2025-2026 and
turned into contributions exactly as the outbox consumer does (`rollup.Contribution` ->
`rollup.Deltas`, the same code that maintains `trends_daily`, `trends_duration` and the
slices), then written on a throwaway SQLite database. Distribution: communes weighted like
their population (Angers about half), 20 categories with Zipf-like weights, 3 kinds, channels
app 55 % / web 25 % / counter, phone, letter, e-mail, api the rest, 7 statuses, the body of
the commune; acknowledgement after a log-normal number of hours (median about 12 h), resolution
after a log-normal number of days (median about 4 days) for 60 % of items.

Then each trends indicator is timed through the rules layer (SQL and Python, no HTTP; add
about 1-2 ms of GraphQL per request measured elsewhere), and p50/p95 printed in ms. The machine
has 2 cores shared with other engineers: figures are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import Database
from service.settings import PROJECT_ROOT, Settings
from service.trends import rules
from service.trends.bins import bin_of
from service.trends.rollup import Contribution, Deltas
from tests.support import prepare_database

FIRST_DAY, DAYS = date(2025, 1, 1), 730
KINDS = ["report"] * 8 + ["service_request"] + ["sensor_question"]
# The fixtures' own codes (the dashboard pages refuse a scope they do not know).
with (PROJECT_ROOT / "fixtures" / "routing" / "categories.csv").open(encoding="utf-8") as file:
    SUBJECTS = [row["code"] for row in csv.DictReader(file)][:20]
SUBJECT_WEIGHTS = [1 / (n + 1) for n in range(len(SUBJECTS))]
with (PROJECT_ROOT / "fixtures" / "territory" / "communes.csv").open(encoding="utf-8") as file:
    COMMUNES = sorted(
        (row["code"] for row in csv.DictReader(file)), key=lambda c: (c != "49007", c)
    )
COMMUNE_WEIGHTS = [14.0] + [0.5] * (len(COMMUNES) - 1)  # Angers about half of the items
CHANNELS = ["app", "web", "counter", "phone", "letter", "email", "api"]
CHANNEL_WEIGHTS = [55, 25, 6, 5, 2, 2, 5]
STATUSES = ["submitted", "acknowledged", "in_progress", "resolved", "rejected", "duplicate"]
STATUS_WEIGHTS = [5, 10, 10, 60, 10, 5]
BATCH = 100_000
CHECKED_ITEMS = 2_000  # seeded both ways before a fast seeding is trusted


def contributions(items: int, draw: random.Random) -> list[Contribution]:
    found = []
    for _ in range(items):
        day = FIRST_DAY + timedelta(days=draw.randrange(DAYS))
        commune = draw.choices(COMMUNES, COMMUNE_WEIGHTS)[0]
        status = draw.choices(STATUSES, STATUS_WEIGHTS)[0]
        acknowledged = status != "submitted"
        resolved = status == "resolved"
        hours_to_resolve = draw.lognormvariate(4.6, 1.0) if resolved else None
        rating = draw.randint(1, 5) if resolved and draw.random() < 0.3 else None
        counters = (
            1,
            int(acknowledged),
            int(resolved),
            int(status in ("rejected", "duplicate")),
            int(hours_to_resolve is not None and hours_to_resolve <= 168),
            int(hours_to_resolve is not None and hours_to_resolve <= 720),
            int(draw.random() < 0.02),
            int(draw.random() < 0.01),
            int(rating is not None),
            int(rating is not None and rating >= 3),
            int(rating is not None),
            rating or 0,
        )
        key = (
            day,
            draw.choice(KINDS),
            draw.choices(SUBJECTS, SUBJECT_WEIGHTS)[0],
            commune,
            draw.choices(CHANNELS, CHANNEL_WEIGHTS)[0],
            f"mairie-{commune}",
            status,
        )
        acknowledge_bin = bin_of(draw.lognormvariate(2.5, 1.2) * 3600) if acknowledged else None
        resolve_bin = bin_of(hours_to_resolve * 3600) if hours_to_resolve else None
        found.append(Contribution(key, counters, acknowledge_bin, resolve_bin))
    return found


Call = Callable[[AsyncSession], Awaitable[Any]]


def scenarios() -> dict[str, Call]:
    year = rules.Period(date(2026, 1, 1), date(2026, 12, 31), rules.Granularity.MONTH)
    quarter = rules.Period(date(2026, 4, 1), date(2026, 6, 30), rules.Granularity.WEEK)
    odd = rules.Period(date(2026, 2, 10), date(2026, 11, 20), rules.Granularity.MONTH)
    everything, angers = rules.Scope(), rules.Scope(commune_code="49007")
    reports = rules.Scope(kind="report")
    pothole = rules.Scope(subject="pothole")
    town_hall = rules.Scope(body_code="mairie-49007")
    d = rules.Dimension
    return {
        "year: breakdown by commune": lambda s: rules.breakdown(s, year, everything, d.COMMUNE),
        "year: breakdown by category": lambda s: rules.breakdown(s, year, everything, d.CATEGORY),
        "year: breakdown by status, Angers": lambda s: rules.breakdown(s, year, angers, d.STATUS),
        "year: series by month": lambda s: rules.series(s, year, everything),
        "quarter: series by week": lambda s: rules.series(s, quarter, everything),
        "year: resolution by category": lambda s: rules.resolution(s, year, everything, d.CATEGORY),
        "year: resolution by body": lambda s: rules.resolution(s, year, everything, d.BODY),
        "year: totals (routing, satisfaction)": lambda s: rules.totals(s, year, everything),
        "year: service requests": lambda s: rules.service_requests(s, year, everything),
        "10 Feb-20 Nov: resolution by category": lambda s: rules.resolution(
            s, odd, everything, d.CATEGORY
        ),
        "10 Feb-20 Nov: breakdown by channel": lambda s: rules.breakdown(
            s, odd, everything, d.CHANNEL
        ),
        "year, reports only: by category": lambda s: rules.breakdown(s, year, reports, d.CATEGORY),
        "year, reports only: resolution by category": lambda s: rules.resolution(
            s, year, reports, d.CATEGORY
        ),
        "quarter, pothole: series by week": lambda s: rules.series(s, quarter, pothole),
        "quarter, pothole: totals": lambda s: rules.totals(s, quarter, pothole),
        "year, body mairie-49007: by status": lambda s: rules.breakdown(
            s, year, town_hall, d.STATUS
        ),
        "year, body mairie-49007: resolution": lambda s: rules.resolution(
            s, year, town_hall, d.CATEGORY
        ),
    }


async def measure(db: Database, rounds: int) -> dict[str, list[float]]:
    """Wall-clock ms per call; the process's CPU ms per call under ``<name> cpu``."""
    timings: dict[str, list[float]] = {}
    for _ in range(rounds):
        for name, call in scenarios().items():
            async with db.reading() as session:
                start, start_cpu = time.perf_counter(), time.process_time()
                await call(session)
                timings.setdefault(name, []).append((time.perf_counter() - start) * 1000)
                timings.setdefault(f"{name} cpu", []).append(
                    (time.process_time() - start_cpu) * 1000
                )
    return timings


def report_scenarios(timings: dict[str, list[float]], rounds: int) -> None:
    print(f"{'scenario':<44} {'p50':>8} {'p95':>8} {'CPU p50':>8}  (ms, {rounds} rounds)")
    for name, values in timings.items():
        if not name.endswith(" cpu"):
            _report(name, values, f" {statistics.median(timings[name + ' cpu']):8.1f}")


async def seed(db: Database, items: int) -> None:
    draw = random.Random(1)
    done = 0
    while done < items:
        deltas = Deltas()
        for contribution in contributions(min(BATCH, items - done), draw):
            deltas.add(contribution, +1)
        async with db.writing() as session:
            await deltas.write(session)
        done += min(BATCH, items - done)
        print(f"\rseeded {done:,} items", end="", flush=True)
    print()


def seed_fast(path: Path, items: int) -> None:
    """The roll-ups summed in Python, the slices derived in SQL (see ``trends_seed``)."""
    from tests.benchmarks import trends_seed

    draw = random.Random(1)
    done = 0

    def drawn() -> Any:
        nonlocal done
        while done < items:
            batch = min(BATCH, items - done)
            yield from contributions(batch, draw)
            done += batch
            print(f"\rdrawn {done:,} items", end="", flush=True)

    trends_seed.write_rollups(path, drawn())
    print()
    trends_seed.derive_slices(path)


async def _seed_and_dispose(settings: Settings, items: int) -> None:
    db = Database(settings.resolved_database_url)
    try:
        await seed(db, items)
    finally:
        await db.dispose()


def check_fast_seeding(items: int) -> None:
    """Seeds ``items`` both ways (the consumer's code, the fast path): every table must match."""
    from tests.benchmarks import trends_seed

    found = []
    for fast in (False, True):
        with tempfile.TemporaryDirectory() as folder:
            settings = Settings(data_dir=Path(folder), secret_keys=("b" * 32,))
            prepare_database(settings)
            path = Path(folder) / "service.db"
            if fast:
                seed_fast(path, items)
            else:
                asyncio.run(_seed_and_dispose(settings, items))
            found.append(trends_seed.contents(path))
    for table in trends_seed.TABLES:
        assert found[0][table] == found[1][table], f"fast seeding differs in {table}"
    print(f"fast seeding checked against the consumer's code at {items:,} items: same rows")


async def count_rows(db: Database) -> str:
    from sqlalchemy import text

    found = []
    async with db.reading() as session:
        for table in (
            "trends_daily",
            "trends_duration",
            "trends_slice",
            "trends_slice_histogram",
            "trends_scoped_slice",
            "trends_scoped_slice_histogram",
        ):
            n = (await session.exec(text(f"SELECT count(*) FROM {table}"))).one()[0]  # type: ignore[call-overload]
            found.append(f"{table} {n:,}")
    return ", ".join(found)


PAGES = {
    "page: year, everything": {"periode": "2026"},
    "page: year, Angers": {"periode": "2026", "commune": "49007"},
    "page: quarter, reports only": {"periode": "2026-T2", "type": "report"},
    "page: month, pothole": {"periode": "2026-03", "categorie": "pothole"},
    "page: year, service requests, Angers": {
        "periode": "2026",
        "type": "service_request",
        "commune": "49007",
    },
    "page (council): year, body mairie-49007": {"periode": "2026", "organisme": "mairie-49007"},
    "page (council): quarter, everything": {"periode": "2026-T3"},
}


def _report(name: str, values: list[float], more: str = "") -> None:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
    print(f"{name:<44} {statistics.median(values):8.1f} {p95:8.1f}{more}")


async def measure_pages(settings: Settings, rounds: int) -> None:
    """The dashboard pages' server time (in-process ASGI: no network, no HTTP parsing), the
    council's pages with a session cookie from the API's own log-in; with the CPU time of the
    process per page (what the page costs, whatever the machine's load) and its HTML size."""
    from service.staff import rules as staff_rules
    from service.staff.models import Role
    from tests.support import operation, running_service

    email = f"bench-{time.time_ns()}@angers.fr"  # a kept database may have had one already
    async with running_service(settings) as (services, client):
        async with services.db.writing() as session:
            await staff_rules.create_staff(
                session, email=email, name="Élue", body_code="alm",
                role=Role.COUNCIL, password="correct horse battery", now=services.clock(),
            )  # fmt: skip
        timings: dict[str, list[float]] = {name: [] for name in PAGES}
        cpu: dict[str, list[float]] = {name: [] for name in PAGES}
        sizes: dict[str, int] = {}
        for _ in range(rounds):
            for name, params in PAGES.items():
                council = name.startswith("page (council)")
                if council and not client.cookies:
                    await client.post("/graphql", json={
                        "query": operation("StaffLogin"),
                        "variables": {"email": email, "password": "correct horse battery"},
                    })  # fmt: skip
                elif not council:
                    client.cookies.clear()
                start, start_cpu = time.perf_counter(), time.process_time()
                response = await client.get("/tableau-de-bord", params=params)
                timings[name].append((time.perf_counter() - start) * 1000)
                cpu[name].append((time.process_time() - start_cpu) * 1000)
                assert response.status_code == 200, (name, response.text[-500:])
                sizes[name] = len(response.content)
        print(f"{'dashboard page':<44} {'p50':>8} {'p95':>8} {'CPU p50':>8} {'HTML':>9}")
        for name, values in timings.items():
            _report(name, values, f" {statistics.median(cpu[name]):8.1f} {sizes[name]:>9,}")


async def measure_transparency(settings: Settings, items: int, rounds: int) -> None:
    """The transparency report of a year over ``items`` report rows (inserted in bulk)."""
    from service.privacy.transparency import transparency_report
    from tests.benchmarks.seed import SEED_YEAR, insert_reports

    started = time.perf_counter()
    insert_reports(settings.data_dir / "service.db", items, 1)
    print(f"{items:,} report rows inserted in {time.perf_counter() - started:.0f} s")
    db = Database(settings.resolved_database_url)
    try:
        values = []
        for _ in range(rounds):
            async with db.reading() as session:
                start = time.perf_counter()
                await transparency_report(session, SEED_YEAR)
                values.append((time.perf_counter() - start) * 1000)
        _report(f"transparency report {SEED_YEAR}", values)
    finally:
        await db.dispose()


async def run(
    items: int, rounds: int, folder: Path, transparency: bool, consumer: bool = False
) -> None:
    settings = Settings(data_dir=folder, secret_keys=("b" * 32,))
    db = Database(settings.resolved_database_url)
    try:
        started = time.perf_counter()
        if consumer:
            await seed(db, items)
        else:
            seed_fast(folder / "service.db", items)
        way = "the consumer's code" if consumer else "fast seeding"
        print(
            f"{items:,} items in {time.perf_counter() - started:.0f} s ({way}): "
            f"{await count_rows(db)}"
        )
        report_scenarios(await measure(db, rounds), rounds)
    finally:
        await db.dispose()
    await measure_pages(settings, rounds)
    if transparency:
        await measure_transparency(settings, items, max(3, rounds // 4))


async def measure_again(folder: Path, rounds: int) -> None:
    settings = Settings(data_dir=folder, secret_keys=("b" * 32,))
    db = Database(settings.resolved_database_url)
    try:
        print(f"reusing {folder}: {await count_rows(db)}")
        report_scenarios(await measure(db, rounds), rounds)
    finally:
        await db.dispose()
    await measure_pages(settings, rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description="Trends over N items (SQLite).")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument(
        "--transparency",
        action="store_true",
        help="also insert as many report rows and time the year's transparency report",
    )
    parser.add_argument(
        "--consumer",
        action="store_true",
        help="seed through the outbox consumer's code (slow: ~7 ms per item) instead of "
        "summing the roll-ups and deriving the slices in SQL",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        help="seed into this folder and keep it; if it already holds a seeded database, "
        "measure that one again (e.g. after changing the pages)",
    )
    args = parser.parse_args()
    if args.keep is not None and (args.keep / "service.db").exists():
        asyncio.run(measure_again(args.keep, args.rounds))
        return
    if not args.consumer:
        check_fast_seeding(CHECKED_ITEMS)
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        prepare_database(Settings(data_dir=folder))
        asyncio.run(run(args.items, args.rounds, folder, args.transparency, args.consumer))


if __name__ == "__main__":
    main()
