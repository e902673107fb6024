"""The rules every input a caller sends must pass, whatever the door (GraphQL, Open311,
charts, open data): the one text rule (no control character but tab and line breaks, no lone
surrogate), and what a number written as text (an ID, a cursor's) may be.

No field has a use for them, and they break what lies behind: PostgreSQL refuses a NUL in
text (SQLite stores it), a lone surrogate cannot be encoded as UTF-8 at all, XML 1.0 cannot
carry C0 controls, and a terminal or a CSV reader may act on an escape sequence. Refusing them
at the door, with a typed error naming the argument, keeps every resolver and every database
out of it. Lengths are the domain's business: each rule checks the limits it has.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from service.errors import N_, DomainError
from service.i18n.translator import Translator

# The largest integers the columns hold on PostgreSQL (SQLite takes up to BIGINT's): ids and
# counts are INTEGER, transaction ids BIGINT. A number past its column's limit was not given by
# us, and the database would fail on it ("integer out of range").
MAX_ID = 2**31 - 1
MAX_BIGINT = 2**63 - 1
# ASCII digits without a leading zero: int() would also take " 7", "1_000", "-7" or "٣".
NUMBER = re.compile(r"0|[1-9][0-9]{0,18}")
NO_ID = -1  # what an ID that cannot name a row is read as: no row has it

# C0 controls but tab (09), line feed (0A) and carriage return (0D); and the surrogate range,
# which only a lone surrogate can occupy in a Python string (json.loads pairs the others).
REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


class TextErrorCode(enum.Enum):
    INVALID_TEXT = "INVALID_TEXT"


@dataclass(frozen=True)
class Refusal:
    """Where a refused character was found (never the text itself: it may be personal)."""

    argument: str  # e.g. reportCreate.input.answers[3].value
    character: str  # e.g. U+0000

    def error(self) -> DomainError:
        return DomainError(
            TextErrorCode.INVALID_TEXT,
            N_(
                "%(argument)s holds a character that is not accepted (%(character)s): control "
                "characters other than tab and line breaks, and lone surrogates, are refused."
            ),
            field=self.argument,
            argument=self.argument,
            character=self.character,
        )

    def describe(self, translator: Translator) -> str:
        """The refusal as plain text, in the caller's language, with its code."""
        error = self.error()
        return f"{translator.gettext(error.message, **error.params)} ({error.code.value})"


def refused_character(text: str) -> str | None:
    """The first refused character of ``text`` as ``U+XXXX``, or None when it is acceptable."""
    found = REFUSED.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def visible(name: str) -> str:
    """A name fit to show in a message: refused characters become U+FFFD."""
    return REFUSED.sub("\ufffd", name)


def child_path(path: str, key: str | int) -> str:
    """``path`` one step down: ``input.description``, ``answers[3]``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{visible(key)}" if path else visible(key)


def strings_in(value: object, path: str) -> Iterator[tuple[str, str]]:
    """Every string in a JSON-like value with its path, names of objects included (a name
    is checked under the path it opens). Iterative: nesting cannot exhaust the stack."""
    stack: list[tuple[str, object]] = [(path, value)]
    while stack:
        where, current = stack.pop()
        if isinstance(current, str):
            yield where, current
        elif isinstance(current, Mapping):
            for key, item in reversed(list(current.items())):
                stack.append((child_path(where, str(key)), item))
                stack.append((child_path(where, str(key)), str(key)))
        elif isinstance(current, list | tuple):
            stack.extend(reversed([(child_path(where, i), v) for i, v in enumerate(current)]))


def holds_refused(value: object) -> bool:
    """Whether any string of a JSON-like value (names of objects included) breaks the rule.
    The fast check every request pays: no path is built, one search per string or object."""
    search = REFUSED.search
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            if search(current):
                return True
        elif isinstance(current, Mapping):
            if search("".join(str(key) for key in current)):
                return True
            stack.extend(current.values())
        elif isinstance(current, list | tuple):
            stack.extend(current)
    return False


def first_refusal(value: object, path: str = "") -> Refusal | None:
    """The first refused character in any string of ``value`` (nested mappings and lists)."""
    if not holds_refused(value):
        return None
    for where, text in strings_in(value, path):
        character = refused_character(text)
        if character is not None:
            return Refusal(where, character)
    return None


def fields_refusal(fields: Iterable[tuple[str, str]]) -> Refusal | None:
    """The first refused character in named fields (query parameters, form fields, parts of
    a path), named by the field."""
    for name, value in fields:
        character = refused_character(name) or refused_character(value)
        if character is not None:
            return Refusal(visible(name), character)
    return None


def number(text: str, maximum: int = MAX_ID) -> int | None:
    """The number ``text`` spells in ASCII digits, at most ``maximum``; else None."""
    if not NUMBER.fullmatch(text):
        return None
    value = int(text)
    return value if value <= maximum else None


def id_number(value: object) -> int:
    """The row id an ID argument names, or ``NO_ID`` (found nowhere) for anything else: a
    number past INTEGER names no row, it is not sent to the database."""
    found = number(str(value))
    return NO_ID if found is None else found
