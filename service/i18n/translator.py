"""The per-request translator: gettext lookups with named placeholders, babel formatting."""

from __future__ import annotations

import functools
import gettext
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_decimal

LOCAL_TIMEZONE = ZoneInfo("Europe/Paris")
# Placeholders that hold a year when given an int: written without grouping.
YEAR_PARAMS = frozenset({"year", "first", "last"})


@functools.lru_cache(maxsize=8192)
def _number(value: float, locale: str) -> str:
    # babel takes about 20 µs a number; lists repeat the same small counts over and over.
    return str(format_decimal(value, locale=locale))


@functools.lru_cache(maxsize=8192)
def _datetime(value: datetime, locale: str) -> str:
    # babel takes about 60 µs a date and time; a history shows the same ones on every read.
    local = value.astimezone(LOCAL_TIMEZONE)
    pattern = str(get_datetime_format("medium", locale=locale))
    return pattern.replace("{1}", format_date(local, "medium", locale=locale)).replace(
        "{0}", format_time(local, "short", locale=locale)
    )


@dataclass(frozen=True)
class Translator:
    """Translates msgids into one language and formats values for it."""

    locale: str
    translations: gettext.NullTranslations

    def gettext(self, message: str, **params: Any) -> str:
        translated = self.translations.gettext(message)
        return translated % self.formatted(params) if params else translated

    def ngettext(self, singular: str, plural: str, count: int, **params: Any) -> str:
        translated = self.translations.ngettext(singular, plural, count)
        return translated % {"count": self.number(count), **self.formatted(params)}

    def formatted(self, params: dict[str, Any]) -> dict[str, Any]:
        """The values of a message as its language writes them: numbers (« 0,5 », « 2 000 »)
        and dates by babel, so that no French sentence carries « 0.5 » or an ISO date. Years
        (``YEAR_PARAMS`` holding an int) stay as they are: « 2026 », not « 2 026 »."""
        return {name: self._value(name, value) for name, value in params.items()}

    def _value(self, name: str, value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and name in YEAR_PARAMS:
            return value
        if isinstance(value, int | float):
            return self.number(value)
        if isinstance(value, Decimal):
            return self.number(float(value))
        if isinstance(value, datetime):
            return self.datetime(value)
        if isinstance(value, date):
            return self.date(value)
        return value

    def number(self, value: float) -> str:
        return _number(value, self.locale)

    def date(self, value: date) -> str:
        """A day for people: « 29 novembre 2026 »."""
        return str(format_date(value, "long", locale=self.locale))

    def datetime(self, value: datetime) -> str:
        """A date and time of Angers for people: « 29 nov. 2026, 17:05 » (no seconds)."""
        return _datetime(value, self.locale)
