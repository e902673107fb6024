"""Why a search is refused."""

from __future__ import annotations

import enum


class SearchErrorCode(enum.Enum):
    QUERY_REQUIRED = "QUERY_REQUIRED"
    QUERY_TOO_LONG = "QUERY_TOO_LONG"
    TOO_DEEP = "TOO_DEEP"
