"""The same corpus and queries on tantivy (Rust, via its official Python bindings), as a
yardstick for the design change the search benchmark argues for: whoosh scores and walks
postings in Python, tantivy in compiled code with block-max WAND for the top hits.

Optional: `pip install tantivy` (not a dependency of the service). The analysis mirrors the
service's (lower case, accent folding before the stop words and the Snowball stemmer per
language); the query mirrors the service's (every word required, in any field, field weights
title 3 / place 2 / description 1 / answers 0.6), and facets are terms aggregations.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from service.search.documents import SearchDocument
from service.search.engine import ANSWER_BOOST, BODY_BOOST, PLACE_BOOST, TITLE_BOOST

STEMMERS = {"fr": "french", "en": "english", "es": "spanish", "de": "german", "ar": "arabic"}
TEXT_FIELDS = ("title", "body", "answers")
BOOSTS = {"title": TITLE_BOOST, "body": BODY_BOOST, "answers": ANSWER_BOOST}
FACETS = ("kind", "commune", "category", "status")


def available() -> bool:
    try:
        import tantivy  # noqa: F401
    except ImportError:
        return False
    return True


class TantivyYardstick:
    def __init__(self, directory: Path) -> None:
        import tantivy

        self.tantivy = tantivy
        directory.mkdir(parents=True, exist_ok=True)
        builder = tantivy.SchemaBuilder()
        for facet in FACETS:
            builder.add_text_field(facet, stored=True, fast=True, tokenizer_name="raw")
        builder.add_integer_field("created", stored=True, fast=True, indexed=True)
        builder.add_text_field("key", stored=True, tokenizer_name="raw")
        builder.add_text_field("place", tokenizer_name="fr", index_option="freq")
        for language in STEMMERS:
            for name in TEXT_FIELDS:
                builder.add_text_field(f"{name}_{language}", tokenizer_name=language)
        self.schema = builder.build()
        self.index = tantivy.Index(self.schema, path=str(directory))
        self.analyzers = {}
        for language, stemmer in STEMMERS.items():
            chain = (
                tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
                .filter(tantivy.Filter.lowercase())
                .filter(tantivy.Filter.ascii_fold())
            )
            if language != "ar":  # tantivy has no Arabic stop words
                chain = chain.filter(tantivy.Filter.stopword(stemmer))
            analyzer = chain.filter(tantivy.Filter.stemmer(stemmer)).build()
            self.index.register_tokenizer(language, analyzer)
            self.analyzers[language] = analyzer

    def build(self, documents: Sequence[SearchDocument]) -> float:
        started = time.perf_counter()
        writer = self.index.writer(heap_size=512_000_000, num_threads=2)
        for document in documents:
            fields: dict[str, Any] = {
                "key": document.key,
                "kind": document.kind,
                "commune": document.commune_code,
                "category": document.category_code or "-",
                "status": document.status,
                "created": int(document.created_at.timestamp()),
                "place": document.place,
                f"body_{document.language}": document.public_text,
                f"answers_{document.language}": "\n".join(document.public_answers),
            }
            for language, title in document.titles.items():
                fields[f"title_{language}"] = title
            writer.add_document(self.tantivy.Document(**fields))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        return time.perf_counter() - started

    def _word(self, word: str) -> Any | None:
        tantivy, occur = self.tantivy, self.tantivy.Occur
        alternatives = []
        for language, analyzer in self.analyzers.items():
            tokens = analyzer.analyze(word)
            if not tokens:
                return None  # a stop word in some language: not required (as the service)
            for name in TEXT_FIELDS:
                field = f"{name}_{language}"
                parts = [tantivy.Query.term_query(self.schema, field, t) for t in tokens]
                query = (
                    parts[0]
                    if len(parts) == 1
                    else tantivy.Query.boolean_query([(occur.Must, p) for p in parts])
                )
                alternatives.append((occur.Should, tantivy.Query.boost_query(query, BOOSTS[name])))
        place = [
            tantivy.Query.term_query(self.schema, "place", t)
            for t in self.analyzers["fr"].analyze(word)
        ]
        for part in place:
            alternatives.append((occur.Should, tantivy.Query.boost_query(part, PLACE_BOOST)))
        return tantivy.Query.boolean_query(alternatives)

    def search(self, text: str, *, facets: bool) -> tuple[int, list[str]]:
        tantivy = self.tantivy
        words = [w for w in (self._word(w) for w in text.replace("-", " ").split()) if w]
        query = tantivy.Query.boolean_query([(tantivy.Occur.Must, w) for w in words])
        searcher = self.index.searcher()
        found = searcher.search(query, 20, count=True)
        keys = [searcher.doc(address)["key"][0] for _, address in found.hits]
        if facets:
            searcher.aggregate(
                query, {name: {"terms": {"field": name, "size": 50}} for name in FACETS}
            )
        return found.count or 0, keys

    def search_fuzzy(self, text: str, *, facets: bool) -> tuple[int, list[str]]:
        """The service's typo fallback: each word within 1 (2 for long words) edits."""
        tantivy, occur = self.tantivy, self.tantivy.Occur
        words = []
        for word in text.replace("-", " ").split():
            alternatives = []
            for language, analyzer in self.analyzers.items():
                for token in analyzer.analyze(word):
                    distance = 2 if len(token) >= 8 else 1
                    for name in TEXT_FIELDS[:2]:
                        alternatives.append(
                            (
                                occur.Should,
                                tantivy.Query.fuzzy_term_query(
                                    self.schema, f"{name}_{language}", token, distance
                                ),
                            )
                        )
            if alternatives:
                words.append((occur.Must, tantivy.Query.boolean_query(alternatives)))
        query = tantivy.Query.boolean_query(words)
        searcher = self.index.searcher()
        found = searcher.search(query, 20, count=True)
        keys = [searcher.doc(address)["key"][0] for _, address in found.hits]
        if facets:
            searcher.aggregate(
                query, {name: {"terms": {"field": name, "size": 50}} for name in FACETS}
            )
        return found.count or 0, keys
