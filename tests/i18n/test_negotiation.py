"""Which language a caller gets, from Accept-Language or an explicit choice."""

from __future__ import annotations

import pytest

from service.i18n.negotiation import negotiate, parse_accept_language
from service.settings import SUPPORTED_LOCALES


def test_tags_are_ordered_by_quality_then_by_position() -> None:
    assert parse_accept_language("de;q=0.5, en-GB, fr;q=0.9, es;q=0.9, *;q=0.1, it;q=0") == [
        "en-gb",
        "fr",
        "es",
        "de",
    ]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-CA", "fr"),
        ("en-GB,en;q=0.9", "en"),
        ("ar-MA", "ar"),
        ("es-419", "es"),
        ("de-CH;q=0.8, it", "de"),
        ("it, pt-BR", "fr"),  # nothing supported: the default
        ("", "fr"),
        ("en;q=garbage, de", "de"),
        ("x" * 10_000, "fr"),
    ],
)
def test_the_header_is_negotiated_against_the_supported_languages(
    header: str, expected: str
) -> None:
    assert negotiate(header, SUPPORTED_LOCALES, "fr") == expected


def test_an_explicit_choice_wins_over_the_header() -> None:
    assert negotiate("de", SUPPORTED_LOCALES, "fr", explicit="ar") == "ar"
