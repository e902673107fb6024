"""Helpers every domain's GraphQL types use: described enums and payload errors."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, TypeVar

import strawberry

from service.errors import DomainError
from service.i18n.translator import Translator

E = TypeVar("E", bound=enum.Enum)

# The arguments of every paged list.
PageSize = Annotated[int, strawberry.argument(description="Page size, at most the server's limit.")]
After = Annotated[str | None, strawberry.argument(description="`endCursor` of the previous page.")]
ErrorT = TypeVar("ErrorT")
# Row ids are INTEGER columns, 32 bits on PostgreSQL: a larger number names no row, and the
# database would refuse it as a parameter (SQLite past 64 bits) instead of finding nothing.
MAX_ROW_ID = 2**31 - 1
NO_ROW = -1  # an id no row has: a lookup with it finds nothing


def described_enum(
    enum_class: type[E], *, name: str, description: str, values: Mapping[E, str]
) -> type[E]:
    """Expose a domain enum in GraphQL with a description for the type and every value.

    The domain module stays free of strawberry; a missing value description is a bug here,
    not a silent gap in the schema.
    """
    missing = [member.name for member in enum_class if member not in values]
    if missing:
        raise ValueError(f"{name}: no description for {', '.join(missing)}")
    exposed = strawberry.enum(enum_class, name=name, description=description)
    for value in exposed.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = values[enum_class[value.name]]
    return exposed


def payload_errors(
    errors: Iterable[DomainError],
    translator: Translator,
    make: Callable[..., ErrorT],
    codes: type[enum.Enum] | None = None,
) -> list[ErrorT]:
    """Turn domain errors into a payload's typed errors, messages in the caller's language.

    ``codes`` is the payload's own error-code enum when it gathers codes from several
    domains: each domain code is mapped to the member of the same name.
    """
    return [
        make(
            field=error.field,
            code=codes[error.code.name] if codes else error.code,
            message=translator.gettext(error.message, **error.params),
        )
        for error in errors
    ]


def row_id(value: object) -> int:
    """The row id an ``ID`` argument names, or ``NO_ROW`` when it can name none: ASCII digits
    only (``str.isdigit`` also accepts « ² », which ``int`` refuses), within the columns' range."""
    text = str(value)
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ROW_ID:
        return NO_ROW
    return int(text)
