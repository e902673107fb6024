"""The search engine behind a small interface, and its whoosh implementation.

``SearchEngine`` is what the rest of the service uses (apply changes, rebuild, search, say
how far it has read the outbox); ``WhooshEngine`` implements it over one whoosh index in a
directory. The outbox position the index reflects is stored *in* the index, in the same
commit as the documents: a crash can never leave the two disagreeing. So is the record of
the documents set aside (a document that could not be indexed is left out, not allowed to
stop the documents after it).

Both engines receive texts already analysed here (``index_fields``): they index exactly the
words a search looks for, and a document's analysis is over before a writer sees it, so a
document whose analysis failed never leaves half of itself in a writer.
"""

from __future__ import annotations

import heapq
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from whoosh import index as whoosh_index
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema
from whoosh.query import And, AndMaybe, FuzzyTerm, NumericRange, Or, Query, Term
from whoosh.searching import Searcher
from whoosh.writing import CLEAR, IndexWriter

from service.private_files import make_private_file
from service.search.analysis import DEFAULT_LANGUAGE, LANGUAGES, terms, words
from service.search.documents import SearchDocument
from service.search.highlight import Highlight, highlights
from service.search.matching import DocumentSet, Postings, matching_documents, scores
from service.search.writing import (
    TEXT_KINDS,
    DocumentRefused,
    IndexBusy,
    SetAside,
    field_language,
    meta_value,
    prepared,
    updated_set_aside,
)

logger = logging.getLogger("service.search")

META_KEY = "__meta__"
# Only this many of the matching documents (the newest) are scored for a one-word query,
# fewer for longer ones (at least MIN_RANK_WINDOW); all are counted.
RANK_WINDOW = 1000
MIN_RANK_WINDOW = 250
FACETS = ("kind", "commune", "category", "status")
MAX_WORDS = 8
# Typo tolerance for words of 4 to this many letters. Longer ones are looked up as typed:
# nobody mistypes a word that long, and the typo automaton grows with the word (a
# 200-letter word took 0.3 s in whoosh, 0.17 s in tantivy, on a one-document index).
FUZZY_LENGTHS = range(4, 33)
REFERENCE = re.compile(r"^ALM-\d{4}-\d{1,6}$", re.IGNORECASE)
# Field weights: what names the thing over what the resident wrote over the answers.
TITLE_BOOST, PLACE_BOOST, BODY_BOOST, ANSWER_BOOST, STAFF_BOOST = 3.0, 2.0, 1.0, 0.6, 0.8
FIELD_BOOSTS = {
    "title": TITLE_BOOST,
    "place": PLACE_BOOST,
    "body": BODY_BOOST,
    "answers": ANSWER_BOOST,
    "staff": STAFF_BOOST,
}


@dataclass(frozen=True)
class SearchFilter:
    kinds: frozenset[str] = frozenset()  # any of these; empty: every kind not excluded
    # Kinds left out unless asked for (the public API searches sensors only on request).
    excluded_kinds: frozenset[str] = frozenset()
    communes: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()
    since: datetime | None = None


@dataclass(frozen=True)
class SearchRequest:
    text: str
    filter: SearchFilter = SearchFilter()
    # None: the public scope. Otherwise the staff member's bodies: their items, private texts.
    staff_bodies: frozenset[str] | None = None
    offset: int = 0
    limit: int = 20
    facets: bool = True


@dataclass(frozen=True)
class Hit:
    key: str
    kind: str
    reference: str
    score: float
    status: str
    commune_code: str
    category_code: str
    created_at: datetime
    highlights: list[Highlight]


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    # True when no word matched as typed and the hits come from typo tolerance.
    approximate: bool = False


class SearchEngine(Protocol):
    """What the service needs from a full-text engine."""

    def apply(
        self,
        documents: Sequence[SearchDocument],
        removed: Sequence[str],
        position: int,
        set_aside: SetAside | None = None,
    ) -> None:
        """Add or replace ``documents``, remove the keys ``removed``, record ``position``:
        all in one atomic commit. A document whose analysis fails is left out and recorded
        as set aside, with the keys of ``set_aside`` (which the caller also removes); a key
        applied again leaves the record. Raises ``IndexBusy`` when the writer stays taken."""

    def rebuild(self) -> Rebuild:
        """Start replacing the whole index; readers see the old one until ``commit``."""

    def search(self, request: SearchRequest) -> SearchResult: ...

    def position(self) -> int:
        """The last outbox entry the index reflects."""

    def set_aside(self) -> dict[str, str]:
        """The documents left out of the index, and why (oldest first)."""

    def document_count(self) -> int: ...

    def stored_documents(self) -> dict[str, dict[str, Any]]:
        """Every document's stored fields by key (tests compare an index with a rebuild)."""

    def close(self) -> None: ...


class Rebuild(Protocol):
    def add(self, documents: Sequence[SearchDocument]) -> None:
        """Add documents; one whose analysis fails, or that the engine refuses, is left out
        and recorded as set aside. Raises ``DocumentRefused`` when the engine refused one
        and its writer cannot go on."""

    def commit(self, position: int, set_aside: SetAside | None = None) -> None:
        """Replace the index, recording ``position`` and what was set aside."""

    def cancel(self) -> None: ...


# Texts reach whoosh already analysed: words separated by spaces (analysis never puts a
# space inside a word).
ANALYSED_WORDS = SpaceSeparatedTokenizer()


def _schema() -> Schema:
    fields: dict[str, Any] = {
        "key": ID(stored=True, unique=True),
        "kind": ID(stored=True, sortable=True),
        "commune": ID(stored=True, sortable=True),
        "category": ID(stored=True, sortable=True),
        "status": ID(stored=True, sortable=True),
        "body": ID(stored=True),
        "public": ID(),
        "reference": ID(stored=True),
        "language": ID(stored=True),
        "created": NUMERIC(stored=True, sortable=True, bits=64),
        "place": TEXT(analyzer=ANALYSED_WORDS, field_boost=PLACE_BOOST),
        "public_texts": STORED(),
        "staff_texts": STORED(),
        "meta": STORED(),
    }
    for language in LANGUAGES:
        for kind in TEXT_KINDS:
            boost = FIELD_BOOSTS[kind]
            fields[f"{kind}_{language}"] = TEXT(analyzer=ANALYSED_WORDS, field_boost=boost)
    return Schema(**fields)


def _add_meta(writer: IndexWriter, position: int, set_aside: SetAside) -> None:
    meta = meta_value(position, set_aside)
    writer.add_document(key=META_KEY, kind=META_KEY, public="0", meta=meta)


class _WhooshRebuild:
    def __init__(self, writer: IndexWriter) -> None:
        self.writer = writer
        self.set_aside: dict[str, str] = {}

    def add(self, documents: Sequence[SearchDocument]) -> None:
        for document, fields in prepared(documents, self.set_aside):
            try:
                self.writer.add_document(**fields)
            except Exception as error:
                # Half of the document may be in the writer's postings: it cannot commit.
                raise DocumentRefused(document.key) from error

    def commit(self, position: int, set_aside: SetAside | None = None) -> None:
        _add_meta(self.writer, position, updated_set_aside(self.set_aside, [], set_aside or {}))
        self.writer.commit(mergetype=CLEAR)

    def cancel(self) -> None:
        _abandon(self.writer)


def _abandon(writer: IndexWriter) -> None:
    """Give a writer up, whatever state a failure left it in, and release the index's lock:
    whoosh keeps it when a commit fails halfway (a full disk), and every later write would
    wait for it until the process ends."""
    try:
        if not writer.is_closed:
            writer.cancel()
    except Exception:  # the caller raises the failure that led here
        logger.debug("search writer not cancelled cleanly", exc_info=True)
    finally:
        lock = getattr(writer, "writelock", None)
        if lock is not None and getattr(lock, "fd", None) is not None:  # still held
            lock.release()


WHOOSH_WRITE_LOCK = "MAIN_WRITELOCK"  # whoosh's name for the lock of its default index


class WhooshEngine:
    """One whoosh index in ``directory``: one writer at a time (whoosh's file lock), a
    searcher per process, refreshed when the index changed (checked at most every 100 ms)."""

    REFRESH_SECONDS = 0.1
    FILTER_CACHE = 64
    FREQUENT_TERMS = 64

    def __init__(
        self, directory: Path, *, writer_timeout: float = 120.0, result_cache: int = 256
    ) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        # whoosh opens its write lock with mode 0o777; made first, owner-only, it stays so.
        make_private_file(directory / WHOOSH_WRITE_LOCK)
        self.directory = directory
        self.writer_timeout = writer_timeout
        self.result_cache = result_cache
        if whoosh_index.exists_in(str(directory)):
            self._index = whoosh_index.open_dir(str(directory))
        else:
            self._index = whoosh_index.create_in(str(directory), _schema())
        self._schema = _schema()
        self._lock = threading.Lock()
        self._searcher: Searcher | None = None
        self._checked = 0.0
        self._filters: dict[str, set[int]] = {}
        self._facet_columns: dict[str, list[str]] = {}
        self._scope_facets: dict[str, dict[str, Counter[str]]] = {}
        self._frequent: dict[tuple[str, str], frozenset[int]] = {}
        # Answers of this index generation: the same search asked again (a popular word, the
        # next visitor on the same page) costs a dictionary lookup until the index changes.
        self._results: dict[SearchRequest, SearchResult] = {}

    def _writer(self) -> IndexWriter:
        try:
            writer = self._index.writer(timeout=self.writer_timeout, delay=0.05, limitmb=128)
        except whoosh_index.LockError as error:
            raise IndexBusy("the whoosh index writer stayed taken") from error
        # This code's schema, not the one pickled in the index: an index written by an
        # earlier version (which analysed texts with whoosh's StemFilter, see analysis.py)
        # receives analysed words from now on, and its next commit stores this schema.
        writer.schema = self._schema
        return writer

    def apply(
        self,
        documents: Sequence[SearchDocument],
        removed: Sequence[str],
        position: int,
        set_aside: SetAside | None = None,
    ) -> None:
        refused: dict[str, str] = {}
        # Analysed before the writer opens: a document that fails leaves nothing behind.
        ready = list(prepared(documents, refused))
        writer = self._writer()
        try:
            # One searcher for every deletion: update_document() would open a reader of the
            # whole index per document (35 s for 100 documents at 100,000 items, not 0.2 s).
            searcher = writer.searcher()
            try:
                stored = searcher.document(key=META_KEY)
                keys = [*removed, *refused, *(d.key for d in documents)]
                added = {**refused, **(set_aside or {})}
                record = updated_set_aside(_set_aside_of(stored), keys, added)
                for key in [*keys, META_KEY]:
                    writer.delete_by_term("key", key, searcher=searcher)
            finally:
                searcher.close()
            for _, fields in ready:
                writer.add_document(**fields)
            _add_meta(writer, position, record)
            writer.commit()
        except BaseException:
            _abandon(writer)
            raise
        self._checked = float("-inf")  # this process reads its own writes at once

    def rebuild(self) -> _WhooshRebuild:
        self._checked = float("-inf")
        return _WhooshRebuild(self._writer())

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None

    def _current(self) -> Searcher:
        now = time.monotonic()
        if self._searcher is None:
            self._searcher = self._index.searcher()
            self._checked = now
        elif now - self._checked >= self.REFRESH_SECONDS:
            fresh = self._searcher.refresh()
            if fresh is not self._searcher:
                self._filters.clear()
                self._results.clear()
                self._facet_columns.clear()
                self._scope_facets.clear()
                self._frequent.clear()
            self._searcher = fresh
            self._checked = now
        return self._searcher

    def _filter_set(self, searcher: Searcher, scope: Scope) -> set[int]:
        """The documents a scope allows (live ones only), kept until the index changes:
        whoosh would otherwise walk the scope's postings (every public item) on each search.
        Excluded kinds are taken away as a set: whoosh's And-Not over every public document
        costs three times the walk itself (107 against 37 ms at 100,000 items)."""
        key = repr(scope)
        found = self._filters.get(key)
        if found is None:
            if len(self._filters) >= self.FILTER_CACHE:
                self._filters.pop(next(iter(self._filters)))
            allowed, excluded = scope
            found = set(searcher.docs_for_query(allowed))
            if excluded is not None:
                found.difference_update(searcher.docs_for_query(excluded))
            self._filters[key] = found
        return found

    def position(self) -> int:
        with self._lock:
            stored = self._current().document(key=META_KEY)
        return int(stored["meta"]["position"]) if stored else 0

    def set_aside(self) -> dict[str, str]:
        with self._lock:
            return _set_aside_of(self._current().document(key=META_KEY))

    def document_count(self) -> int:
        with self._lock:
            count = self._current().doc_count()
        return max(0, int(count) - 1)  # the meta document

    def stored_documents(self) -> dict[str, dict[str, Any]]:
        """Every document's stored fields by key (tests compare an index with a rebuild)."""
        with self._lock:
            searcher = self._current()
            return {
                fields["key"]: fields
                for fields in searcher.all_stored_fields()
                if fields.get("key") != META_KEY
            }

    def search(self, request: SearchRequest) -> SearchResult:
        staff = request.staff_bodies is not None
        words_typed = words(request.text)[:MAX_WORDS]
        scope = _scope_filter(request)
        with self._lock:
            searcher = self._current()
            cached = self._results.get(request)
            if cached is not None:
                return cached
            result = self._search(searcher, request, words_typed, scope, staff)
            if self.result_cache:
                if len(self._results) >= self.result_cache:
                    self._results.pop(next(iter(self._results)))
                self._results[request] = result
            return result

    def _search(
        self,
        searcher: Searcher,
        request: SearchRequest,
        words_typed: list[str],
        scope: Scope,
        staff: bool,
    ) -> SearchResult:
        query = _text_query(words_typed, request.text, staff, fuzzy=False, reader=searcher.reader())
        if query is None:
            return SearchResult(hits=[], total=0, facets={})
        result = self._run(searcher, query, scope, request, len(words_typed))
        if result.total == 0:
            fuzzy = _text_query(words_typed, request.text, staff, fuzzy=True)
            if fuzzy is not None:
                result = self._run(searcher, fuzzy, scope, request, len(words_typed))
                result.approximate = result.total > 0
        return result

    def _run(
        self, searcher: Searcher, query: Query, scope: Scope, request: SearchRequest, words: int
    ) -> SearchResult:
        # Two passes. First the matching documents, as sets of document numbers: they give
        # the total and the facets. Then scores, for at most RANK_WINDOW of them: the newest
        # (whoosh numbers documents in the order they were written, so the last matches are
        # the latest changed items). A word in every item still costs its postings walk.
        allowed = self._filter_set(searcher, scope)
        if len(self._frequent) >= self.FREQUENT_TERMS:
            self._frequent.pop(next(iter(self._frequent)))
        postings = Postings(searcher, self._frequent)
        matching = matching_documents(postings, query) & allowed
        # Scoring a document costs a step per word: fewer are scored for longer queries.
        size = max(MIN_RANK_WINDOW, RANK_WINDOW // max(1, words))
        window = _newest(matching, size, searcher.doc_count_all())
        ranked = heapq.nlargest(
            request.offset + request.limit,
            scores(postings, query, window, FIELD_BOOSTS).items(),
            key=lambda pair: (pair[1], pair[0]),
        )
        facets = self._facet_counts(searcher, matching, scope, allowed) if request.facets else {}
        # The query's words present in the index (fuzzy ones expanded): what to highlight.
        matched: dict[str, set[str]] = {}
        for fieldname, text in postings.matched_terms():
            matched.setdefault(field_language(fieldname), set()).add(text)
        hits = []
        for docnum, score in ranked[request.offset :]:
            stored = searcher.stored_fields(docnum)
            texts = list(stored.get("public_texts", []))
            if request.staff_bodies is not None:
                # Staff read the unmasked description (and notes) instead of the masked one.
                texts = list(stored.get("staff_texts", [])) + [t for t in texts if t[0] == "answer"]
            hits.append(
                Hit(
                    key=stored["key"],
                    kind=stored["kind"],
                    reference=stored.get("reference", ""),
                    score=score,
                    status=stored["status"],
                    commune_code=stored["commune"],
                    category_code="" if stored["category"] == "-" else stored["category"],
                    created_at=datetime.fromtimestamp(stored["created"], UTC),
                    highlights=highlights(texts, stored.get("language", DEFAULT_LANGUAGE), matched),
                )
            )
        return SearchResult(hits=hits, total=len(matching), facets=facets)

    def _facet_counts(
        self, searcher: Searcher, documents: DocumentSet, scope: Query, allowed: set[int]
    ) -> dict[str, dict[str, int]]:
        """Counts per kind, commune, category and status of ``documents``, a Python step
        per document (with the index's columns read once per index generation). When most
        of the scope matches (a common word), the scope's counts (kept) minus those of the
        few that do not match."""
        if not documents:
            return {name: {} for name in FACETS}
        complement = len(documents) * 2 > len(allowed)
        if complement:
            key = repr(scope)
            base = self._scope_facets.get(key)
            if base is None:
                if len(self._scope_facets) >= self.FILTER_CACHE:
                    self._scope_facets.pop(next(iter(self._scope_facets)))
                base = self._scope_facets[key] = self._count(searcher, allowed)
            rest = self._count(searcher, allowed - documents)
            counts = {name: base[name] - rest[name] for name in FACETS}
        else:
            counts = self._count(searcher, documents)
        return {
            name: {value: n for value, n in found.items() if n > 0 and value not in ("", "-")}
            for name, found in counts.items()
        }

    def _count(self, searcher: Searcher, documents: DocumentSet) -> dict[str, Counter[str]]:
        counts = {}
        for name in FACETS:
            column = self._facet_columns.get(name)
            if column is None:
                column = [
                    value.decode() if isinstance(value, bytes) else str(value)
                    for value in searcher.reader().column_reader(name)
                ]
                self._facet_columns[name] = column
            counts[name] = Counter(map(column.__getitem__, documents))
        return counts


def _set_aside_of(stored: dict[str, Any] | None) -> dict[str, str]:
    meta = stored.get("meta") if stored else None
    return dict(meta.get("setAside", {})) if isinstance(meta, dict) else {}


def _newest(documents: DocumentSet, size: int, document_count: int) -> list[int]:
    """The ``size`` highest document numbers (the latest written) of ``documents``, in
    ascending order. When they are dense, walking down from the last number finds them in
    a few thousand membership tests, instead of a heap over every match."""
    if len(documents) <= size:
        return sorted(documents)
    if len(documents) * 8 >= document_count:
        found: list[int] = []
        for docnum in range(document_count - 1, -1, -1):
            if docnum in documents:
                found.append(docnum)
                if len(found) == size:
                    break
        return found[::-1]
    return sorted(heapq.nlargest(size, documents))


def open_engine(name: str, search_dir: Path) -> SearchEngine:
    """The engine the settings name, over its own directory (switching engines never mixes
    their files; `reindex` fills a new one)."""
    if name == "tantivy":
        try:
            from service.search.tantivy_engine import TantivyEngine
        except ImportError as error:
            raise RuntimeError(
                "SERVICE_SEARCH_ENGINE=tantivy needs the tantivy package: pip install '.[tantivy]'"
            ) from error
        return TantivyEngine(search_dir / "tantivy")
    return WhooshEngine(search_dir / "index")


# What a search may return: the documents matching the first query, less those matching the
# second (excluded kinds), if any.
Scope = tuple[Query, Query | None]


@dataclass(frozen=True)
class ScopeRules:
    """What a search may return, engine-neutral: every clause is a field that must hold one
    of its values; then an optional lower bound on the creation time, and the kinds left
    out. Both engines translate it, so who sees what is decided in one place."""

    clauses: list[tuple[str, list[str]]]
    since: int | None
    excluded_kinds: list[str]


def scope_rules(request: SearchRequest) -> ScopeRules:
    # The public scope: public documents. Staff: their bodies' documents (none if no body).
    clauses = [
        ("public", ["1"])
        if request.staff_bodies is None
        else ("body", sorted(request.staff_bodies) or ["\0"])
    ]
    f = request.filter
    for name, values in (
        ("kind", f.kinds),
        ("commune", f.communes),
        ("category", f.categories),
        ("status", f.statuses),
    ):
        if values:
            clauses.append((name, sorted(values)))
    return ScopeRules(
        clauses=clauses,
        since=int(f.since.timestamp()) if f.since is not None else None,
        excluded_kinds=sorted(f.excluded_kinds - f.kinds),
    )


def _scope_filter(request: SearchRequest) -> Scope:
    rules = scope_rules(request)
    clauses: list[Query] = [
        Or([Term(name, value) for value in values]) if len(values) > 1 else Term(name, values[0])
        for name, values in rules.clauses
    ]
    if rules.since is not None:
        clauses.append(NumericRange("created", rules.since, None))
    excluded = rules.excluded_kinds
    return (
        And(clauses) if len(clauses) > 1 else clauses[0],
        Or([Term("kind", value) for value in excluded]) if excluded else None,
    )


# A word in more than this share of the documents (« rue », « trottoir ») does not decide
# which items match when rarer words are typed with it: it only ranks them (as Lucene's
# common-terms query does), so the search walks the rare words' postings, not the whole index.
COMMON_SHARE = 0.2


@dataclass(frozen=True)
class WordClause:
    """One significant word typed: the fields it may match (each with the analysed terms that
    must all be there), and whether it is common (ranks without filtering)."""

    fields: list[tuple[str, list[str]]]
    common: bool


def word_clauses(
    typed: list[str],
    staff: bool,
    frequency: Callable[[str, str], int] | None = None,
    documents: int = 0,
) -> list[WordClause]:
    """The query's rules, engine-neutral: every significant word must match, in any field,
    analysed in that field's language. A word that is a stop word in any language (« de »,
    « la », « the ») is not required: otherwise « éclairage de la rue » would need « la » in
    the English fields. With ``frequency`` (exact search), only fields holding every term are
    kept (a word in none matches nothing), and words in more than ``COMMON_SHARE`` of the
    ``documents`` are common; without it (typo tolerance), every field is kept."""
    kinds = ("title", "body", "answers") + (("staff",) if staff else ())
    clauses = []
    for word in typed:
        by_language = {language: terms(language, word) for language in LANGUAGES}
        if any(not found for found in by_language.values()):
            continue
        candidates = [
            (f"{kind}_{language}", found)
            for language, found in by_language.items()
            for kind in kinds
        ] + [("place", by_language[DEFAULT_LANGUAGE])]
        fields, highest = [], 0
        for fieldname, found in candidates:
            if frequency is not None:
                present = [frequency(fieldname, t) for t in found]
                if not all(present):
                    continue
                highest = max(highest, min(present))
            fields.append((fieldname, found))
        clauses.append(WordClause(fields, documents > 0 and highest > COMMON_SHARE * documents))
    return clauses


def _text_query(
    typed: list[str], raw: str, staff: bool, *, fuzzy: bool, reader: Any = None
) -> Query | None:
    """The word clauses in whoosh's terms (None: no significant word). A reference
    (ALM-2026-000042) matches its item directly."""
    if REFERENCE.match(raw.strip()):
        return Term("reference", raw.strip().upper())
    exact = not fuzzy and reader is not None
    clauses = word_clauses(
        typed,
        staff,
        frequency=reader.doc_frequency if exact else None,
        documents=reader.doc_count() if exact else 0,
    )
    if not clauses:
        return None

    def word(clause: WordClause) -> Query:
        alternatives = [
            _all_terms(fieldname, found, fuzzy and not fieldname.startswith("answers"))
            for fieldname, found in clause.fields
        ]
        return alternatives[0] if len(alternatives) == 1 else Or(alternatives)

    rare = [word(c) for c in clauses if not c.common]
    common = [word(c) for c in clauses if c.common]
    if rare and common:
        return AndMaybe(_and(rare), Or(common))
    return _and(rare or common)


def _and(clauses: list[Query]) -> Query:
    return And(clauses) if len(clauses) > 1 else clauses[0]


def _all_terms(fieldname: str, found: list[str], fuzzy: bool) -> Query:
    parts: list[Query] = []
    for text in found:
        if fuzzy and len(text) in FUZZY_LENGTHS:
            # One typo in a short word, two in a long one; the first letter is trusted.
            parts.append(
                FuzzyTerm(fieldname, text, maxdist=2 if len(text) >= 8 else 1, prefixlength=1)
            )
        else:
            parts.append(Term(fieldname, text))
    return And(parts) if len(parts) > 1 else parts[0]
