"""Domain errors: what a rule refuses, with a stable code and a translatable message.

Rules raise ``DomainError`` (or ``ValidationFailed`` for several at once); the GraphQL layer
turns them into typed payload errors (``service.schema_support.payload_errors``). Messages are
English msgids with named ``%(placeholders)s``, translated at the edge into the caller's
language.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any


def N_(message: str) -> str:
    """Mark a msgid for extraction without translating it (translated later, per request)."""
    return message


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a plural msgid pair for extraction; ``Translator.ngettext`` picks the form."""
    return singular, plural


class DomainError(Exception):
    """One refusal: ``code`` is a member of the domain's error-code enum."""

    def __init__(
        self, code: enum.Enum, message: str, *, field: str | None = None, **params: Any
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.params = params

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, field={self.field!r})"


class ValidationFailed(Exception):
    """Several refusals found while validating one input, reported together."""

    def __init__(self, errors: Sequence[DomainError]) -> None:
        super().__init__(f"{len(errors)} validation error(s)")
        self.errors = list(errors)


def raise_if_any(errors: Sequence[DomainError]) -> None:
    """Raise ValidationFailed when a validation pass collected any error."""
    if errors:
        raise ValidationFailed(errors)
