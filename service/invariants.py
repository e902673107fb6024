"""Explicit checks of what the code relies on, where an ``assert`` would vanish under
``python -O`` and fail as a bare AssertionError.

A broken invariant is a bug, or a row deleted by another transaction between two statements:
the round or the request in progress fails (the background loops and the error masking take
it from there). Messages name a table and a key, never a row's data.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class InvariantBroken(RuntimeError):
    """Something the code relies on is not so."""


class MissingRow(InvariantBroken):
    """A row this code found, claimed or wrote moments ago is not there."""

    def __init__(self, table: str, key: object) -> None:
        super().__init__(f"{table} {key} is not there")
        self.table, self.key = table, key


def required_row(row: T | None, table: str, key: object) -> T:
    """``row``, read by its key; ``MissingRow`` when it is not there."""
    if row is None:
        raise MissingRow(table, key)
    return row


def required(value: T | None, what: str) -> T:
    """``value``, which the caller or an earlier step must have provided."""
    if value is None:
        raise InvariantBroken(f"{what} is missing")
    return value
