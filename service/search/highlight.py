"""Highlighted fragments: where the query's words matched in a text the caller may read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from service.search.analysis import DEFAULT_LANGUAGE, analyzer


@dataclass(frozen=True)
class Highlight:
    """A fragment of a text a caller may read, with where the query's words matched."""

    field: str  # description, answer, staff
    text: str
    matches: list[tuple[int, int]]


FRAGMENT_CHARS = 160
MAX_HIGHLIGHTS = 2  # fragments per hit


def _without_elision(text: str, start: int, end: int) -> tuple[int, int]:
    """Mark « éclairage » in « l'éclairage », not the article."""
    cut = max(text.rfind("'", start, end), text.rfind("’", start, end))
    return (cut + 1, end) if cut >= 0 and cut - start <= 6 else (start, end)


def highlights(
    texts: Sequence[tuple[str, str]], language: str, matched: dict[str, set[str]]
) -> list[Highlight]:
    """Up to ``MAX_HIGHLIGHTS`` fragments of the texts around the words that matched."""
    wanted = matched.get(language, set()) | matched.get(DEFAULT_LANGUAGE, set())
    found: list[Highlight] = []
    for fieldname, text in texts:
        if not text or not wanted:
            continue
        spans = [
            _without_elision(text, token.startchar, token.endchar)
            for token in analyzer(language)(text, chars=True, mode="index")
            if token.text in wanted
        ]
        if not spans:
            continue
        start = max(0, spans[0][0] - FRAGMENT_CHARS // 3)
        if start > 0:
            space = text.rfind(" ", 0, start)
            start = space + 1 if space >= 0 else start
        end = min(len(text), start + FRAGMENT_CHARS)
        if end < len(text):
            space = text.rfind(" ", start, end)
            end = space if space > spans[0][1] else end
        fragment = text[start:end]
        found.append(
            Highlight(
                field=fieldname,
                text=fragment,
                matches=[(s - start, e - start) for s, e in spans if s >= start and e <= end],
            )
        )
        if len(found) == MAX_HIGHLIGHTS:
            break
    return found
