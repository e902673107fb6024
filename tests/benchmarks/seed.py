"""Fill a benchmark database with reports directly, before the server starts.

Submitting 100,000 reports through the API would take minutes and measure the submission path;
what the read scenarios need is only a table of that size. So the schema and the reference data
are made by the service's own commands (`migrate`, `load-fixtures`, the code under test), and the
reports are then inserted with the sqlite3 module in one transaction, with rows shaped like the
ones `reportCreate` stores (checked against a real submission).
"""

from __future__ import annotations

import csv
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.benchmarks.scenarios import FRENCH_DESCRIPTIONS, random_angers_point
from tests.benchmarks.server import PROJECT_ROOT, ServerFailed

CATEGORIES_CSV = PROJECT_ROOT / "fixtures" / "routing" / "categories.csv"
DUE_TARGETS_CSV = PROJECT_ROOT / "fixtures" / "routing" / "due_targets.csv"
ANGERS = "49007"
SEED_YEAR = 2025
# A share of resolved reports, so that "open ones first" in nearbyReports has something to sort.
RESOLVED_SHARE = 0.15
INSERT_BATCH = 10_000
ITEM_COLUMNS = (
    "reference",
    "kind",
    "status",
    "commune_code",
    "category_code",
    "body_code",
    "competence",
    "routing_reason",
    "delivery_state",
    "latitude",
    "longitude",
    "description",
    "public_description",
    "channel",
    "language",
    "idempotency_scope",
    "idempotency_key",
    "request_fingerprint",
    "token_nonce",
    "support_count",
    "created_at",
    "updated_at",
    "resolved_at",
    "due_at",
    "moderation",
    "open_flags",
    "public_text_edited",
)
ItemRow = tuple[str | float | int | None, ...]


@dataclass(frozen=True)
class Seeding:
    reports: int
    schema_seconds: float  # migrate + load-fixtures (two service processes)
    insert_seconds: float

    @property
    def total_seconds(self) -> float:
        return self.schema_seconds + self.insert_seconds


def seed_database(data_dir: Path, env: Mapping[str, str], reports: int, seed: int) -> Seeding:
    """Migrate `data_dir`'s database, load the fixtures, insert `reports` reports; timed."""
    started = time.perf_counter()
    for command in ("migrate", "load-fixtures"):
        _service_command(command, env)
    schema_seconds = time.perf_counter() - started
    started = time.perf_counter()
    insert_reports(data_dir / "service.db", reports, seed)
    return Seeding(reports, schema_seconds, time.perf_counter() - started)


def insert_reports(db_path: Path, count: int, seed: int) -> None:
    """`count` reports in Angers, ALM-2025-000001 onwards, and the 2025 reference counter."""
    connection = sqlite3.connect(db_path, isolation_level=None)
    try:
        # Foreign keys on: a category or body code that the fixtures lack must fail here, not
        # produce rows that the server then joins to nothing. Durability is not needed for a
        # throw-away database, and fsyncs would dominate the timing.
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA synchronous=OFF")
        start = _first_number(connection)
        placeholders = ", ".join("?" for _ in ITEM_COLUMNS)
        insert = f"INSERT INTO item ({', '.join(ITEM_COLUMNS)}) VALUES ({placeholders})"
        connection.execute("BEGIN")
        rows = _rows(start, count, random.Random(seed))
        while batch := [row for _, row in zip(range(INSERT_BATCH), rows, strict=False)]:
            connection.executemany(insert, batch)
        # The service numbers references from this counter: without it, its first submission of
        # 2025 would be given ALM-2025-000001 again and fail on the unique reference.
        connection.execute(
            "INSERT INTO reference_counter (year, last) VALUES (?, ?) "
            "ON CONFLICT (year) DO UPDATE SET last = excluded.last",
            (SEED_YEAR, start + count - 1),
        )
        connection.execute("COMMIT")
        # Fresh statistics, as a database that has lived would have; the planner uses them.
        connection.execute("ANALYZE")
    finally:
        connection.close()


def _first_number(connection: sqlite3.Connection) -> int:
    row = connection.execute(
        "SELECT last FROM reference_counter WHERE year = ?", (SEED_YEAR,)
    ).fetchone()
    return 1 if row is None else int(row[0]) + 1


def _routing() -> dict[str, tuple[str, str]]:
    """Category code → (competence, body code), as the default routing would decide in Angers."""
    with CATEGORIES_CSV.open(encoding="utf-8", newline="") as file:
        return {
            row["code"]: (
                (row["competence"], row["metropole_body_code"])
                if row["competence"] == "metropole"
                else ("commune", f"mairie-{ANGERS}")
            )
            for row in csv.DictReader(file)
        }


def _due_hours() -> dict[tuple[str, str], int]:
    """(category, body code or "") → target hours, as ``routing.due`` reads the fixture."""
    with DUE_TARGETS_CSV.open(encoding="utf-8", newline="") as file:
        return {
            (row["code"], row["body_code"]): int(row["hours"])
            for row in csv.DictReader(file)
            if row["subject"] == "category"
        }


def _rows(start: int, count: int, rng: random.Random) -> Iterator[ItemRow]:
    routing = _routing()
    targets = _due_hours()
    categories = sorted(routing)
    year_start = datetime(SEED_YEAR, 1, 1, tzinfo=UTC)
    # Spread over the year in the order of the ids, as submissions would be: newest first by id
    # is then also newest first by date.
    step = timedelta(days=365) / max(count, 1)
    for offset in range(count):
        number = start + offset
        category = rng.choice(categories)
        competence, body = routing[category]
        latitude, longitude = random_angers_point(rng)
        description = rng.choice(FRENCH_DESCRIPTIONS)
        created = year_start + step * offset
        resolved = rng.random() < RESOLVED_SHARE
        updated = created + timedelta(days=rng.randint(1, 20)) if resolved else created
        hours = targets.get((category, body), targets.get((category, "")))
        yield (
            f"ALM-{SEED_YEAR}-{number:06d}",
            "report",
            "resolved" if resolved else "submitted",
            ANGERS,
            category,
            body,
            competence,
            "bench",
            "triage",
            latitude,
            longitude,
            description,
            description,
            "app",
            "fr",
            "bench",
            f"seed-{number:07d}",
            "x",
            "x",
            0,
            _stored(created),
            _stored(updated),
            _stored(updated) if resolved else None,
            _stored(created + timedelta(hours=hours)) if hours is not None else None,
            "visible",
            0,
            0,
        )


def _stored(moment: datetime) -> str:
    # The text SQLAlchemy's SQLite DateTime writes and parses back (UTC, naive, microseconds).
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _service_command(command: str, env: Mapping[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "service", command],
        cwd=PROJECT_ROOT,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise ServerFailed(
            f"`python -m service {command}` exited with code {done.returncode} while seeding:\n"
            f"{(done.stdout + done.stderr).strip()[-3000:]}"
        )
