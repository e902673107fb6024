"""Error codes of tracking."""

from __future__ import annotations

import enum


class TrackingErrorCode(enum.Enum):
    TOKEN_INVALID = "TOKEN_INVALID"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    FEEDBACK_NOT_ALLOWED = "FEEDBACK_NOT_ALLOWED"
    REOPEN_NOT_ALLOWED = "REOPEN_NOT_ALLOWED"
    INVALID_RATING = "INVALID_RATING"
    TEXT_REQUIRED = "TEXT_REQUIRED"
    TEXT_TOO_LONG = "TEXT_TOO_LONG"
