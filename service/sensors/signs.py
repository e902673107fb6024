"""A sensor's DTPR sign in a reader's language, as the API and the pages show it: its
entries (each element of its sign, variables filled in), the note under texts that are ALM's
unofficial translation, and the labels of a sensor's status. No GraphQL here: the API's
types (``sensors.types``) and the pages (``web.sensors``) both build on it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from service.errors import N_
from service.i18n.translator import Translator
from service.sensors import rules
from service.sensors.models import SensorElement, SensorStatus, TranslationSource

STATUS_LABELS = {
    SensorStatus.PLANNED: N_("Planned"),
    SensorStatus.ACTIVE: N_("Active"),
    SensorStatus.REMOVED: N_("Removed"),
}
UNOFFICIAL_NOTE = N_(
    "Unofficial translation of the DTPR taxonomy by Angers Loire Métropole (CC BY 4.0)."
)


def translation_note(source: TranslationSource, translator: Translator) -> str | None:
    """The note a sign or a page shows under texts that are ALM's adaptation, else None."""
    if source is TranslationSource.OFFICIAL:
        return None
    return translator.gettext(UNOFFICIAL_NOTE)


@dataclass(frozen=True)
class SignEntry:
    """One DTPR element on a sensor's sign, in a language, its variables filled in."""

    category_id: str
    category_name: str
    element_id: str
    name: str
    description: str
    variables: dict[str, str]
    language: str
    is_fallback: bool
    translation: TranslationSource


def sign_entries(
    rows: list[SensorElement], taxonomy: rules.Taxonomy, locale: str
) -> list[SignEntry]:
    """The sign's elements in sign order (an element the taxonomy no longer has is left out)."""
    categories = {c.id: c for c in taxonomy.categories}
    entries: list[SignEntry] = []
    for row in rows:
        element = taxonomy.elements.get((row.category_id, row.element_id))
        category = categories.get(row.category_id)
        if element is None or category is None:
            continue
        values: dict[str, str] = json.loads(row.variables or "{}")
        texts = taxonomy.texts_of(element)
        name, text = texts.name(locale), texts.description(locale)
        entries.append(
            SignEntry(
                category_id=row.category_id,
                category_name=taxonomy.texts_of(category).name(locale).text,
                element_id=row.element_id,
                name=rules.fill(name.text, values),
                description=rules.fill(text.text, values),
                variables=values,
                language=name.language,
                is_fallback=name.fallback or text.fallback,
                translation=rules.least_official(name, text),
            )
        )
    return entries
