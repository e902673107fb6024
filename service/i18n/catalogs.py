"""Gettext catalogs: read from ``locales/<lang>/LC_MESSAGES/messages.po``, checked, compiled.

The ``.po`` files are compiled to MO in memory at start-up (babel's ``write_mo``, loaded by
``gettext.GNUTranslations``): no compiled file to build, ship or let go stale. A missing,
incomplete or broken catalog raises ``CatalogError`` instead of silently falling back to the
English msgids, which is what gettext would do.
"""

from __future__ import annotations

import gettext
import io
import re
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


class CatalogError(RuntimeError):
    """A catalog is missing, incomplete or inconsistent; the message lists every problem."""


def catalog_path(locales_dir: Path, language: str) -> Path:
    return locales_dir / language / "LC_MESSAGES" / "messages.po"


def read_catalog(locales_dir: Path, language: str) -> Catalog:
    path = catalog_path(locales_dir, language)
    if not path.is_file():
        raise CatalogError(f"missing catalog for {language!r}: {path}")
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def catalog_problems(catalog: Catalog, language: str) -> list[str]:
    """Every entry that is empty, fuzzy, or whose placeholders differ from its msgid."""
    problems: list[str] = []
    for message in catalog:
        if not message.id:
            continue  # the header
        msgid = next(iter(_ids(message.id)))
        raw: object = message.string
        strings: list[str] = (
            [s for s in raw if isinstance(s, str)] if isinstance(raw, tuple) else [str(raw or "")]
        )
        if message.fuzzy:
            problems.append(f"{language}: fuzzy entry {msgid!r}")
        if any(not s for s in strings):
            problems.append(f"{language}: untranslated entry {msgid!r}")
            continue
        expected = {name for part in _ids(message.id) for name in PLACEHOLDER.findall(part)}
        for translated in strings:
            found = set(PLACEHOLDER.findall(translated))
            # A plural form may leave out %(count)s (Arabic's "one" form says it in words).
            if found - expected or (expected - found) - {"count"}:
                problems.append(
                    f"{language}: placeholders of {msgid!r} differ: "
                    f"expected {sorted(expected)}, found {sorted(found)}"
                )
    return problems


def _ids(message_id: object) -> Iterable[str]:
    if isinstance(message_id, str):
        return (message_id,)
    return [part for part in message_id if isinstance(part, str)]  # type: ignore[attr-defined]


def compile_catalog(catalog: Catalog) -> gettext.GNUTranslations:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def load_translations(
    locales_dir: Path, languages: Iterable[str]
) -> dict[str, gettext.GNUTranslations]:
    """Compile every language's catalog, or raise CatalogError listing all problems."""
    problems: list[str] = []
    translations: dict[str, gettext.GNUTranslations] = {}
    for language in languages:
        try:
            catalog = read_catalog(locales_dir, language)
        except CatalogError as error:
            problems.append(str(error))
            continue
        except Exception as error:  # babel raises several types for a malformed file
            problems.append(f"{language}: unreadable catalog: {error}")
            continue
        found = catalog_problems(catalog, language)
        if not found and len(catalog) == 0:
            found = [f"{language}: the catalog is empty"]
        problems.extend(found)
        translations[language] = compile_catalog(catalog)
    if problems:
        raise CatalogError("; ".join(problems))
    return translations
