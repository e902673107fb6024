"""Choose the response language from ``Accept-Language`` (with q-values) or an explicit choice.

babel negotiates against the supported set but has no header parser, so the header is parsed
here: tags ordered by quality, ties kept in header order, ``q=0`` and ``*`` ignored.
"""

from __future__ import annotations

from collections.abc import Sequence

from babel.core import negotiate_locale

MAX_HEADER_LENGTH = 512  # a longer header is truncated, not rejected
MAX_TAGS = 16


def parse_accept_language(header: str) -> list[str]:
    """Language tags from an Accept-Language header, best first."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header[:MAX_HEADER_LENGTH].split(",")[:MAX_TAGS]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower().replace("_", "-")
        if not tag or tag == "*":
            continue
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        if 0 < quality <= 1:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(
    header: str | None,
    available: Sequence[str],
    default: str,
    explicit: str | None = None,
) -> str:
    """The best supported language: an explicit choice first, then the header, then default."""
    preferred = parse_accept_language(explicit or "") + parse_accept_language(header or "")
    # No aliases: babel's table maps bare languages to regions we do not list ("de" -> "de_DE").
    chosen = negotiate_locale(preferred, list(available), sep="-", aliases={})
    return chosen if chosen is not None and chosen in available else default
