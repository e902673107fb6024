"""Search rules: what a query may be, who searches what (public or staff scope), cursors."""

from __future__ import annotations

import base64

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


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"search:{offset}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    """The offset after a cursor; a cursor that is not ours starts from the beginning."""
    if not cursor:
        return 0
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        return max(0, int(value)) if kind == "search" else 0
    except (ValueError, UnicodeDecodeError):
        return 0
