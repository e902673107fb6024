"""Error codes of routing."""

from __future__ import annotations

import enum


class RoutingErrorCode(enum.Enum):
    UNKNOWN_CATEGORY = "UNKNOWN_CATEGORY"
    OUTSIDE_ALM = "OUTSIDE_ALM"
