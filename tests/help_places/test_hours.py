"""Opening hours: the usual week, exceptions, public holidays, open now and opens at, all in
the time of Angers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from service.errors import DomainError
from service.help_places.display import status_text
from service.help_places.hours import ANGERS, easter_sunday, parse_hours, public_holidays
from service.i18n.catalogs import load_translations
from service.i18n.translator import Translator
from service.settings import PROJECT_ROOT, SUPPORTED_LOCALES

TRANSLATIONS = load_translations(PROJECT_ROOT / "locales", SUPPORTED_LOCALES)

HOURS = {
    "week": {
        "mon": [["09:00", "12:00"], ["14:00", "17:30"]],
        "tue": [["09:00", "12:00"]],
        "sat": [["10:00", "12:00"]],
    },
    "exceptions": [
        {"date": "2026-12-07", "periods": [], "note": "Inventaire"},
        {"date": "2026-12-24", "periods": [["09:00", "11:00"]]},
        {"date": "2026-12-25", "periods": [["10:00", "11:00"]], "note": "Permanence"},
    ],
    "closedOnPublicHolidays": True,
}


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=ANGERS)


def test_open_now_follows_the_week_in_the_time_of_angers() -> None:
    # given
    hours = parse_hours(HOURS)
    # then: Monday 14 December 2026
    assert hours.is_open(paris(2026, 12, 14, 9, 0))
    assert not hours.is_open(paris(2026, 12, 14, 12, 0))  # closes at 12:00 sharp
    assert hours.is_open(paris(2026, 12, 14, 17, 29))
    assert not hours.is_open(paris(2026, 12, 16, 10, 0))  # Wednesday: closed
    # 08:30 UTC is 09:30 in Angers in winter, 10:30 in summer
    assert hours.is_open(datetime(2026, 12, 14, 8, 30, tzinfo=UTC))
    assert not hours.is_open(datetime(2026, 7, 6, 10, 0, tzinfo=UTC))  # Monday 12:00 CEST


def test_an_exception_replaces_its_day_and_may_close_it() -> None:
    hours = parse_hours(HOURS)
    assert not hours.is_open(paris(2026, 12, 7, 10, 0))  # a Monday closed for the inventory
    assert hours.is_open(paris(2026, 12, 24, 10, 30))  # a Thursday opened by exception
    assert not hours.is_open(paris(2026, 12, 24, 11, 0))


def test_public_holidays_close_unless_an_exception_opens() -> None:
    # given
    hours = parse_hours(HOURS)
    # then: Easter Monday 2026 (6 April), Whit Monday (25 May) are closed; Christmas has a
    # permanence written as an exception
    assert easter_sunday(2026) == date(2026, 4, 5)
    assert {date(2026, 4, 6), date(2026, 5, 14), date(2026, 5, 25)} <= public_holidays(2026)
    assert not hours.is_open(paris(2026, 4, 6, 10, 0))
    assert not hours.is_open(paris(2026, 5, 25, 10, 0))
    assert hours.is_open(paris(2026, 12, 25, 10, 30))
    # a place open on holidays says so
    open_on_holidays = parse_hours({**HOURS, "closedOnPublicHolidays": False})
    assert open_on_holidays.is_open(paris(2026, 4, 6, 10, 0))


def test_opens_at_skips_closed_days_holidays_and_exceptions() -> None:
    hours = parse_hours(HOURS)
    # Sunday 6 December → the Monday 7 is closed by exception → Tuesday 8 at 09:00
    assert hours.next_opening(paris(2026, 12, 6, 15, 0)) == paris(2026, 12, 8, 9, 0)
    # Monday noon → the afternoon period
    assert hours.next_opening(paris(2026, 12, 14, 12, 30)) == paris(2026, 12, 14, 14, 0)
    # Sunday before Easter Monday → Tuesday
    assert hours.next_opening(paris(2026, 4, 5, 12, 0)) == paris(2026, 4, 7, 9, 0)
    # a place that never opens has no next opening
    assert parse_hours({"week": {}}).next_opening(paris(2026, 4, 5, 12, 0)) is None


@pytest.mark.parametrize(
    ("hours", "reason"),
    [
        ("{", "JSON"),
        ({"week": {"lundi": []}}, "Days"),
        ({"week": {"mon": [["9:00", "12:00"]]}}, "HH:MM"),
        ({"week": {"mon": [["12:00", "09:00"]]}}, "closes after"),
        ({"week": {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}}, "overlap"),
        ({"week": {}, "exceptions": [{"date": "24/12/2026"}]}, "YYYY-MM-DD"),
        ({"week": {}, "closedOnPublicHolidays": "yes"}, "true or false"),
    ],
)
def test_unreadable_hours_are_refused_with_the_reason(hours: object, reason: str) -> None:
    with pytest.raises(DomainError) as refused:
        parse_hours(hours)
    assert refused.value.code.name == "INVALID_HOURS"
    assert reason in refused.value.message % refused.value.params


def test_the_json_form_round_trips() -> None:
    hours = parse_hours(HOURS)
    assert parse_hours(hours.to_json()) == hours
    assert hours.week[0] == ((time(9), time(12)), (time(14), time(17, 30)))


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("fr", "Fermé"), ("en", "Closed now; opens Tuesday"), ("ar", "الثلاثاء")],
)
def test_the_status_speaks_the_readers_language(locale: str, expected: str) -> None:
    # given: Sunday 6 December, the next opening is Tuesday 8 at 09:00
    translator = Translator(locale, TRANSLATIONS[locale])
    # when
    open_now, text = status_text(parse_hours(HOURS), translator, paris(2026, 12, 6, 15, 0))
    # then
    assert not open_now
    assert expected in text
