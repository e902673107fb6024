"""Pages of every list: one cursor codec and one page-size rule.

A cursor is ``kind:number[:number]`` in URL-safe base64, e.g. ``report:4217`` (the wire
format the lists have always given, so cursors clients hold keep working; only the audit
log's, once a bare id, changed). Only what ``encode_cursor`` would give is accepted back:
anything else, a cursor of another list, a negative number or one past what its column can
hold is refused as ``INVALID_CURSOR``, never read as "from the start" and never sent to the
database.
"""

from __future__ import annotations

import base64
import binascii
import enum

from service.errors import N_, DomainError
from service.inputs import MAX_ID, number

# Longer than any cursor we give (a kind and two 19-digit numbers): not even decoded.
MAX_CURSOR_CHARS = 120


class PageErrorCode(enum.Enum):
    INVALID_CURSOR = "INVALID_CURSOR"
    INVALID_PAGE_SIZE = "INVALID_PAGE_SIZE"


def encode_cursor(kind: str, *numbers: int) -> str:
    return base64.urlsafe_b64encode(":".join((kind, *map(str, numbers))).encode()).decode()


def invalid_cursor(argument: str = "after") -> DomainError:
    return DomainError(
        PageErrorCode.INVALID_CURSOR,
        N_("This cursor was not given by this list: pass the endCursor of its previous page."),
        field=argument,
    )


def _numbers(
    cursor: str | None, kind: str, maxima: tuple[int, ...], argument: str
) -> tuple[int, ...] | None:
    if not cursor:
        return None  # no cursor: the first page
    if len(cursor) > MAX_CURSOR_CHARS or not cursor.isascii():
        raise invalid_cursor(argument)
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
    except (binascii.Error, ValueError):
        raise invalid_cursor(argument) from None
    found, *parts = text.split(":")
    if found != kind or len(parts) != len(maxima):
        raise invalid_cursor(argument)
    numbers = tuple(n for n in map(number, parts, maxima) if n is not None)
    if len(numbers) != len(maxima):
        raise invalid_cursor(argument)
    # Only the canonical spelling is ours: base64 decoding skips stray characters.
    if encode_cursor(kind, *numbers) != cursor:
        raise invalid_cursor(argument)
    return numbers


def decode_cursor(
    cursor: str | None, kind: str, *, argument: str = "after", maximum: int = MAX_ID
) -> int | None:
    """The number a cursor of ``kind`` holds (an id, an offset: at most ``maximum``); None
    without a cursor; INVALID_CURSOR else."""
    numbers = _numbers(cursor, kind, (maximum,), argument)
    return None if numbers is None else numbers[0]


def decode_cursor_pair(
    cursor: str | None,
    kind: str,
    *,
    argument: str = "after",
    maxima: tuple[int, int] = (MAX_ID, MAX_ID),
) -> tuple[int, int] | None:
    """The two numbers a cursor of ``kind`` holds; None without a cursor; INVALID_CURSOR else."""
    numbers = _numbers(cursor, kind, maxima, argument)
    return None if numbers is None else (numbers[0], numbers[1])


def page_size(first: int, maximum: int, *, argument: str = "first") -> int:
    """The size of the page to read: at least 1 or a typed refusal; more than ``maximum``
    (``SERVICE_MAX_PAGE_SIZE`` or the list's own limit) is read as ``maximum``."""
    if first < 1:
        raise DomainError(
            PageErrorCode.INVALID_PAGE_SIZE,
            N_("Ask for at least one item a page: %(argument)s must be 1 or more."),
            field=argument,
            argument=argument,
        )
    return min(first, maximum)
