"""k-anonymity of published cells: small cells are suppressed, and so are enough others that
no small cell can be found again by subtracting the visible ones from a total.

A cell counting 1 to 4 items is suppressed (primary suppression). When a row of cells is
published with its total, one suppressed cell alone could be recovered as total minus the
rest: so the smallest other non-zero cells are suppressed too (complementary suppression),
until at least two cells are hidden and the hidden cells together count at least ``K`` items.
Zero is shown: it describes no one.
"""

from __future__ import annotations

from collections.abc import Sequence

K = 5


def is_small(count: int) -> bool:
    return 0 < count < K


def suppressed_cells(counts: Sequence[int]) -> list[bool]:
    """Which cells of a row (published with its total) must be hidden."""
    hidden = [is_small(c) for c in counts]
    if not any(hidden):
        return hidden
    candidates = sorted((c, i) for i, c in enumerate(counts) if c > 0 and not hidden[i])
    for count, index in candidates:
        hidden_counts = [c for c, h in zip(counts, hidden, strict=True) if h]
        if len(hidden_counts) >= 2 and sum(hidden_counts) >= K:
            break
        hidden[index] = True
        del count
    return hidden


def share_suppressed(part: int, whole: int) -> bool:
    """A share is hidden when it rests on fewer than K items, or reveals a group of 1-4 items
    (the part, or the rest of the whole)."""
    return whole < K or is_small(part) or is_small(whole - part)
