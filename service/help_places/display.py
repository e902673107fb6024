"""The directory as people read it: labels of kinds and offers, and opening hours formatted
by babel in the reader's language (« lun. 09:00 – 12:00 », « Mon 9:00 AM – 12:00 PM »)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from babel.dates import format_interval, format_skeleton, get_day_names, get_time_format

from service.errors import N_
from service.help_places.hours import ANGERS, OpeningHours
from service.help_places.models import Offer, PlaceKind
from service.i18n.translator import Translator

KIND_LABELS = {
    PlaceKind.TOWN_HALL: N_("Town hall"),
    PlaceKind.CCAS: N_("Social action centre (CCAS)"),
    PlaceKind.FRANCE_SERVICES: N_("France Services"),
    PlaceKind.LIBRARY: N_("Library"),
    PlaceKind.ASSOCIATION: N_("Association"),
    PlaceKind.THIRD_PLACE: N_("Third place"),
    PlaceKind.SOCIAL_CENTRE: N_("Social centre"),
}
OFFER_LABELS = {
    Offer.FREE_COMPUTER: N_("Free computer"),
    Offer.WIFI: N_("Free Wi-Fi"),
    Offer.DIGITAL_MEDIATOR: N_("A digital mediator"),
    Offer.PROCEDURE_HELP: N_("Help with an online procedure"),
    Offer.PRINTING: N_("Printing and scanning"),
    Offer.LANGUAGE_HELP: N_("Help in another language"),
    Offer.REDUCED_MOBILITY: N_("Accessible with reduced mobility"),
}


@dataclass(frozen=True)
class DayLine:
    weekday: int  # 0 is Monday
    label: str  # « lun. »
    text: str  # « 09:00 – 12:00, 14:00 – 17:00 » or « Closed »
    today: bool


@dataclass(frozen=True)
class ExceptionLine:
    day: date
    periods: tuple[tuple[time, time], ...]  # empty: closed
    text: str  # « 09:00 – 12:00 » or « Closed »
    note: str  # the keeper's, or « Public holiday »


def upcoming(
    hours: OpeningHours, translator: Translator, today: date, limit: int = 10
) -> list[ExceptionLine]:
    """The next days, within a month, that differ from the usual week: exceptions, and
    public holidays that close the place."""
    found = []
    for offset in range(31):
        day = today + timedelta(days=offset)
        periods = hours.periods_on(day)
        exception = hours.exceptions.get(day)
        if exception is None and periods == hours.week.get(day.weekday(), ()):
            continue
        note = exception.note if exception else translator.gettext(N_("Public holiday"))
        found.append(ExceptionLine(day, periods, periods_text(periods, translator), note))
    return found[:limit]


@functools.lru_cache(maxsize=64)
def _skeleton(locale: str) -> str:
    pattern = str(get_time_format("short", locale=locale).pattern)
    return "hm" if "h" in pattern else "Hm"


@functools.lru_cache(maxsize=4096)
def period_text(opens: time, closes: time, locale: str) -> str:
    return str(format_interval(opens, closes, _skeleton(locale), locale=locale))


def periods_text(periods: tuple[tuple[time, time], ...], translator: Translator) -> str:
    if not periods:
        return translator.gettext(N_("Closed"))
    return ", ".join(period_text(o, c, translator.locale) for o, c in periods)


def week_lines(hours: OpeningHours, translator: Translator, today: date) -> list[DayLine]:
    """The usual week, Monday first (public holidays and exceptions are told apart)."""
    names = get_day_names("abbreviated", locale=translator.locale)
    return [
        DayLine(
            day,
            str(names[day]),
            periods_text(hours.week.get(day, ()), translator),
            day == today.weekday(),
        )
        for day in range(7)
    ]


def status_text(hours: OpeningHours, translator: Translator, now: datetime) -> tuple[bool, str]:
    """Whether it is open now, and a sentence saying so: « Open now, until 12:00 »,
    « Closed now; opens Mon 09:00 »."""
    local = now.astimezone(ANGERS)
    closes = hours.closes_at(local)
    if closes is not None:
        return True, translator.gettext(
            N_("Open now, until %(time)s"), time=_time(closes, translator.locale)
        )
    opens = hours.next_opening(local)
    if opens is None:
        return False, translator.gettext(N_("Closed now"))
    if opens.date() == local.date():
        return False, translator.gettext(
            N_("Closed now; opens today at %(time)s"), time=_time(opens, translator.locale)
        )
    day = str(get_day_names("wide", locale=translator.locale)[opens.weekday()])
    return False, translator.gettext(
        N_("Closed now; opens %(day)s %(date)s at %(time)s"),
        day=day,
        date=translator.date(opens.date()),
        time=_time(opens, translator.locale),
    )


def _time(at: datetime, locale: str) -> str:
    # The skeleton's first half: a lone time in the same style as the periods.

    return str(format_skeleton(_skeleton(locale), at.time(), locale=locale))


def kind_label(kind: str, translator: Translator) -> str:
    try:
        return translator.gettext(KIND_LABELS[PlaceKind(kind)])
    except ValueError:
        return kind


def offer_labels(offers: str, translator: Translator) -> list[str]:
    known = {o.value: o for o in Offer}
    return [translator.gettext(OFFER_LABELS[known[o]]) for o in offers.split() if o in known]
