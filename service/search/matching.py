"""Which documents a whoosh query matches, and their scores, faster than whoosh's collectors.

whoosh 2.7.4 walks matches with a Python call per document and per clause; here the
documents of each term are read a whole posting block at a time into sets (kept per
immutable segment for frequent terms), combined with set operations, and the documents to
rank are scored from the same sets.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import Any

from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import And, AndMaybe, FuzzyTerm, Or, Query, Term
from whoosh.searching import Searcher

# Document numbers: frozen when they come from the per-segment cache.
DocumentSet = set[int] | frozenset[int]


class Postings:
    """The documents of each term a search touches, read once per search (and kept across
    searches per segment for frequent terms): matching, scoring and highlighting share them."""

    def __init__(
        self, searcher: Searcher, frequent: dict[tuple[str, str], frozenset[int]] | None = None
    ) -> None:
        self.searcher = searcher
        # Frequent words' documents over all segments, kept by the caller for as long as
        # this searcher's generation of the index lives (bounded by the caller).
        self.frequent = frequent if frequent is not None else {}
        self._terms: dict[tuple[str, str], frozenset[int]] = {}
        self._expansions: dict[tuple[str, str, int, int], list[str]] = {}

    def term(self, fieldname: str, text: str) -> frozenset[int]:
        key = (fieldname, text)
        found = self._terms.get(key)
        if found is None:
            found = self.frequent.get(key)
        if found is None:
            found = _term_documents(self.searcher, fieldname, text)
            if len(found) >= SEGMENT_TERM_MIN_DOCS:
                self.frequent[key] = found
        self._terms[key] = found
        return found

    def expand(self, query: FuzzyTerm) -> list[str]:
        """The indexed words within the fuzzy term's distance."""
        key = (query.fieldname, query.text, query.maxdist, query.prefixlength)
        found = self._expansions.get(key)
        if found is None:
            found = [
                btext.decode() if isinstance(btext, bytes) else btext
                for btext in query._btexts(self.searcher.reader())
            ]
            self._expansions[key] = found
        return found

    def matched_terms(self) -> set[tuple[str, str]]:
        """The (field, word) pairs read that exist in the index: what to highlight."""
        return {key for key, documents in self._terms.items() if documents}


def matching_documents(postings: Postings, query: Query) -> DocumentSet:
    """The documents a query matches, as a set, computed with set operations over whole
    posting blocks (C speed) instead of whoosh's matchers (a Python call per document and
    per clause). Deleted documents may be included: callers intersect with a scope set.
    """
    if isinstance(query, Term):
        return postings.term(query.fieldname, query.text)
    if isinstance(query, AndMaybe):
        return matching_documents(postings, query.a)
    if isinstance(query, Or):
        found: set[int] = set()
        for sub in query.subqueries:
            found |= matching_documents(postings, sub)
        return found
    if isinstance(query, And):
        parts = sorted((matching_documents(postings, sub) for sub in query.subqueries), key=len)
        return parts[0].intersection(*parts[1:]) if parts else set()
    if isinstance(query, FuzzyTerm):
        expanded: set[int] = set()
        for text in postings.expand(query):
            expanded |= postings.term(query.fieldname, text)
        return expanded
    return set(postings.searcher.docs_for_query(query))


# Segments never change once written (deletions aside, which the scope sets exclude): the
# documents of a frequent term in a segment are kept, so a common word costs its decoding
# documents of a frequent term in a segment are kept, so a common word costs its decoding
# once per process and segment, not once per search. Bounded by the document numbers kept
# in all (about 70 bytes each: 4,000,000 is under 300 MiB).
_SEGMENT_TERMS: OrderedDict[tuple[str, str, str], frozenset[int]] = OrderedDict()
SEGMENT_TERMS_KEPT_IDS = 4_000_000
SEGMENT_TERM_MIN_DOCS = 2000
_segment_terms_lock = threading.Lock()
_segment_terms_ids = 0


def _segment_term_documents(reader: Any, fieldname: str, text: str) -> frozenset[int]:
    segment = reader.segment() if hasattr(reader, "segment") else None
    key = (segment.segment_id(), fieldname, text) if segment is not None else None
    if key is not None:
        with _segment_terms_lock:
            cached = _SEGMENT_TERMS.get(key)
            if cached is not None:
                _SEGMENT_TERMS.move_to_end(key)
                return cached
    found = frozenset(_decode_postings(reader, fieldname, text))
    if key is not None and len(found) >= SEGMENT_TERM_MIN_DOCS:
        global _segment_terms_ids
        with _segment_terms_lock:
            if key not in _SEGMENT_TERMS:
                _SEGMENT_TERMS[key] = found
                _segment_terms_ids += len(found)
            while _segment_terms_ids > SEGMENT_TERMS_KEPT_IDS and len(_SEGMENT_TERMS) > 1:
                _, dropped = _SEGMENT_TERMS.popitem(last=False)
                _segment_terms_ids -= len(dropped)
    return found


def _decode_postings(reader: Any, fieldname: str, text: str) -> set[int]:
    found: set[int] = set()
    matcher = reader.postings(fieldname, text)
    leaf = matcher.child if isinstance(matcher, FilterMatcher) else matcher
    if not (hasattr(leaf, "_read_ids") and hasattr(leaf, "_next_block")):
        found.update(matcher.all_ids())
        return found
    # whoosh 2.7.4's block postings: take each block's id array whole.
    while leaf.is_active():
        if leaf._ids is None:
            leaf._read_ids()
        found.update(leaf._ids[leaf._i :])
        leaf._next_block()
    return found


def _term_documents(searcher: Searcher, fieldname: str, text: str) -> frozenset[int]:
    pairs = [(searcher, 0)] if searcher.is_atomic() else searcher.subsearchers
    parts: list[frozenset[int]] = []
    for subsearcher, offset in pairs:
        reader = subsearcher.reader()
        if (fieldname, text) not in reader:
            continue
        ids = _segment_term_documents(reader, fieldname, text)
        parts.append(ids if offset == 0 else frozenset(map(offset.__add__, ids)))
    if len(parts) == 1:
        return parts[0]  # the cached set itself: no copy of a common word's documents
    return frozenset().union(*parts)


def scores(
    postings: Postings, query: Query, documents: list[int], boosts: dict[str, float]
) -> dict[int, float]:
    """Scores of some matching documents: each query word found in a field adds that
    field's weight times the word's rarity (idf), summed over fields and words.

    Term frequency and length are left out on purpose: reports are a few sentences, where
    they add little, and leaving them out lets a score be computed from the same document
    sets as the matching (set intersections in C) instead of whoosh's matchers, which cost
    half a millisecond per document for a three-word query. Ties go to the newest item.
    """
    total = max(1, postings.searcher.doc_count_all())
    window = set(documents)

    def weight(fieldname: str, text: str, boost: float) -> float:
        frequency = postings.searcher.doc_frequency(fieldname, text)
        idf = math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))
        return boosts.get(fieldname.split("_", 1)[0], 1.0) * boost * idf

    def score(node: Query) -> dict[int, float]:
        if isinstance(node, Term):
            found = postings.term(node.fieldname, node.text) & window
            value = weight(node.fieldname, node.text, node.boost)
            return dict.fromkeys(found, value)
        if isinstance(node, FuzzyTerm):
            # A word read differently than typed counts half.
            merged: dict[int, float] = {}
            for text in postings.expand(node):
                value = weight(node.fieldname, text, node.boost) / 2
                for docnum in postings.term(node.fieldname, text) & window:
                    merged[docnum] = max(merged.get(docnum, 0.0), value)
            return merged
        if isinstance(node, AndMaybe):
            required, optional = score(node.a), score(node.b)
            return {d: v + optional.get(d, 0.0) for d, v in required.items()}
        if isinstance(node, And):
            parts = [score(sub) for sub in node.subqueries]
            common = set.intersection(*(set(p) for p in parts)) if parts else set()
            return {d: sum(p[d] for p in parts) for d in common}
        if isinstance(node, Or):
            summed: dict[int, float] = {}
            for sub in node.subqueries:
                for docnum, value in score(sub).items():
                    summed[docnum] = summed.get(docnum, 0.0) + value
            return summed
        return dict.fromkeys(set(postings.searcher.docs_for_query(node)) & window, 1.0)

    return score(query)
