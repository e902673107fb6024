"""Error codes of personal data."""

from __future__ import annotations

import enum


class PrivacyErrorCode(enum.Enum):
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_PHONE = "INVALID_PHONE"
    CONTACT_INCOMPLETE = "CONTACT_INCOMPLETE"
    CONSENT_REQUIRED = "CONSENT_REQUIRED"
    NAME_TOO_LONG = "NAME_TOO_LONG"
    NO_CONTACT = "NO_CONTACT"
    TOKEN_INVALID = "TOKEN_INVALID"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    INVALID_YEAR = "INVALID_YEAR"
