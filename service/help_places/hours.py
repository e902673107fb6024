"""Opening hours: a week of periods, dated exceptions, and the public holidays of France.

Stored as JSON in ``help_place.hours``::

    {"week": {"mon": [["09:00", "12:00"], ["14:00", "17:30"]], ...},
     "exceptions": [{"date": "2026-12-24", "periods": [["09:00", "12:00"]], "note": "..."},
                    {"date": "2026-12-26", "periods": []}],
     "closedOnPublicHolidays": true}

Times are wall-clock times of Angers (Europe/Paris): "open now" and "opens at" are decided
there, whatever the server's zone. An exception replaces its day's periods (none: closed);
a public holiday closes the place unless an exception says otherwise.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from service.errors import N_, DomainError
from service.help_places.errors import HelpPlaceErrorCode

ANGERS = ZoneInfo("Europe/Paris")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MAX_PERIODS_A_DAY = 4
MAX_EXCEPTIONS = 100
MAX_NOTE = 200
# How far ahead "opens at" looks (a place closed for the summer says nothing rather than lie).
LOOKAHEAD_DAYS = 31

Period = tuple[time, time]


@dataclass(frozen=True)
class DayException:
    day: date
    periods: tuple[Period, ...]  # empty: closed that day
    note: str = ""


@dataclass(frozen=True)
class OpeningHours:
    week: dict[int, tuple[Period, ...]] = field(default_factory=dict)  # 0 is Monday
    exceptions: dict[date, DayException] = field(default_factory=dict)
    closed_on_public_holidays: bool = True

    def periods_on(self, day: date) -> tuple[Period, ...]:
        """The periods the place is open on ``day`` (local wall-clock times)."""
        exception = self.exceptions.get(day)
        if exception is not None:
            return exception.periods
        if self.closed_on_public_holidays and day in public_holidays(day.year):
            return ()
        return self.week.get(day.weekday(), ())

    def is_open(self, at: datetime) -> bool:
        """Whether the place is open at ``at`` (an aware datetime, any zone)."""
        local = at.astimezone(ANGERS)
        moment = local.time().replace(tzinfo=None)
        return any(opens <= moment < closes for opens, closes in self.periods_on(local.date()))

    def next_opening(self, after: datetime) -> datetime | None:
        """When the place next opens strictly after ``after`` (aware, in Angers' zone), or
        None when it does not within ``LOOKAHEAD_DAYS``."""
        local = after.astimezone(ANGERS)
        for offset in range(LOOKAHEAD_DAYS + 1):
            day = local.date() + timedelta(days=offset)
            for opens, _ in self.periods_on(day):
                at = datetime.combine(day, opens, tzinfo=ANGERS)
                if at > local:
                    return at
        return None

    def closes_at(self, at: datetime) -> datetime | None:
        """When the period open at ``at`` ends, or None when closed then."""
        local = at.astimezone(ANGERS)
        moment = local.time().replace(tzinfo=None)
        for opens, closes in self.periods_on(local.date()):
            if opens <= moment < closes:
                return datetime.combine(local.date(), closes, tzinfo=ANGERS)
        return None

    def to_json(self) -> str:
        return json.dumps(
            {
                "week": {
                    WEEKDAYS[d]: [_pair(p) for p in periods]
                    for d, periods in sorted(self.week.items())
                    if periods
                },
                "exceptions": [
                    {"date": e.day.isoformat(), "periods": [_pair(p) for p in e.periods]}
                    | ({"note": e.note} if e.note else {})
                    for e in sorted(self.exceptions.values(), key=lambda e: e.day)
                ],
                "closedOnPublicHolidays": self.closed_on_public_holidays,
            },
            separators=(",", ":"),
        )


def _pair(period: Period) -> list[str]:
    return [period[0].strftime("%H:%M"), period[1].strftime("%H:%M")]


def invalid_hours(message: str, **params: Any) -> DomainError:
    return DomainError(HelpPlaceErrorCode.INVALID_HOURS, message, field="hours", **params)


def _time(text: object) -> time:
    found = TIME.match(text) if isinstance(text, str) else None
    if found is None:
        raise invalid_hours(N_("A time is written HH:MM, from 00:00 to 23:59."))
    return time(int(found.group(1)), int(found.group(2)))


def _periods(value: object) -> tuple[Period, ...]:
    if not isinstance(value, list) or len(value) > MAX_PERIODS_A_DAY:
        raise invalid_hours(
            N_("A day has at most %(count)s opening periods."), count=MAX_PERIODS_A_DAY
        )
    periods: list[Period] = []
    for pair in value:
        if not isinstance(pair, list) or len(pair) != 2:
            raise invalid_hours(N_("A period is a pair of times: when it opens, when it closes."))
        opens, closes = _time(pair[0]), _time(pair[1])
        if not opens < closes:
            raise invalid_hours(N_("A period closes after it opens."))
        periods.append((opens, closes))
    periods.sort()
    if any(a[1] > b[0] for a, b in zip(periods, periods[1:], strict=False)):
        raise invalid_hours(N_("The periods of one day must not overlap."))
    return tuple(periods)


def parse_hours(value: object) -> OpeningHours:
    """Opening hours from their JSON form (a text or the decoded value); raises one
    INVALID_HOURS DomainError saying what is wrong."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise invalid_hours(N_("The opening hours are not valid JSON.")) from None
    if not isinstance(value, dict) or not isinstance(value.get("week", {}), dict):
        raise invalid_hours(N_("The opening hours need a week of periods."))
    week_value: dict[str, object] = value.get("week", {})
    unknown = [d for d in week_value if d not in WEEKDAYS]
    if unknown:
        raise invalid_hours(N_("Days are written %(days)s."), days=", ".join(WEEKDAYS))
    week = {WEEKDAYS.index(d): _periods(p) for d, p in week_value.items()}
    exceptions: dict[date, DayException] = {}
    listed = value.get("exceptions", [])
    if not isinstance(listed, list) or len(listed) > MAX_EXCEPTIONS:
        raise invalid_hours(N_("At most %(count)s exceptions."), count=MAX_EXCEPTIONS)
    for entry in listed:
        if not isinstance(entry, dict):
            raise invalid_hours(N_("An exception has a date and its periods."))
        try:
            day = date.fromisoformat(str(entry.get("date")))
        except ValueError:
            raise invalid_hours(N_("An exception's date is written YYYY-MM-DD.")) from None
        note = entry.get("note", "")
        if not isinstance(note, str) or len(note) > MAX_NOTE:
            raise invalid_hours(
                N_("An exception's note has at most %(count)s characters."), count=MAX_NOTE
            )
        if day in exceptions:
            raise invalid_hours(N_("One exception a day."))
        exceptions[day] = DayException(day, _periods(entry.get("periods", [])), note)
    closed = value.get("closedOnPublicHolidays", True)
    if not isinstance(closed, bool):
        raise invalid_hours(N_("closedOnPublicHolidays is true or false."))
    return OpeningHours(week, exceptions, closed)


def easter_sunday(year: int) -> date:
    """Easter Sunday of the Gregorian calendar (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * weekday_shift) // 433
    month = (h + weekday_shift - 7 * m + 90) // 25
    day = (h + weekday_shift - 7 * m + 33 * month + 19) % 32
    return date(year, month, day)


def public_holidays(year: int) -> frozenset[date]:
    """The eleven public holidays of metropolitan France (Code du travail, L3133-1)."""
    easter = easter_sunday(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    moving = [easter + timedelta(days=n) for n in (1, 39, 50)]  # Monday, Ascension, Whit Monday
    return frozenset([date(year, m, d) for m, d in fixed] + moving)
