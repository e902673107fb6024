"""Duration histograms packed in one text value: "bin:count" pairs, bins ascending.

A slice's histogram (see ``service.trends.bins``) holds up to ~300 bins; stored one row per bin,
a year of resolution times by category read thousands of rows and spent most of a dashboard
page's time in the database driver. Packed, it reads one row per category and measure, and
the bins are added up here. The text is the same on SQLite and PostgreSQL, and ordered, so
that two equal histograms are equal strings (what the rebuild test compares)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping


def pack(histogram: Mapping[int, int]) -> str:
    """The text of a histogram (empty bins left out)."""
    return " ".join(f"{b}:{c}" for b, c in sorted(histogram.items()) if c)


def add_packed(target: MutableMapping[int, int], packed: str) -> None:
    """Adds a packed histogram's counts into ``target`` (bin -> count)."""
    numbers = list(map(int, packed.replace(":", " ").split()))  # bin, count, bin, count...
    for index, count in zip(numbers[::2], numbers[1::2], strict=True):
        target[index] = target.get(index, 0) + count


def unpack(packed: str) -> dict[int, int]:
    found: dict[int, int] = {}
    add_packed(found, packed)
    return found


def merged(packed: str, changes: Iterable[tuple[int, int]]) -> dict[int, int]:
    """A packed histogram with ``changes`` (bin, +/- count) applied; empty bins dropped."""
    found = unpack(packed)
    for index, change in changes:
        found[index] = found.get(index, 0) + change
    return {b: c for b, c in found.items() if c}
