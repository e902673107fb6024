"""The search engine's interface: what the rest of the service asks of a full-text engine
(``SearchEngine``: apply changes, rebuild, search, say how far it has read the outbox), the
values that cross it, and the rules both engines share, engine-neutral (who may see what:
``scope_rules``; which words must match: ``word_clauses``).

The engines (``whoosh_engine``, ``tantivy_engine``) implement it; ``factory.open_engine``
picks one. Both receive texts already analysed (``writing.prepared``): they index exactly the
words a search looks for, and a document's analysis is over before a writer sees it, so a
document whose analysis failed never leaves half of itself in a writer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from service.search.analysis import DEFAULT_LANGUAGE, LANGUAGES, terms
from service.search.documents import SearchDocument
from service.search.highlight import Highlight
from service.search.writing import SetAside

META_KEY = "__meta__"
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
