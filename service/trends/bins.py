"""Duration histograms on a log scale, and percentiles read from them.

A duration under one minute falls in bin 0. Above, bin ``b`` (b >= 1) holds durations in
[60 s x 2^((b-1)/16), 60 s x 2^(b/16)): sixteen bins per doubling. A percentile read from the
histogram is the geometric middle of the bin holding the exact (nearest-rank) percentile, so
it is within 2^(1/32) - 1 < 2.2 % of the exact value (or under one minute apart, for bin 0).
A year is about 305 bins.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

BINS_PER_DOUBLING = 16
FIRST_EDGE_SECONDS = 60.0
RELATIVE_ERROR = 2 ** (1 / (2 * BINS_PER_DOUBLING)) - 1


def bin_of(seconds: float) -> int:
    """The histogram bin of a duration (negative durations, clock skew, count as zero)."""
    if seconds < FIRST_EDGE_SECONDS:
        return 0
    return 1 + int(math.floor(BINS_PER_DOUBLING * math.log2(seconds / FIRST_EDGE_SECONDS)))


def representative_seconds(bin_index: int) -> float:
    """The value a bin stands for: its geometric middle (30 s for bin 0)."""
    if bin_index <= 0:
        return FIRST_EDGE_SECONDS / 2
    return FIRST_EDGE_SECONDS * 2 ** ((bin_index - 0.5) / BINS_PER_DOUBLING)


def percentile(histogram: Iterable[tuple[int, int]], fraction: float) -> float | None:
    """The nearest-rank percentile (``fraction`` in (0, 1]) of (bin, count) pairs, in seconds.

    Nearest rank: the smallest value with at least ``ceil(fraction x n)`` values at or below."""
    pairs = sorted((b, c) for b, c in histogram if c > 0)
    total = sum(c for _, c in pairs)
    if total == 0:
        return None
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for bin_index, count in pairs:
        seen += count
        if seen >= rank:
            return representative_seconds(bin_index)
    return representative_seconds(pairs[-1][0])  # pragma: no cover - rank <= total


def exact_percentile(values: Iterable[float], fraction: float) -> float | None:
    """The nearest-rank percentile of raw values (what tests compare the histogram with)."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]
