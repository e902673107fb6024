"""Numbers, shares, durations and dimension values as people read them, in their language."""

from __future__ import annotations

from datetime import date, timedelta

from babel.dates import format_date, format_timedelta
from babel.numbers import format_decimal, format_percent

from service.errors import N_
from service.i18n.translator import Translator
from service.items.lifecycle import Status
from service.items.models import ItemKind
from service.items.rules import Channel
from service.reference import ReferenceData
from service.trends.rules import Dimension, Granularity

CHANNEL_LABELS = {
    "app": N_("Mobile app"),
    "web": N_("Website"),
    "counter": N_("Town-hall counter"),
    "phone": N_("Phone"),
    "letter": N_("Letter"),
    "email": N_("E-mail"),
    "api": N_("Partner application"),
}


def count(value: int, translator: Translator) -> str:
    return format_decimal(value, locale=translator.locale)


def share(value: float, translator: Translator) -> str:
    return format_percent(value, "#,##0.#%", locale=translator.locale)


def mean(value: float, translator: Translator) -> str:
    return format_decimal(value, "#,##0.##", locale=translator.locale)


def duration(seconds: float, translator: Translator) -> str:
    return format_timedelta(
        timedelta(seconds=seconds), threshold=1.5, locale=translator.locale, format="long"
    )


def bucket(start: date, granularity: Granularity, translator: Translator) -> str:
    if granularity is Granularity.MONTH:
        return format_date(start, "LLLL y", locale=translator.locale)
    return format_date(start, "medium", locale=translator.locale)


def dimension_value(
    dimension: Dimension, key: str, translator: Translator, reference: ReferenceData
) -> str:
    """The name of a dimension's value (a category's label, a commune's name...)."""
    from service.items.lifecycle import KIND_LABELS
    from service.items.types import status_label

    if dimension is Dimension.KIND:
        return translator.gettext(KIND_LABELS[ItemKind(key)])
    if dimension is Dimension.STATUS:
        return status_label(Status(key), translator)
    if dimension is Dimension.COMMUNE:
        commune = reference.communes.get(key)
        return commune.name if commune else key
    if dimension is Dimension.BODY:
        body = reference.bodies.get(key)
        return body.name if body else key
    if dimension is Dimension.CHANNEL:
        return translator.gettext(CHANNEL_LABELS[key]) if key in CHANNEL_LABELS else key
    return subject(key, translator, reference)


def subject(key: str, translator: Translator, reference: ReferenceData) -> str:
    category = reference.categories.get(key)
    if category is not None:
        return translator.gettext(category.label)
    service = reference.services.services.get(key)
    if service is not None:
        return translator.gettext(service.label)
    return key or translator.gettext(N_("Other"))


if missing := {c.value for c in Channel} - set(CHANNEL_LABELS):  # checked at import
    raise RuntimeError(f"channels without a label: {', '.join(sorted(missing))}")
