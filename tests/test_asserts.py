"""``assert`` in the service narrows types only: it vanishes under ``python -O``, so nothing
the service relies on may hang on one. A check that can fail is written out
(``service.invariants``, a DomainError, an ``if``)."""

from __future__ import annotations

import re

from service.settings import PROJECT_ROOT

# The key of a row read from, or just flushed to, the database (SQLModel types it Optional).
STORED_KEY = re.compile(r"^\s*assert [\w.]+\.(id|item_id) is not None$")


def test_asserts_in_the_service_only_narrow_types() -> None:
    # given
    offending = []
    for path in sorted((PROJECT_ROOT / "service").rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if not re.match(r"^\s*assert\b", line):
                continue
            # when: a stored row's key, or a narrowing the line (or the one above) explains
            explained = "# narrowing:" in line or lines[number - 2].strip().startswith(
                "# narrowing:"
            )
            if not (STORED_KEY.match(line) or explained):
                offending.append(f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}")
    # then
    assert offending == [], "\n".join(offending)


def test_a_missing_row_is_named_by_table_and_key_only() -> None:
    # given
    import pytest

    from service.invariants import InvariantBroken, MissingRow, required, required_row

    # when / then
    assert required_row("row", "item", 7) == "row"
    with pytest.raises(MissingRow, match="^item 7 is not there$"):
        required_row(None, "item", 7)
    with pytest.raises(InvariantBroken, match="^the cipher is missing$"):
        required(None, "the cipher")
