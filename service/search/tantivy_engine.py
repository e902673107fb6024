"""The search engine over tantivy (a compiled index, through its official Python bindings):
the same documents, analysis, query semantics and answers as ``WhooshEngine``, 3 to 15
times faster at 100,000 and 1,000,000 items (see the search benchmark), for hosts where
whoosh misses the latency budget.

Chosen with ``SERVICE_SEARCH_ENGINE=tantivy`` (and ``pip install '.[tantivy]'``). Words are
analysed by the service's own analyzers (``analysis.py``) and handed to tantivy already
analysed, separated by spaces, so both engines find exactly the same words; tantivy ranks
with BM25 and field boosts. The outbox position is a document of the index, written in the
same commit as the documents it reflects, as with whoosh. One writer at a time: tantivy
holds a lock file that the kernel releases if the holder dies.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tantivy

from service.search.analysis import DEFAULT_LANGUAGE, LANGUAGES, analyzer, words
from service.search.documents import SearchDocument
from service.search.engine import (
    FACETS,
    FIELD_BOOSTS,
    FUZZY_LENGTHS,
    MAX_WORDS,
    META_KEY,
    REFERENCE,
    Hit,
    SearchRequest,
    SearchResult,
    scope_rules,
    word_clauses,
)
from service.search.highlight import highlights
from service.search.typos import within
from service.search.writing import (
    TEXT_KINDS,
    IndexBusy,
    SetAside,
    field_language,
    meta_value,
    prepared,
    refused,
    updated_set_aside,
)

logger = logging.getLogger("service.search")

WRITER_HEAP_BYTES = 64_000_000
MAX_FACET_VALUES = 1000
Occur = tantivy.Occur


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("key", stored=True, tokenizer_name="raw")
    for name in (*FACETS, "body", "public", "reference", "language"):
        builder.add_text_field(name, stored=True, fast=name in FACETS, tokenizer_name="raw")
    builder.add_integer_field("created", stored=True, fast=True, indexed=True)
    # Already analysed words, separated by spaces; frequencies for BM25, no positions.
    builder.add_text_field("place", tokenizer_name="whitespace", index_option="freq")
    for language in LANGUAGES:
        for kind in TEXT_KINDS:
            builder.add_text_field(
                f"{kind}_{language}", tokenizer_name="whitespace", index_option="freq"
            )
    builder.add_bytes_field("stored", stored=True, indexed=False)
    return builder.build()


def _document(fields: dict[str, Any]) -> tantivy.Document:
    """The index fields of a document (``writing.index_fields``: texts already analysed),
    with what highlights read packed into one stored value."""
    fields = dict(fields)
    stored = {"public_texts": fields.pop("public_texts"), "staff_texts": fields.pop("staff_texts")}
    fields["stored"] = json.dumps(stored, ensure_ascii=False).encode()
    return tantivy.Document(**fields)


def _meta(position: int, set_aside: SetAside) -> tantivy.Document:
    stored = json.dumps(meta_value(position, set_aside)).encode()
    return tantivy.Document(key=META_KEY, kind=META_KEY, public="0", stored=stored)


class _TantivyRebuild:
    def __init__(self, engine: TantivyEngine) -> None:
        self.engine = engine
        self.writer = engine._writer()
        self.writer.delete_all_documents()  # readers see the old documents until commit
        self.set_aside: dict[str, str] = {}

    def add(self, documents: Sequence[SearchDocument]) -> None:
        for document, fields in prepared(documents, self.set_aside):
            try:
                self.writer.add_document(_document(fields))
            except Exception as error:  # tantivy adds a document whole or not at all
                self.set_aside.update(refused(document.key, error))

    def commit(self, position: int, set_aside: SetAside | None = None) -> None:
        record = updated_set_aside(self.set_aside, [], set_aside or {})
        self.writer.add_document(_meta(position, record))
        self.writer.commit()
        self.writer.wait_merging_threads()  # and release the lock
        self.engine._changed()

    def cancel(self) -> None:
        _abandon(self.writer)


def _abandon(writer: tantivy.IndexWriter) -> None:
    """Roll back and release the index's lock, whatever state a failure (a commit that
    failed halfway) left the writer in: later writes must not wait for it."""
    for step in (writer.rollback, writer.wait_merging_threads):
        try:
            step()
        except Exception:  # the caller raises the failure that led here
            logger.debug("search writer not given up cleanly", exc_info=True)


class TantivyEngine:
    """One tantivy index in ``directory``. A writer is opened for each batch and closed
    after its commit, so a `reindex` can take its turn between the indexer's batches."""

    REFRESH_SECONDS = 0.1

    def __init__(
        self, directory: Path, *, writer_timeout: float = 120.0, result_cache: int = 256
    ) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.schema = _schema()
        self._index = tantivy.Index(self.schema, path=str(directory), reuse=True)
        self._lock = threading.Lock()
        self._checked = 0.0
        self.writer_timeout = writer_timeout
        self.result_cache = result_cache
        self._results: dict[SearchRequest, SearchResult] = {}

    def _writer(self) -> tantivy.IndexWriter:
        """The index's single writer, waiting (as whoosh does) while another holds it."""
        deadline = time.monotonic() + self.writer_timeout
        while True:
            try:
                return self._index.writer(WRITER_HEAP_BYTES, 1)
            except ValueError as error:
                if "LockBusy" not in str(error):
                    raise
                if time.monotonic() > deadline:
                    raise IndexBusy("the tantivy index writer stayed taken") from error
                time.sleep(0.05)

    def _changed(self) -> None:
        self._checked = float("-inf")  # this process reads its own writes at once

    def _searcher(self) -> tantivy.Searcher:
        now = time.monotonic()
        if now - self._checked >= self.REFRESH_SECONDS:
            self._index.reload()
            self._checked = now
            self._results.clear()
        return self._index.searcher()

    def apply(
        self,
        documents: Sequence[SearchDocument],
        removed: Sequence[str],
        position: int,
        set_aside: SetAside | None = None,
    ) -> None:
        refused: dict[str, str] = {}
        # Analysed before the writer opens: a document that fails leaves nothing behind.
        ready = [_document(fields) for _, fields in prepared(documents, refused)]
        keys = [*removed, *refused, *(d.key for d in documents)]
        # Not under self._lock: waiting for another process's writer (a `reindex`) must not
        # stop this process's searches.
        writer = self._writer()
        try:
            # The record as the last commit left it (read once the writer is ours).
            self._changed()
            previous = self.set_aside()
            record = updated_set_aside(previous, keys, {**refused, **(set_aside or {})})
            for key in [*keys, META_KEY]:
                writer.delete_documents_by_term("key", key)
            for document in ready:
                writer.add_document(document)
            writer.add_document(_meta(position, record))
            writer.commit()
        except BaseException:
            _abandon(writer)
            raise
        writer.wait_merging_threads()  # and release the lock
        self._changed()

    def rebuild(self) -> _TantivyRebuild:
        return _TantivyRebuild(self)

    def close(self) -> None:
        """Nothing held between calls (writers are closed after each commit)."""

    def _meta_fields(self, searcher: tantivy.Searcher) -> dict[str, Any] | None:
        query = tantivy.Query.term_query(self.schema, "key", META_KEY)
        found = searcher.search(query, 1, count=False).hits
        if not found:
            return None
        stored = searcher.doc(found[0][1]).get_first("stored")
        return dict(json.loads(bytes(stored))) if stored is not None else None

    def position(self) -> int:
        with self._lock:
            meta = self._meta_fields(self._searcher())
        return int(meta["position"]) if meta else 0

    def set_aside(self) -> dict[str, str]:
        with self._lock:
            meta = self._meta_fields(self._searcher())
        return dict(meta.get("setAside", {})) if meta else {}

    def document_count(self) -> int:
        with self._lock:
            count = self._searcher().num_docs
        return max(0, int(count) - 1)  # the meta document

    def stored_documents(self) -> dict[str, dict[str, Any]]:
        """Every document's stored fields by key (tests compare an index with a rebuild)."""
        with self._lock:
            searcher = self._searcher()
            found = searcher.search(tantivy.Query.all_query(), max(1, searcher.num_docs))
            documents = {}
            for _, address in found.hits:
                fields = _fields(searcher.doc(address))
                if fields.get("key") != META_KEY:
                    documents[fields["key"]] = fields
            return documents

    def search(self, request: SearchRequest) -> SearchResult:
        with self._lock:
            searcher = self._searcher()
            cached = self._results.get(request)
            if cached is not None:
                return cached
            result = self._search(searcher, request)
            if self.result_cache:
                if len(self._results) >= self.result_cache:
                    self._results.pop(next(iter(self._results)))
                self._results[request] = result
            return result

    def _search(self, searcher: tantivy.Searcher, request: SearchRequest) -> SearchResult:
        staff = request.staff_bodies is not None
        typed = words(request.text)[:MAX_WORDS]
        scope = self._scope(request)
        built = self._text_query(searcher, typed, request.text, staff, fuzzy=False)
        if built is None:
            return SearchResult(hits=[], total=0, facets={})
        query, matched = built
        result = self._run(searcher, query, scope, request, matched, fuzzy=None)
        if result.total == 0:
            fuzzy_built = self._text_query(searcher, typed, request.text, staff, fuzzy=True)
            if fuzzy_built is not None:
                fuzzy_query, typed_terms = fuzzy_built
                result = self._run(searcher, fuzzy_query, scope, request, {}, fuzzy=typed_terms)
                result.approximate = result.total > 0
        return result

    def _run(
        self,
        searcher: tantivy.Searcher,
        text_query: tantivy.Query,
        scope: tantivy.Query,
        request: SearchRequest,
        matched: dict[str, set[str]],
        fuzzy: dict[str, set[str]] | None,
    ) -> SearchResult:
        # The scope decides which documents, not their order: a constant score of zero.
        query = tantivy.Query.boolean_query(
            [(Occur.Must, text_query), (Occur.Must, tantivy.Query.boost_query(scope, 0.0))]
        )
        found = searcher.search(query, request.limit, count=True, offset=request.offset)
        hits = []
        for score, address in found.hits:
            fields = _fields(searcher.doc(address))
            language = fields.get("language", DEFAULT_LANGUAGE)
            texts = [tuple(pair) for pair in fields["stored"]["public_texts"]]
            if request.staff_bodies is not None:
                # Staff read the unmasked description (and notes) instead of the masked one.
                texts = [tuple(p) for p in fields["stored"]["staff_texts"]] + [
                    t for t in texts if t[0] == "answer"
                ]
            wanted = matched if fuzzy is None else _near(texts, language, fuzzy)
            hits.append(
                Hit(
                    key=fields["key"],
                    kind=fields["kind"],
                    reference=fields.get("reference", ""),
                    score=float(score),
                    status=fields["status"],
                    commune_code=fields["commune"],
                    category_code="" if fields["category"] == "-" else fields["category"],
                    created_at=datetime.fromtimestamp(fields["created"], UTC),
                    highlights=highlights(texts, language, wanted),
                )
            )
        facets = self._facets(searcher, query) if request.facets else {}
        total = int(getattr(found, "count", 0) or 0)  # missing from tantivy's type stubs
        return SearchResult(hits=hits, total=total, facets=facets)

    def _facets(
        self, searcher: tantivy.Searcher, query: tantivy.Query
    ) -> dict[str, dict[str, int]]:
        aggregations = {
            name: {"terms": {"field": name, "size": MAX_FACET_VALUES}} for name in FACETS
        }
        answer = searcher.aggregate(query, aggregations)
        return {
            name: {
                str(bucket["key"]): int(bucket["doc_count"])
                for bucket in answer.get(name, {}).get("buckets", [])
                if bucket["key"] not in ("", "-")
            }
            for name in FACETS
        }

    def _scope(self, request: SearchRequest) -> tantivy.Query:
        def any_of(field: str, values: Sequence[str]) -> tantivy.Query:
            return tantivy.Query.boolean_query(
                [(Occur.Should, tantivy.Query.term_query(self.schema, field, v)) for v in values]
            )

        rules = scope_rules(request)
        parts = [(Occur.Must, any_of(name, values)) for name, values in rules.clauses]
        if rules.since is not None:
            since = tantivy.Query.range_query(
                self.schema, "created", tantivy.FieldType.Integer, rules.since, None
            )
            parts.append((Occur.Must, since))
        if rules.excluded_kinds:
            parts.append((Occur.MustNot, any_of("kind", rules.excluded_kinds)))
        return tantivy.Query.boolean_query(parts)

    def _text_query(
        self, searcher: tantivy.Searcher, typed: list[str], raw: str, staff: bool, *, fuzzy: bool
    ) -> tuple[tantivy.Query, dict[str, set[str]]] | None:
        """The word clauses (``engine.word_clauses``) in tantivy's terms, with the words they
        look for per language: exact, what to highlight; fuzzy, what to highlight the words
        within typo distance of. None: no significant word."""
        if REFERENCE.match(raw.strip()):
            query = tantivy.Query.term_query(self.schema, "reference", raw.strip().upper())
            return query, {}
        clauses = word_clauses(
            typed,
            staff,
            frequency=None if fuzzy else searcher.doc_freq,
            documents=0 if fuzzy else searcher.num_docs,
        )
        if not clauses:
            return None
        looked_for: dict[str, set[str]] = {}
        parts = []
        for clause in clauses:
            alternatives = []
            for fieldname, found in clause.fields:
                looked_for.setdefault(field_language(fieldname), set()).update(found)
                # Answers are staff prose: typos there would only add noise.
                typo = fuzzy and not fieldname.startswith("answers")
                boost = FIELD_BOOSTS[fieldname.split("_", 1)[0]]
                term = self._all_terms(fieldname, found, fuzzy=typo)
                alternatives.append((Occur.Should, tantivy.Query.boost_query(term, boost)))
            # A word in no field matches nothing, as in whoosh.
            word = (
                tantivy.Query.boolean_query(alternatives)
                if alternatives
                else tantivy.Query.empty_query()
            )
            rare_words = any(not c.common for c in clauses)
            parts.append((Occur.Should if clause.common and rare_words else Occur.Must, word))
        return tantivy.Query.boolean_query(parts), looked_for

    def _all_terms(self, fieldname: str, found: list[str], *, fuzzy: bool) -> tantivy.Query:
        parts = []
        for text in found:
            if fuzzy and len(text) in FUZZY_LENGTHS:
                # One typo in a short word, two in a long one.
                distance = 2 if len(text) >= 8 else 1
                parts.append(tantivy.Query.fuzzy_term_query(self.schema, fieldname, text, distance))
            else:
                parts.append(tantivy.Query.term_query(self.schema, fieldname, text))
        if len(parts) == 1:
            return parts[0]
        return tantivy.Query.boolean_query([(Occur.Must, part) for part in parts])


def _fields(document: tantivy.Document) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, values in document.to_dict().items():
        if not values:
            continue
        value = values[0]
        fields[name] = json.loads(bytes(value)) if name == "stored" else value
    return fields


def _near(
    texts: list[tuple[str, ...]], language: str, typed: dict[str, set[str]]
) -> dict[str, set[str]]:
    """The words of a hit's texts within typo distance of the words typed: what a fuzzy
    match found, to highlight (tantivy does not say which words its fuzzy terms read)."""
    wanted = typed.get(language, set()) | typed.get(DEFAULT_LANGUAGE, set())
    near: set[str] = set()
    seen: set[str] = set()
    for _, text in texts:
        for token in analyzer(language)(text):
            word = token.text
            if word in seen:
                continue  # each distinct word is measured once
            seen.add(word)
            for typed_word in wanted:
                limit = 2 if len(typed_word) >= 8 else 1
                if within(word, typed_word, limit):
                    near.add(word)
                    break
    return {language: near}
