"""The DTPR taxonomy: 8 categories and 124 elements, French and English from DTPR (official),
Spanish, German and Arabic translated by ALM (adapted, and said so), a language without a text
falling back to French with a flag; its CC BY attribution is served."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.fixtures import load_fixtures
from service.sensors import rules
from service.settings import PROJECT_ROOT, Settings
from tests.support import (
    data_of,
    operation,
    prepare_database,
    running_service,
    throwaway_database,
)

pytestmark = pytest.mark.anyio

SIGN_ORDER = ["purpose", "tech", "data", "process", "access", "storage", "retention", "accountable"]


def element(taxonomy: dict, category: str, element_id: str) -> dict:  # type: ignore[type-arg]
    found = next(c for c in taxonomy["categories"] if c["id"] == category)
    return next(e for e in found["elements"] if e["id"] == element_id)  # type: ignore[no-any-return]


async def test_the_taxonomy_has_its_8_categories_and_124_elements_in_french(
    client: httpx.AsyncClient,
) -> None:
    # when
    taxonomy = (await data_of(client, operation("DtprTaxonomy"), language="fr"))["dtprTaxonomy"]
    # then
    assert [c["id"] for c in taxonomy["categories"]] == SIGN_ORDER
    assert sum(len(c["elements"]) for c in taxonomy["categories"]) == 124
    purpose = taxonomy["categories"][0]
    assert purpose["name"] == "But" and purpose["language"] == "fr"
    assert not purpose["isFallback"]
    retained = element(taxonomy, "retention", "data_retained")
    assert retained["name"] == "Retenu {{duration}}" and retained["variables"] == ["duration"]
    assert retained["translation"] == "OFFICIAL" and taxonomy["translationNote"] is None


async def test_english_comes_from_dtpr_too(client: httpx.AsyncClient) -> None:
    # when
    taxonomy = (await data_of(client, operation("DtprTaxonomy"), language="en"))["dtprTaxonomy"]
    # then
    mobility = element(taxonomy, "purpose", "mobility")
    assert mobility["language"] == "en" and not mobility["isFallback"]
    assert mobility["translation"] == "OFFICIAL" and taxonomy["translationNote"] is None
    assert taxonomy["categories"][0]["name"] == "Purpose"


ADAPTED = {
    "es": ("Finalidad", "Conservados {{duration}}", "Traducción no oficial"),
    "de": ("Zweck", "Aufbewahrt: {{duration}}", "Inoffizielle Übersetzung"),
    "ar": ("الغرض", "محفوظة لمدة {{duration}}", "ترجمة غير رسمية"),
}
TRANSLATIONS = PROJECT_ROOT / "fixtures" / "dtpr" / "translations"
PLACEHOLDER = re.compile(r"\{\{[^}]*\}\}")


@pytest.mark.parametrize("language", ["es", "de", "ar"])
async def test_spanish_german_and_arabic_are_alms_translations_and_say_so(
    client: httpx.AsyncClient, language: str
) -> None:
    # when
    taxonomy = (await data_of(client, operation("DtprTaxonomy"), language=language))["dtprTaxonomy"]
    # then: every text in the language asked for, marked as ALM's adaptation
    purpose, retained_name, note = ADAPTED[language]
    for category in taxonomy["categories"]:
        assert (category["language"], category["isFallback"]) == (language, False)
        assert category["translation"] == "ADAPTED"
        for item in category["elements"]:
            assert (item["language"], item["isFallback"]) == (language, False)
            assert item["translation"] == "ADAPTED"
    assert taxonomy["categories"][0]["name"] == purpose
    retained = element(taxonomy, "retention", "data_retained")
    assert retained["name"] == retained_name and retained["variables"] == ["duration"]
    assert taxonomy["translationNote"].startswith(note)
    assert "Angers Loire Métropole" in taxonomy["translationNote"]
    # and the credit DTPR's licence asks for is still there
    assert "Helpful Places" in taxonomy["attribution"]


def english_texts() -> dict[tuple[str, str], dict[str, str]]:
    data = json.loads((PROJECT_ROOT / "fixtures" / "dtpr" / "taxonomy.json").read_text())
    texts: dict[tuple[str, str], dict[str, str]] = {}
    for category in data["categories"]:
        texts[(category["id"], "")] = {k: category[k]["en"] for k in ("name", "description")}
        for item in category["elements"]:
            texts[(category["id"], item["id"])] = {
                k: item[k]["en"] for k in ("name", "description")
            }
    return texts


def translated_texts(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    texts: dict[tuple[str, str], dict[str, str]] = {}
    for category_id, category in data["categories"].items():
        texts[(category_id, "")] = category
        for element_id, item in category["elements"].items():
            texts[(category_id, element_id)] = item
    return texts


@pytest.mark.parametrize("language", ["es", "de", "ar"])
def test_every_category_and_element_is_translated_with_the_english_placeholders(
    language: str,
) -> None:
    # given
    english = english_texts()
    # when
    translated = translated_texts(TRANSLATIONS / f"{language}.json")
    # then: the 8 categories and 124 elements, nothing else, none empty, same {{...}}
    assert set(translated) == set(english) and len(english) == 8 + 124
    copied = 0
    for key, texts in english.items():
        for field in ("name", "description"):
            text = translated[key][field]
            assert text.strip(), (key, field)
            assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(texts[field]))
            copied += text == texts[field]
    # and translated, not copied: only names like « GPS », « Radar » or « Chatbot » stay as is
    assert copied < 12


@pytest.fixture
def fixtures_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "fixtures"
    shutil.copytree(PROJECT_ROOT / "fixtures", copy)
    return copy


@pytest.fixture
def copied_settings(tmp_path: Path, fixtures_copy: Path) -> Iterator[Settings]:
    """A database of its own loaded from a copy of the fixtures that a test may edit."""
    with throwaway_database(os.environ.get("TEST_DATABASE_URL"), tmp_path) as url:
        settings = Settings(
            database_url=url,
            data_dir=tmp_path,
            secret_keys=("k" * 32,),
            fixtures_dir=fixtures_copy,
        )
        prepare_database(settings)
        yield settings


def edit(path: Path, change: Any) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


async def test_a_language_without_a_text_falls_back_to_french_and_reloading_updates_texts(
    copied_settings: Settings, fixtures_copy: Path
) -> None:
    # given: a service whose fixtures are a copy we can edit, loaded once
    async with running_service(copied_settings) as (services, client):
        # when: German loses its « Mobility », Arabic its whole file, Spanish is reworded,
        # and the fixtures are loaded again
        folder = fixtures_copy / "dtpr" / "translations"
        edit(folder / "de.json", lambda d: d["categories"]["purpose"]["elements"].pop("mobility"))
        (folder / "ar.json").unlink()

        def reword(data: dict[str, Any]) -> None:
            data["categories"]["purpose"]["elements"]["mobility"]["name"] = "Movilidad urbana"

        edit(folder / "es.json", reword)
        counts = await load_fixtures(copied_settings, services.db)
        german = await taxonomy_in(client, "de")
        arabic = await taxonomy_in(client, "ar")
        spanish = await taxonomy_in(client, "es")
    # then: the missing text falls back to DTPR's French, and says so
    assert counts["DTPR translated texts"] == 2 * (8 + 124) - 1
    mobility = element(german, "purpose", "mobility")
    assert (mobility["name"], mobility["language"], mobility["isFallback"]) == (
        "Mobilité",
        "fr",
        True,
    )
    assert mobility["translation"] == "OFFICIAL"
    loop = element(german, "tech", "induction_loop")
    assert (loop["name"], loop["language"], loop["translation"]) == (
        "Induktionsschleife",
        "de",
        "ADAPTED",
    )
    assert german["translationNote"].startswith("Inoffizielle Übersetzung")
    for category in arabic["categories"]:
        assert (category["language"], category["isFallback"]) == ("fr", True)
        for item in category["elements"]:
            assert (item["language"], item["isFallback"]) == ("fr", True)
            assert item["translation"] == "OFFICIAL"
    assert arabic["categories"][0]["name"] == "But" and arabic["translationNote"] is None
    # and the reworded text replaced the old one
    assert element(spanish, "purpose", "mobility")["name"] == "Movilidad urbana"


async def taxonomy_in(client: httpx.AsyncClient, language: str) -> dict[str, Any]:
    taxonomy: dict[str, Any] = (
        await data_of(client, operation("DtprTaxonomy"), language=language)
    )["dtprTaxonomy"]
    return taxonomy


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        (
            lambda d: d["categories"]["retention"]["elements"]["data_retained"].update(
                name="Conservados {{duracion}}"
            ),
            "variables",
        ),
        (
            lambda d: d["categories"]["purpose"]["elements"]["mobility"].update(description=" "),
            "empty",
        ),
        (
            lambda d: d["categories"]["purpose"]["elements"].update(
                teleportation={"name": "Teletransporte", "description": "No existe."}
            ),
            "no DTPR text",
        ),
    ],
)
def test_a_broken_translation_is_refused_loudly(
    fixtures_copy: Path, change: Any, refusal: str
) -> None:
    # given: a Spanish file with a wrong variable, an empty text or an unknown element
    edit(fixtures_copy / "dtpr" / "translations" / "es.json", change)
    taxonomy = json.loads((fixtures_copy / "dtpr" / "taxonomy.json").read_text())
    # when / then
    with pytest.raises(ValueError, match=refusal):
        rules.translation_rows(taxonomy, fixtures_copy / "dtpr" / "translations")


def test_a_missing_french_text_falls_back_to_english() -> None:
    # when
    text = rules.localized({"en": "Retained {{duration}}", "fr": ""}, "de")
    # then
    assert text == rules.Localized("Retained {{duration}}", "en", True)


async def test_the_attribution_the_licence_asks_for_is_served(client: httpx.AsyncClient) -> None:
    # given: what the copied taxonomy says about itself
    copied = json.loads((PROJECT_ROOT / "fixtures" / "dtpr" / "taxonomy.json").read_text())
    # when
    taxonomy = (await data_of(client, operation("DtprTaxonomy")))["dtprTaxonomy"]
    # then
    assert taxonomy["attribution"] == copied["attribution"]
    assert "Helpful Places" in taxonomy["attribution"] and "CC BY 4.0" in taxonomy["attribution"]
    assert taxonomy["license"] == "CC BY 4.0"
    assert taxonomy["licenseUrl"] == copied["license_url"]
    assert taxonomy["sourceUrl"] == copied["source"]


def test_variables_are_filled_and_unknown_ones_kept() -> None:
    # when
    filled = rules.fill("Stored for {{duration}} by {{ who }}", {"duration": "12 mois"})
    # then
    assert filled == "Stored for 12 mois by {{ who }}"
