"""Error codes of the trends."""

from __future__ import annotations

import enum


class TrendsErrorCode(enum.Enum):
    INVALID_PERIOD = "INVALID_PERIOD"
    PERIOD_TOO_LONG = "PERIOD_TOO_LONG"
    NOT_PUBLIC = "NOT_PUBLIC"
