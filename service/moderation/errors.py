"""Error codes of moderation."""

from __future__ import annotations

import enum


class ModerationErrorCode(enum.Enum):
    NOT_FOUND = "NOT_FOUND"
    INVALID_DEVICE_KEY = "INVALID_DEVICE_KEY"
    TEXT_REQUIRED = "TEXT_REQUIRED"
    TEXT_TOO_LONG = "TEXT_TOO_LONG"
    TEXT_NOT_EXPECTED = "TEXT_NOT_EXPECTED"
    INVALID_TEXT = "INVALID_TEXT"
    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
