"""Helpers every domain's GraphQL types use: described enums and payload errors."""

from __future__ import annotations

import enum
import functools
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, TypeVar

import strawberry

from service.errors import DomainError
from service.i18n.translator import Translator

logger = logging.getLogger("service.graphql")

E = TypeVar("E", bound=enum.Enum)

# The arguments of every paged list.
PageSize = Annotated[
    int,
    strawberry.argument(
        description="Page size, 1 or more (else INVALID_PAGE_SIZE); above the server's limit, "
        "the limit."
    ),
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="`endCursor` of the previous page; any other value is INVALID_CURSOR."
    ),
]
ErrorT = TypeVar("ErrorT")


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


def payload_code(code: enum.Enum, codes: type[enum.Enum]) -> enum.Enum | None:
    """The member of a payload's error-code enum that carries a domain code: the code itself
    when it is of that type, else the member with the same GraphQL value; None when the payload
    has no such code."""
    if isinstance(code, codes):
        return code
    return _carried(codes).get(code.value)


@functools.cache
def _carried(codes: type[enum.Enum]) -> dict[object, enum.Enum]:
    return {member.value: member for member in codes}


def payload_errors(
    errors: Iterable[DomainError],
    translator: Translator,
    make: Callable[..., ErrorT],
    codes: type[enum.Enum] | None = None,
) -> list[ErrorT]:
    """Turn domain errors into a payload's typed errors, messages in the caller's language.

    ``codes`` is the payload's own error-code enum when it gathers codes from several
    domains. A domain error whose code the payload cannot carry is raised as it is: the
    response's top-level error then has the domain's own code (never INTERNAL_ERROR), and
    the gap is logged for an engineer (``tests/test_error_codes.py`` keeps it from happening).
    """
    typed: list[ErrorT] = []
    for error in errors:
        code = error.code if codes is None else payload_code(error.code, codes)
        if code is None:
            logger.warning("%s has no code %s", getattr(codes, "__name__", ""), error.code.value)
            raise error
        typed.append(
            make(
                field=error.field,
                code=code,
                message=translator.gettext(error.message, **error.params),
            )
        )
    return typed
