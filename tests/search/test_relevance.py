"""Relevance: French as residents type it (no accents, plurals, elisions, typos, several
words, street names), the other languages, and category labels in the caller's language."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.search.conftest import Corpus
from tests.support import data_of, operation

pytestmark = pytest.mark.anyio


async def search(
    client: httpx.AsyncClient, query: str, language: str = "fr", **variables: Any
) -> dict[str, Any]:
    data = await data_of(
        client, operation("Search"), {"query": query, **variables}, language=language
    )
    result: dict[str, Any] = data["search"]
    return result


def references(result: dict[str, Any]) -> list[str]:
    return [hit["reference"] for hit in result["hits"]]


@pytest.mark.parametrize(
    "query", ["eclairage", "éclairage", "l'éclairage", "ECLAIRAGES", "l’eclairage"]
)
async def test_french_words_are_found_whatever_their_accents_plural_or_elision(
    search_client: httpx.AsyncClient, corpus: Corpus, query: str
) -> None:
    # when
    result = await search(search_client, query)
    # then
    assert references(result)[0] == corpus.references["saint_aubin"]
    assert result["approximate"] is False


async def test_a_plural_finds_the_singular_and_the_plural(
    search_client: httpx.AsyncClient, corpus: Corpus
) -> None:
    # when
    found = references(await search(search_client, "lampadaires"))
    # then
    assert corpus.references["saint_aubin"] in found  # « le lampadaire »
    assert corpus.references["foch"] in found  # « les lampadaires »


@pytest.mark.parametrize("query", ["lampadiare", "eclairrage", "depot sauvaje"])
async def test_typos_are_tolerated_when_nothing_matches_as_typed(
    search_client: httpx.AsyncClient, corpus: Corpus, query: str
) -> None:
    # when
    result = await search(search_client, query)
    # then
    assert result["approximate"] is True
    assert references(result)[0] in {
        corpus.references["saint_aubin"],
        corpus.references["foch"],
        corpus.references["dumping"],
    }


async def test_several_words_with_a_street_name_put_the_right_report_first(
    search_client: httpx.AsyncClient, corpus: Corpus
) -> None:
    # when
    result = await search(search_client, "lampadaire rue Saint-Aubin")
    # then
    assert references(result)[0] == corpus.references["saint_aubin"]
    # rue Saint-Laud shares « rue » and « saint » but not the street: not required to show
    assert corpus.references["saint_laud"] not in references(result)


async def test_highlights_point_at_the_matched_words_in_the_public_text(
    search_client: httpx.AsyncClient, corpus: Corpus
) -> None:
    # when
    result = await search(search_client, "eclairage saint aubin")
    # then
    hit = result["hits"][0]
    assert hit["reference"] == corpus.references["saint_aubin"]
    fragment = hit["highlights"][0]
    assert fragment["field"] == "DESCRIPTION"
    marked = {fragment["text"][m["start"] : m["start"] + m["length"]] for m in fragment["matches"]}
    assert {"éclairage", "Saint", "Aubin"} <= marked


async def test_a_place_name_finds_the_items_of_that_commune(
    search_client: httpx.AsyncClient, corpus: Corpus
) -> None:
    # when
    result = await search(search_client, "ponts de cé")
    # then
    assert corpus.references["dumping"] in references(result)
    assert all(hit["commune"]["code"] == "49246" for hit in result["hits"])


@pytest.mark.parametrize(
    ("language", "query", "name"),
    [
        ("en", "broken street light bridges", "bridge"),
        ("es", "farola rota", "farolas"),
        ("de", "Strassenlaterne kaputt", "laternen"),
        ("de", "straßenlaterne", "laternen"),
        ("ar", "الانارة", "arabic"),
        ("ar", "انارة الشوارع", "arabic"),
    ],
)
async def test_other_languages_are_analysed_in_their_own_language(
    search_client: httpx.AsyncClient, corpus: Corpus, language: str, query: str, name: str
) -> None:
    # when
    result = await search(search_client, query, language=language)
    # then
    assert corpus.references[name] in references(result)


async def test_a_category_label_in_any_language_finds_the_items_of_that_category(
    search_client: httpx.AsyncClient, corpus: Corpus
) -> None:
    # when: an English speaker looks for French reports of street lights
    result = await search(search_client, "street light", language="en")
    # then
    found = references(result)
    assert corpus.references["saint_aubin"] in found
    assert corpus.references["foch"] in found
    assert corpus.references["pothole"] not in found


async def test_a_reference_finds_its_item(search_client: httpx.AsyncClient, corpus: Corpus) -> None:
    # when
    result = await search(search_client, corpus.references["leak"].lower())
    # then
    assert references(result) == [corpus.references["leak"]]


async def test_filters_and_pages(search_client: httpx.AsyncClient, corpus: Corpus) -> None:
    # given: « light » reports of several languages
    first = await search(search_client, "street light", language="en", first=2)
    # when
    second = await search(
        search_client, "street light", language="en", first=2, after=first["pageInfo"]["endCursor"]
    )
    filtered = await search(
        search_client, "street light", language="en", filter={"category": "pothole"}
    )
    # then
    assert first["pageInfo"]["hasNextPage"] is True
    assert not set(references(first)) & set(references(second))
    assert filtered["totalCount"] == 0


async def test_an_empty_query_is_a_typed_error(search_client: httpx.AsyncClient) -> None:
    # when
    result = await search(search_client, " ... ", language="en")
    # then
    assert len(result["errors"]) == 1
    assert result["errors"][0]["code"] == "QUERY_REQUIRED"
    assert result["errors"][0]["message"] == "Please type at least one word to search for."
