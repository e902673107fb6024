"""Seed the trends tables of N synthetic items fast enough for 1,000,000 (SQLite only).

The consumer's own code (``rollup.Deltas``) spends ~7 ms of Python per item on the ~150 slice
cells each item counts in: 100,000 items took 696 s, a million would take hours. Here the
roll-ups (``trends_daily``, ``trends_duration``) are summed in Python from the same
``Contribution``s, and every slice is then derived from them in SQL: a slice is by definition
the sum of the roll-up cells of its day, month or year along one dimension. ``check()`` seeds a
few thousand items both ways and compares every table, so the fast path is held to the
consumer's result before it is trusted with a million."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from service.trends.histograms import unpack
from service.trends.models import ROLLUP_COUNTERS, SCOPES
from service.trends.rollup import (
    ASSISTED_CHANNELS,
    SLICE_DIMENSIONS,
    SLICE_DURATION_DIMENSIONS,
    Contribution,
)

STARTS = {"d": "day", "m": "strftime('%Y-%m-01', day)", "y": "strftime('%Y-01-01', day)"}
COUNTERS = ", ".join(f"sum({c})" for c in ROLLUP_COUNTERS)
ASSISTED = "sum(CASE WHEN channel IN ({}) THEN created ELSE 0 END)".format(
    ", ".join(f"'{c}'" for c in ASSISTED_CHANNELS)
)


def write_rollups(path: Path, contributions: Iterable[Contribution]) -> int:
    """Sums the contributions into ``trends_daily`` and ``trends_duration``; how many."""
    rollups: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * len(ROLLUP_COUNTERS))
    durations: dict[tuple[Any, ...], int] = defaultdict(int)
    count = 0
    for contribution in contributions:
        cell = rollups[contribution.key]
        for index, value in enumerate(contribution.counters):
            cell[index] += value
        for key in contribution.durations():
            durations[key] += 1
        count += 1
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("BEGIN")
        columns = "day, kind, subject, commune_code, channel, body_code, status, " + ", ".join(
            ROLLUP_COUNTERS
        )
        connection.executemany(
            f"INSERT INTO trends_daily ({columns}) VALUES ({', '.join('?' * 19)})",
            ((k[0].isoformat(), *k[1:], *v) for k, v in rollups.items()),
        )
        connection.executemany(
            "INSERT INTO trends_duration (day, kind, subject, commune_code, body_code, measure, "
            "bin, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ((k[0].isoformat(), *k[1:], v) for k, v in durations.items()),
        )
        connection.execute("COMMIT")
    finally:
        connection.close()
    return count


def _dimensions(histograms: bool) -> list[tuple[str, str, str]]:
    """(dimension, value expression, condition) of the slices."""
    found = [("*", "'*'", "1=1")]
    for name in SLICE_DURATION_DIMENSIONS if histograms else SLICE_DIMENSIONS:
        found.append((name, name, "1=1"))
    if not histograms:
        found.append(("service", "subject", "kind = 'service_request'"))
    return found


def derive_slices(path: Path) -> None:
    """Every slice, scoped slice and packed histogram, from the roll-ups (in SQL)."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("BEGIN")
        slice_columns = "dimension, commune_code, grain, start, value, " + ", ".join(
            (*ROLLUP_COUNTERS, "assisted")
        )
        for scope in (None, *SCOPES):
            for grain in "dmy" if scope is None else "my":
                for commune in ("'*'", "commune_code"):
                    for dimension, value, condition in _dimensions(False):
                        scope_columns = "" if scope is None else "scope, scope_value, "
                        scope_values = "" if scope is None else f"'{scope}', {scope}, "
                        table = "trends_slice" if scope is None else "trends_scoped_slice"
                        connection.execute(
                            f"INSERT INTO {table} ({scope_columns}{slice_columns}) "
                            f"SELECT {scope_values}'{dimension}', {commune}, '{grain}', "
                            f"{STARTS[grain]}, {value}, {COUNTERS}, {ASSISTED} "
                            f"FROM trends_daily WHERE {condition} "
                            f"GROUP BY {scope_values}{commune}, {STARTS[grain]}, {value}"
                        )
                    if grain == "d":  # histograms: months and years only
                        continue
                    for dimension, value, _ in _dimensions(True):
                        scope_columns = "" if scope is None else "scope, scope_value, "
                        scope_values = (
                            "" if scope is None else f"'{scope}' AS scope, {scope} AS scope_value, "
                        )
                        scope_group = "" if scope is None else f"{scope}, "
                        scope_key = "" if scope is None else "scope, scope_value, "
                        table = (
                            "trends_slice_histogram"
                            if scope is None
                            else "trends_scoped_slice_histogram"
                        )
                        connection.execute(
                            f"INSERT INTO {table} ({scope_columns}dimension, commune_code, grain, "
                            "start, value, measure, bins, count) "
                            f"SELECT {scope_key}dimension, commune_code, grain, start, value, "
                            "measure, group_concat(bin || ':' || n, ' '), sum(n) FROM ("
                            f"SELECT {scope_values}'{dimension}' AS dimension, "
                            f"{commune} AS commune_code, '{grain}' AS grain, "
                            f"{STARTS[grain]} AS start, {value} AS value, measure, bin, "
                            "sum(count) AS n FROM trends_duration "
                            f"GROUP BY {scope_group}{commune}, {STARTS[grain]}, {value}, measure, "
                            f"bin ORDER BY bin) GROUP BY {scope_key}dimension, commune_code, "
                            "grain, start, value, measure"
                        )
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
    finally:
        connection.close()


TABLES = (
    "trends_daily",
    "trends_duration",
    "trends_slice",
    "trends_scoped_slice",
    "trends_slice_histogram",
    "trends_scoped_slice_histogram",
)


def contents(path: Path) -> dict[str, set[tuple[Any, ...]]]:
    """Every table's rows without their ids (histograms unpacked: their order is free)."""
    connection = sqlite3.connect(path)
    try:
        found = {}
        for table in TABLES:
            cursor = connection.execute(f"SELECT * FROM {table}")
            names = [d[0] for d in cursor.description]
            rows = set()
            for row in cursor:
                values = dict(zip(names, row, strict=True))
                values.pop("id", None)
                if "bins" in values:
                    values["bins"] = tuple(sorted(unpack(values["bins"]).items()))
                rows.add(tuple(sorted(values.items())))
            found[table] = rows
        return found
    finally:
        connection.close()
