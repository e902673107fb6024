"""Opening hours in OpenStreetMap's ``opening_hours`` syntax, as the national schema of the
places of digital mediation writes them (« Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00 »).

Written whole from our hours; read back for the common subset: day ranges with times, ``off``,
``PH off`` (closed on public holidays) and dated days (« 2026 Dec 24 09:00-12:00 », « 2026
Dec 26 off »). Anything else is refused with the part not understood, never guessed.
"""

from __future__ import annotations

import re
from datetime import date, time

from service.errors import N_, DomainError
from service.help_places.hours import DayException, OpeningHours, Period, invalid_hours

OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PERIOD = r"\d{2}:\d{2}-\d{2}:\d{2}"
_TIMES = rf"(?P<times>{_PERIOD}(?:,{_PERIOD})*|off|closed)"
_DAY = "(?:Mo|Tu|We|Th|Fr|Sa|Su)"
_DAY_RANGE = rf"{_DAY}(?:-{_DAY})?"
_DAYS = re.compile(rf"^(?P<days>{_DAY_RANGE}(?:,{_DAY_RANGE})*) {_TIMES}$")
_DATED = re.compile(
    rf"^(?P<year>\d{{4}}) (?P<month>{'|'.join(MONTHS)}) (?P<day>\d{{1,2}}) {_TIMES}$"
)
_HOLIDAYS = re.compile(r"^PH (?P<state>off|closed|open)$")


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def _times(periods: tuple[Period, ...]) -> str:
    return ",".join(f"{_hhmm(o)}-{_hhmm(c)}" for o, c in periods) or "off"


def to_osm(hours: OpeningHours) -> str:
    """Our hours in OSM's syntax: consecutive days with the same periods grouped."""
    rules: list[str] = []
    day = 0
    while day < 7:
        periods = hours.week.get(day, ())
        last = day
        while last + 1 < 7 and hours.week.get(last + 1, ()) == periods:
            last += 1
        if periods:
            days = OSM_DAYS[day] if last == day else f"{OSM_DAYS[day]}-{OSM_DAYS[last]}"
            rules.append(f"{days} {_times(periods)}")
        day = last + 1
    if hours.closed_on_public_holidays:
        rules.append("PH off")
    for exception in sorted(hours.exceptions.values(), key=lambda e: e.day):
        d = exception.day
        rules.append(f"{d.year} {MONTHS[d.month - 1]} {d.day:02d} {_times(exception.periods)}")
    return "; ".join(rules)


def _periods(text: str) -> tuple[Period, ...]:
    if text in ("off", "closed"):
        return ()
    found: list[Period] = []
    for part in text.split(","):
        opens, closes = part.split("-")
        try:
            found.append((time.fromisoformat(opens), time.fromisoformat(closes)))
        except ValueError:
            raise invalid_hours(N_("A time is written HH:MM, from 00:00 to 23:59.")) from None
    found.sort()
    if any(not o < c for o, c in found) or any(
        a[1] > b[0] for a, b in zip(found, found[1:], strict=False)
    ):
        raise invalid_hours(N_("The periods of one day must not overlap."))
    return tuple(found)


def _day_list(text: str) -> list[int]:
    days: list[int] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        start, end = OSM_DAYS.index(first), OSM_DAYS.index(last or first)
        days += list(range(start, end + 1)) if start <= end else [*range(start, 7), *range(end + 1)]
    return days


def from_osm(text: str) -> OpeningHours:
    """Our hours from OSM's syntax (the subset above); one INVALID_HOURS DomainError naming
    the rule not understood otherwise."""
    week: dict[int, tuple[Period, ...]] = {}
    exceptions: dict[date, DayException] = {}
    closed_on_holidays = False
    for raw in text.split(";"):
        rule = " ".join(raw.split())
        if not rule:
            continue
        if found := _DAYS.match(rule):
            periods = _periods(found["times"])
            for day in _day_list(found["days"]):
                week[day] = periods
        elif found := _DATED.match(rule):
            try:
                dated = date(
                    int(found["year"]), MONTHS.index(found["month"]) + 1, int(found["day"])
                )
            except ValueError:
                raise _not_understood(rule) from None
            exceptions[dated] = DayException(dated, _periods(found["times"]))
        elif found := _HOLIDAYS.match(rule):
            closed_on_holidays = found["state"] != "open"
        else:
            raise _not_understood(rule)
    return OpeningHours({d: p for d, p in week.items() if p}, exceptions, closed_on_holidays)


def _not_understood(rule: str) -> DomainError:
    return invalid_hours(
        N_("The opening hours hold a rule this service does not read: « %(rule)s »."),
        rule=rule[:60],
    )
