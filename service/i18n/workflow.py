"""The catalog workflow behind ``python -m service i18n update|check``.

One place holds the extraction options (the ``N_`` and ``NP_`` markers, fixture labels via
babel.cfg), so the template a developer makes and the one CI checks cannot differ.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from service.i18n.catalogs import CatalogError, load_translations

# N_("msgid") marks a message, NP_("singular", "plural") a plural pair.
KEYWORDS = ("-k", "N_", "-k", "NP_:1,2")
WIDTH = "100"


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])  # type: ignore[no-untyped-call]


def extract(project_root: Path, output: Path) -> None:
    """Write a fresh template of every msgid in the code and the fixtures to ``output``."""
    _pybabel(
        "extract",
        "-F",
        str(project_root / "babel.cfg"),
        *KEYWORDS,
        "--no-location",
        "--sort-output",
        "-w",
        WIDTH,
        "-o",
        str(output),
        str(project_root),
    )


def update(project_root: Path) -> None:
    """Extract the template, then add its new msgids to every catalog (left to translate)."""
    locales = project_root / "locales"
    extract(project_root, locales / "messages.pot")
    _pybabel(
        "update",
        "-i",
        str(locales / "messages.pot"),
        "-d",
        str(locales),
        "-w",
        WIDTH,
        "--no-fuzzy-matching",
    )


def msgids(template: Path) -> set[str]:
    with template.open("rb") as handle:
        return {str(m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(handle) if m.id}


def problems(
    project_root: Path, languages: tuple[str, ...], locales: Path | None = None
) -> list[str]:
    """Why the catalogs (``locales``, by default the project's) are not ready to ship: a stale
    template, or a catalog that is missing, incomplete, fuzzy or has mismatched placeholders.
    Empty when all is well."""
    locales = locales or project_root / "locales"
    found: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch) / "messages.pot"
        extract(project_root, fresh)
        committed = msgids(locales / "messages.pot")
        for msgid in sorted(msgids(fresh) - committed):
            found.append(f"template: new message {msgid!r}: run `python -m service i18n update`")
        for msgid in sorted(committed - msgids(fresh)):
            found.append(f"template: unused message {msgid!r}: run `python -m service i18n update`")
    try:
        load_translations(locales, languages)
    except CatalogError as error:
        found.extend(str(error).split("; "))
    return found
