"""Search rules: what a query may be, who searches what (public or staff scope)."""

from __future__ import annotations

from service.errors import N_, DomainError
from service.search.analysis import words
from service.search.errors import SearchErrorCode

MAX_QUERY_CHARS = 200
# Offset pages: a search is read from its best hits; nobody pages past a few hundred.
MAX_OFFSET = 1000


def query_errors(text: str) -> list[DomainError]:
    if len(text) > MAX_QUERY_CHARS:
        return [
            DomainError(
                SearchErrorCode.QUERY_TOO_LONG,
                N_("A search is at most %(limit)s characters long."),
                field="query",
                limit=MAX_QUERY_CHARS,
            )
        ]
    if not words(text):
        return [
            DomainError(
                SearchErrorCode.QUERY_REQUIRED,
                N_("Please type at least one word to search for."),
                field="query",
            )
        ]
    return []


def offset_errors(offset: int) -> list[DomainError]:
    if offset <= MAX_OFFSET:
        return []
    return [
        DomainError(
            SearchErrorCode.TOO_DEEP,
            N_("Only the first %(limit)s results can be read: refine the search."),
            field="after",
            limit=MAX_OFFSET,
        )
    ]
