"""Error codes of integrations: API clients, rate limits, documents, webhooks."""

from __future__ import annotations

import enum


class IntegrationErrorCode(enum.Enum):
    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    INVALID_NAME = "INVALID_NAME"
    NAME_TAKEN = "NAME_TAKEN"
    INVALID_SCOPE = "INVALID_SCOPE"
    NOT_FOUND = "NOT_FOUND"
    INVALID_URL = "INVALID_URL"
    INVALID_EVENT_TYPE = "INVALID_EVENT_TYPE"
    TOO_MANY_WEBHOOKS = "TOO_MANY_WEBHOOKS"
    INVALID_CURSOR = "INVALID_CURSOR"
    PAGE_TOO_LARGE = "PAGE_TOO_LARGE"
