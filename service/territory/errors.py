"""Error codes of the territory domain."""

from __future__ import annotations

import enum


class TerritoryErrorCode(enum.Enum):
    LATITUDE_OUT_OF_RANGE = "LATITUDE_OUT_OF_RANGE"
    LONGITUDE_OUT_OF_RANGE = "LONGITUDE_OUT_OF_RANGE"
    UNKNOWN_COMMUNE = "UNKNOWN_COMMUNE"
