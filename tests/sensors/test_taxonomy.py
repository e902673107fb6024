"""The DTPR taxonomy: 8 categories and 124 elements, French and English from DTPR, the other
languages falling back to French with a flag; its CC BY attribution is served."""

from __future__ import annotations

import json

import httpx
import pytest

from service.sensors import rules
from service.settings import PROJECT_ROOT
from tests.support import data_of, operation

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


async def test_english_comes_from_dtpr_too(client: httpx.AsyncClient) -> None:
    # when
    taxonomy = (await data_of(client, operation("DtprTaxonomy"), language="en"))["dtprTaxonomy"]
    # then
    mobility = element(taxonomy, "purpose", "mobility")
    assert mobility["language"] == "en" and not mobility["isFallback"]
    assert taxonomy["categories"][0]["name"] == "Purpose"


@pytest.mark.parametrize("language", ["es", "de", "ar"])
async def test_other_languages_fall_back_to_french_and_say_so(
    client: httpx.AsyncClient, language: str
) -> None:
    # when
    taxonomy = (await data_of(client, operation("DtprTaxonomy"), language=language))["dtprTaxonomy"]
    # then
    for category in taxonomy["categories"]:
        assert category["language"] == "fr" and category["isFallback"]
        for item in category["elements"]:
            assert item["language"] == "fr" and item["isFallback"]
    assert taxonomy["categories"][0]["name"] == "But"


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
