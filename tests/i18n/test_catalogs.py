"""Catalogs are complete, compile, and a broken one stops start-up instead of degrading."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from service.i18n import workflow
from service.i18n.catalogs import CatalogError, catalog_problems, load_translations
from service.settings import PROJECT_ROOT, SUPPORTED_LOCALES

LOCALES = PROJECT_ROOT / "locales"


def template_ids() -> set[str]:
    return workflow.msgids(LOCALES / "messages.pot")


@pytest.mark.parametrize("language", SUPPORTED_LOCALES)
def test_each_catalog_translates_every_msgid_of_the_template(language: str) -> None:
    # given
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=language)
    # when
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and m.string}
    # then
    assert catalog_problems(catalog, language) == []
    assert template_ids() <= translated


def test_every_catalog_compiles_and_translates_for_real() -> None:
    # when
    translations = load_translations(LOCALES, SUPPORTED_LOCALES)
    # then: not the msgid, not French, but the language asked for
    msgid = "The request body is not valid JSON."
    assert translations["en"].gettext(msgid) == msgid
    assert translations["fr"].gettext(msgid) == "Le corps de la requête n'est pas du JSON valide."
    assert translations["de"].gettext(msgid) == "Der Anfragetext ist kein gültiges JSON."
    assert translations["es"].gettext(msgid) == "El cuerpo de la solicitud no es un JSON válido."
    assert translations["ar"].gettext(msgid) == "نص الطلب ليس JSON صالحًا."


def copy_locales(tmp_path: Path) -> Path:
    target = tmp_path / "locales"
    shutil.copytree(LOCALES, target)
    return target


def test_a_missing_catalog_fails_loudly(tmp_path: Path) -> None:
    # given
    locales = copy_locales(tmp_path)
    (locales / "de" / "LC_MESSAGES" / "messages.po").unlink()
    # when / then
    with pytest.raises(CatalogError, match="missing catalog for 'de'"):
        load_translations(locales, SUPPORTED_LOCALES)


def test_an_untranslated_entry_fails_loudly(tmp_path: Path) -> None:
    # given: one translation emptied
    locales = copy_locales(tmp_path)
    path = locales / "es" / "LC_MESSAGES" / "messages.po"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace('msgstr "El cuerpo de la solicitud no es un JSON válido."', 'msgstr ""'),
        encoding="utf-8",
    )
    # when / then
    with pytest.raises(CatalogError, match="es: untranslated entry"):
        load_translations(locales, SUPPORTED_LOCALES)


def test_a_fuzzy_entry_or_a_wrong_placeholder_fails_loudly(tmp_path: Path) -> None:
    # given
    locales = copy_locales(tmp_path)
    path = locales / "fr" / "LC_MESSAGES" / "messages.po"
    text = path.read_text(encoding="utf-8")
    text = text.replace("%(limit)s alias.", "%(limite)s alias.")
    text = text.replace(
        '#, python-format\nmsgid "%(name)s is not valid JSON."',
        '#, fuzzy, python-format\nmsgid "%(name)s is not valid JSON."',
    )
    path.write_text(text, encoding="utf-8")
    # when / then
    with pytest.raises(CatalogError) as raised:
        load_translations(locales, SUPPORTED_LOCALES)
    assert "fr: fuzzy entry" in str(raised.value)
    assert "placeholders of 'The query uses more than %(limit)s aliases.' differ" in str(
        raised.value
    )


def test_the_template_holds_every_message_the_code_and_fixtures_use(tmp_path: Path) -> None:
    # given: a fresh extraction, as `python -m service i18n update` makes it
    fresh = tmp_path / "messages.pot"
    workflow.extract(PROJECT_ROOT, fresh)
    # then: no message is missing from the committed template, none is left over
    assert workflow.msgids(fresh) == template_ids(), "run `python -m service i18n update`"


def test_the_catalog_check_passes_on_the_project_and_fails_on_a_broken_copy(
    tmp_path: Path,
) -> None:
    # given: a copy of the catalogs with one plural form emptied and one msgid unknown to it
    locales = copy_locales(tmp_path)
    path = locales / "ar" / "LC_MESSAGES" / "messages.po"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('msgstr[2] "شخصان يدعمان هذا"', 'msgstr[2] ""'), encoding="utf-8")
    template = locales / "messages.pot"
    text = template.read_text(encoding="utf-8")
    template.write_text(text.replace('msgid "Report"\nmsgstr ""\n\n', ""), encoding="utf-8")
    # when
    clean = workflow.problems(PROJECT_ROOT, SUPPORTED_LOCALES)
    broken = workflow.problems(PROJECT_ROOT, SUPPORTED_LOCALES, locales)
    # then
    assert clean == []
    assert "ar: untranslated entry '%(count)s person supports this'" in broken
    assert any(p.startswith("template: new message 'Report'") for p in broken)
