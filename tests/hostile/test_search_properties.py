"""Arbitrary Unicode, in any language, through every analyzer and a real index of each
engine: analysis never raises, a text gives the same words indexed and searched, a document
never stops the indexer (nothing is set aside) and is found by its own words, and a search
never fails.

Every example goes through every analyzer. Examples (so, per language) and batches per engine
(real index) come from a settings profile:
``search-ci`` keeps the whole module within CI's budget; for a longer hunt run it with
``SEARCH_PROPERTY_PROFILE=search-thorough`` (ten times as many examples).
"""

from __future__ import annotations

import itertools
import os
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.search.analysis import LANGUAGES, WORD, terms, words
from service.search.documents import SearchDocument
from service.search.factory import open_engine
from service.search.highlight import highlights
from service.search.interface import MAX_WORDS, SearchFilter, SearchRequest, word_clauses
from service.search.rules import MAX_QUERY_CHARS
from service.search.writing import analysed
from service.settings import SEARCH_ENGINES

settings.register_profile(
    "search-ci",
    max_examples=2000,
    deadline=None,  # a shared CI machine: time is measured, not judged per example
    database=None,  # nothing written into the repository
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "search-thorough", parent=settings.get_profile("search-ci"), max_examples=20_000
)
PROFILE = settings.get_profile(os.environ.get("SEARCH_PROPERTY_PROFILE", "search-ci"))
# A real index costs a commit per example (a batch of documents): fewer examples.
REAL_INDEX_EXAMPLES = PROFILE.max_examples // 40

# Every code point but surrogates (which no database stores): combining marks, every
# script, right-to-left text, digits of every script, emoji, unassigned code points.
ANY_CHARACTER = st.characters(exclude_categories=["Cs"])
# What makes analysis work hardest, often enough to be drawn together: consonant runs before
# « gue » (whoosh's Spanish stemmer fails on them), accents, combining marks, apostrophes
# and hyphens, Arabic letters, diacritics and tatweel, direction marks, ligatures, ß, other
# digits, emoji with joiners and skin tones, spaces between words.
TRICKY = [
    *"bcdfgnqrstzgueüúéñáíóàâçèêîôœæßÆŒǅﬁ'’-_\u0301\u0308\u0327\u200d\u200e\u200f\u202e",
    *"\u0640\u064e\u0651ابتةىيأإآٱوللا٠١٢۳४०一二😀👍🏽",
    *["👨\u200d👩\u200d👧", "l'", "qu'", "gue", "güe", "bgue", "ال", "وال", " ", " ", " "],
]
TEXT = st.one_of(
    st.text(ANY_CHARACTER, max_size=120),
    st.lists(st.sampled_from(TRICKY), max_size=60).map("".join),
    # Very long words (a description holds up to 4,000 characters).
    st.text(st.characters(categories=["L", "M", "N"]), min_size=1, max_size=12).flatmap(
        lambda part: st.integers(300 // len(part), 4000 // len(part)).map(part.__mul__)
    ),
)
# Every analyzer there is: the five languages, and an unknown one (analysed as French).
ANALYZERS = [*LANGUAGES, "it"]


@settings(PROFILE)
@given(text=TEXT)
def test_analysis_never_raises_and_a_word_alone_gives_the_words_of_the_text(text: str) -> None:
    # when: searched (the words typed, in every language)
    clauses = word_clauses(words(text)[:MAX_WORDS], staff=True)
    # then: every word typed that counts has terms to look for
    assert all(terms_ for clause in clauses for _, terms_ in clause.fields)
    for language in ANALYZERS:
        # when: indexed in this language, and highlighted
        found = terms(language, text)
        sent = analysed(language, text)
        shown = highlights([("description", text)], language, {language: set(found)})
        # then: words an engine can take (none empty, no space inside), the same as the
        # engines receive, and each word alone gives terms the text has (found by it)
        assert all(term and not any(c.isspace() for c in term) for term in found), language
        assert (sent.split(" ") == found) if found else (sent == ""), language
        for token in WORD.findall(text):
            assert set(terms(language, token)) <= set(found), (language, token)
        for highlight in shown:
            assert all(0 <= s <= e <= len(highlight.text) for s, e in highlight.matches)


def document(number: int, language: str, body: str, other: str) -> SearchDocument:
    """A document whose every text field holds arbitrary text (two texts drawn, cut and
    combined: drawing five per document would cost more than indexing them); its kind is
    its own, so that a search can be scoped to it."""
    return SearchDocument(
        source="property",
        entity_id=number,
        kind=f"k{number}",
        reference=f"P-{number}",
        language=language,
        body_code="alm",
        commune_code="49007",
        category_code="",
        status="open",
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
        titles={language: body[:40]},
        place=other[:80],
        public_text=body,
        public_answers=[other],
        staff_texts=[f"{other} {body}"],
    )


def findable_word(text: str) -> str | None:
    """A word of the text a search can look for: it has a significant word in every
    language (else the query ignores it), and is one word as typed (no « _ »)."""
    for token in WORD.findall(text):
        if "_" not in token and word_clauses(words(token), staff=False):
            return token
    return None


@pytest.mark.parametrize("engine_name", SEARCH_ENGINES)
def test_any_text_is_indexed_found_by_its_words_and_searched_on_a_real_index(
    engine_name: str, tmp_path: Path
) -> None:
    engine = open_engine(engine_name, tmp_path)
    numbers = itertools.count(1)

    @settings(PROFILE, max_examples=REAL_INDEX_EXAMPLES)
    @given(
        batch=st.lists(st.tuples(st.sampled_from(LANGUAGES), TEXT, TEXT), min_size=1, max_size=20),
        query=TEXT.map(lambda text: text[:MAX_QUERY_CHARS]),  # what the API lets through
    )
    def index_and_search(batch: list[tuple[str, str, str]], query: str) -> None:
        # whoosh names new segments with the global `random`, which Hypothesis seeds alike
        # for every example: two commits would pick the same name (processes of the
        # service get their own seeds).
        random.seed()
        # given: a batch of documents, as the indexer writes them
        documents = [document(next(numbers), *drawn) for drawn in batch]
        # when
        engine.apply(documents, [], documents[-1].entity_id)
        # then: nothing set aside; each document found by a word of its own description;
        # any query answers, in the public and in a staff scope
        assert engine.set_aside() == {}
        for doc in documents:
            word = findable_word(doc.public_text)
            if word is not None:
                only_it = SearchFilter(kinds=frozenset([doc.kind]))
                assert engine.search(SearchRequest(text=word, filter=only_it)).total == 1, word
        for scope in (None, frozenset(["alm"])):
            engine.search(SearchRequest(text=query, staff_bodies=scope))

    try:
        index_and_search()
    finally:
        engine.close()
