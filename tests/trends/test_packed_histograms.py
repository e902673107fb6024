"""Packed histograms: one row per slice and measure, kept exact by the consumer (added,
taken out, emptied rows removed) and converted both ways by migration 0026."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from service import migrate
from service.context import Services
from service.trends.histograms import merged, pack, unpack
from service.trends.models import TrendsScopedSliceHistogram, TrendsSliceHistogram
from service.trends.rollup import Contribution, Deltas

pytestmark = pytest.mark.anyio


def test_a_packed_histogram_reads_back_and_drops_its_empty_bins() -> None:
    # given
    histogram = {120: 2, 3: 1, 40: 0}
    # when
    text = pack(histogram)
    # then
    assert text == "3:1 120:2"
    assert unpack(text) == {3: 1, 120: 2}
    assert merged(text, [(3, -1), (7, 4)]) == {7: 4, 120: 2}


def item(day: date, resolve_bin: int) -> Contribution:
    key = (day, "report", "pothole", "49007", "app", "mairie-49007", "resolved")
    return Contribution(key, (1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0), 10, resolve_bin)


async def histograms(services: Services) -> dict[tuple[str, ...], str]:
    found = {}
    async with services.db.reading() as session:
        for model in (TrendsSliceHistogram, TrendsScopedSliceHistogram):
            table = model.__table__  # type: ignore[attr-defined]
            for row in (await session.exec(select(table))).mappings():  # type: ignore[call-overload]
                scope = (row["scope"], row["scope_value"]) if "scope" in row else ()
                key = (*scope, row["dimension"], row["commune_code"], row["grain"],
                       str(row["start"]), row["value"], row["measure"])  # fmt: skip
                found[key] = row["bins"]
                assert sum(unpack(row["bins"]).values()) == row["count"]
    return found


async def write(services: Services, changes: list[tuple[Contribution, int]]) -> None:
    deltas = Deltas()
    for contribution, sign in changes:
        deltas.add(contribution, sign)
    async with services.db.writing() as session:
        await deltas.write(session)


async def test_items_added_and_taken_out_keep_each_slice_histogram_exact(
    fresh_services: Services,
) -> None:
    # given two items of March 1990 resolved in bins 200 and 210, written one at a time
    first, second = item(date(1990, 3, 5), 200), item(date(1990, 3, 20), 210)
    await write(fresh_services, [(first, +1)])
    await write(fresh_services, [(second, +1)])
    # then the month of all communes holds both, acknowledgement and resolution apart
    found = await histograms(fresh_services)
    month = ("*", "*", "m", "1990-03-01", "*")
    assert found[(*month, "resolve")] == "200:1 210:1"
    assert found[(*month, "acknowledge")] == "10:2"
    assert found[("subject", "pothole", "*", "*", "y", "1990-01-01", "*", "resolve")] == (
        "200:1 210:1"
    )
    # when the first item changes (resolved later) and the second leaves
    await write(fresh_services, [(first, -1), (item(date(1990, 3, 5), 230), +1), (second, -1)])
    # then
    found = await histograms(fresh_services)
    assert found[(*month, "resolve")] == "230:1"
    assert found[(*month, "acknowledge")] == "10:1"
    # and once every item is gone, no empty histogram is left behind
    await write(fresh_services, [(item(date(1990, 3, 5), 230), -1)])
    assert not {
        k: v for k, v in (await histograms(fresh_services)).items() if k[-3].startswith("1990")
    }


def test_migration_0026_packs_the_histogram_rows_and_unpacks_them_back(tmp_path: Path) -> None:
    # given a database just before 0026 with per-bin histogram rows
    url = f"sqlite+aiosqlite:///{tmp_path / 'service.db'}"
    migrate.upgrade(url, revision="0025_device_items")
    rows = [("*", "*", "m", "2026-03-01", "*", "resolve", b, c) for b, c in ((90, 2), (12, 1))]
    rows += [("kind", "49007", "y", "2026-01-01", "report", "acknowledge", 7, 3)]
    scoped = [("subject", "pothole", *row) for row in rows]
    with sqlite3.connect(tmp_path / "service.db") as connection:
        connection.executemany(
            "INSERT INTO trends_slice_duration (dimension, commune_code, grain, start, value, "
            "measure, bin, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        connection.executemany(
            "INSERT INTO trends_scoped_slice_duration (scope, scope_value, dimension, "
            "commune_code, grain, start, value, measure, bin, count) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            scoped,
        )
    # when
    migrate.upgrade(url)
    # then
    with sqlite3.connect(tmp_path / "service.db") as connection:
        packed = connection.execute(
            "SELECT dimension, grain, measure, bins, count FROM trends_slice_histogram "
            "ORDER BY grain"
        ).fetchall()
        scoped_packed = connection.execute(
            "SELECT scope, scope_value, bins FROM trends_scoped_slice_histogram ORDER BY bins"
        ).fetchall()
    assert packed == [("*", "m", "resolve", "12:1 90:2", 3), ("kind", "y", "acknowledge", "7:3", 3)]
    assert scoped_packed == [("subject", "pothole", "12:1 90:2"), ("subject", "pothole", "7:3")]
    # and back
    migrate.downgrade(url, "0025_device_items")
    with sqlite3.connect(tmp_path / "service.db") as connection:
        back = connection.execute(
            "SELECT dimension, commune_code, grain, start, value, measure, bin, count "
            "FROM trends_slice_duration"
        ).fetchall()
        scoped_back = connection.execute(
            "SELECT scope, scope_value, dimension, commune_code, grain, start, value, measure, "
            "bin, count FROM trends_scoped_slice_duration"
        ).fetchall()
    assert sorted(back) == sorted(rows)
    assert sorted(scoped_back) == sorted(scoped)
