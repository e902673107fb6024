"""Slices cover a period exactly: every day once, by the coarsest whole years and months."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from service.trends.slices import ranges


def days_of(spans: list[tuple[str, date, date]]) -> list[date]:
    found = []
    for grain, first, last in spans:
        start = first
        while start <= last:
            if grain == "d":
                found.append(start)
                start += timedelta(days=1)
                continue
            following = (
                date(start.year + 1, 1, 1)
                if grain == "y"
                else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
            )
            day = start
            while day < following:
                found.append(day)
                day += timedelta(days=1)
            start = following
    return found


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2026, 1, 1), date(2026, 12, 31)),
        (date(2025, 12, 15), date(2027, 2, 10)),
        (date(2026, 1, 15), date(2026, 3, 10)),
        (date(2024, 2, 29), date(2024, 3, 1)),
        (date(2026, 3, 1), date(2026, 3, 31)),
        (date(2023, 7, 1), date(2026, 6, 30)),
    ],
)
def test_ranges_cover_every_day_of_the_period_once(start: date, end: date) -> None:
    # when
    spans = ranges(start, end)
    # then
    expected = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    assert days_of(spans) == expected


def test_a_calendar_year_is_one_slice_and_a_month_series_uses_months() -> None:
    assert ranges(date(2026, 1, 1), date(2026, 12, 31)) == [
        ("y", date(2026, 1, 1), date(2026, 1, 1))
    ]
    assert ranges(date(2026, 1, 1), date(2026, 12, 31), "md") == [
        ("m", date(2026, 1, 1), date(2026, 12, 1))
    ]
