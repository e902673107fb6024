"""The places open now that the follow page shows are public directory data, read once a
minute per commune and language (the page itself is never kept: it holds a resident's data)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service.web.rendering import ThisMinute

pytestmark = pytest.mark.anyio


async def test_a_value_is_built_once_a_minute_per_key() -> None:
    # given
    cache = ThisMinute()
    built: list[Any] = []

    def builder(value: str) -> Any:
        async def build() -> str:
            built.append(value)
            return value

        return build

    start = datetime(2026, 12, 5, 10, 0, 5, tzinfo=UTC)
    # when
    first = await cache.get_async(start, ("49007", "fr"), builder("a"))
    again = await cache.get_async(start + timedelta(seconds=50), ("49007", "fr"), builder("b"))
    other = await cache.get_async(start, ("49007", "en"), builder("c"))
    next_minute = await cache.get_async(
        start + timedelta(seconds=60), ("49007", "fr"), builder("d")
    )
    # then
    assert (first, again, other, next_minute) == ("a", "a", "c", "d")
    assert built == ["a", "c", "d"]
