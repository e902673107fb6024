"""The per-request translator: gettext lookups with named placeholders, babel formatting."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_decimal

LOCAL_TIMEZONE = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Translator:
    """Translates msgids into one language and formats values for it."""

    locale: str
    translations: gettext.NullTranslations

    def gettext(self, message: str, **params: Any) -> str:
        translated = self.translations.gettext(message)
        return translated % params if params else translated

    def ngettext(self, singular: str, plural: str, count: int, **params: Any) -> str:
        translated = self.translations.ngettext(singular, plural, count)
        return translated % {"count": self.number(count), **params}

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.locale)

    def datetime(self, value: datetime) -> str:
        return format_datetime(value, format="medium", tzinfo=LOCAL_TIMEZONE, locale=self.locale)
