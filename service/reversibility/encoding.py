"""How each column type is written in an export, and read back: one stable encoding per type,
the same on SQLite and PostgreSQL, so that two exports of the same data are byte-identical.

=========  ==========================================  =====================================
type       JSON Lines                                  CSV (RFC 4180, every value quoted)
=========  ==========================================  =====================================
integer    number                                      digits
float      number (shortest exact decimal form)        the same digits
decimal    string of digits                            the same digits
boolean    true / false                                true / false
timestamp  "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC)         the same text
date       "YYYY-MM-DD"                                the same text
text       string                                      the text
bytes      base64 string                               base64
json       the JSON value                              its JSON text
null       null                                        an empty field with no quotes
=========  ==========================================  =====================================

In CSV an empty string is ``""`` and a null is nothing at all between the commas: the
convention of PostgreSQL's ``COPY ... (FORMAT csv)``, which can load these files as they are.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    TypeDecorator,
)

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
KINDS = ("integer", "float", "decimal", "boolean", "timestamp", "date", "text", "bytes", "json")


class UnknownColumnType(TypeError):
    """A column type this format does not describe yet: add it here before exporting."""


def kind_of(column: Column[Any]) -> str:
    """The portable type name of a column (the manifest's ``type``)."""
    kind = column.type
    while isinstance(kind, TypeDecorator):  # SQLModel's AutoString and the like
        kind = kind.impl_instance
    # Order matters: Float is a Numeric, Text is a String.
    for sql_type, name in (
        (Boolean, "boolean"),
        (DateTime, "timestamp"),
        (Date, "date"),
        (Integer, "integer"),
        (Float, "float"),
        (Numeric, "decimal"),
        (LargeBinary, "bytes"),
        (JSON, "json"),
        (String, "text"),
    ):
        if isinstance(kind, sql_type):
            return name
    raise UnknownColumnType(f"{column.table.name}.{column.name}: {kind!r}")


def to_json_value(kind: str, value: Any) -> Any:
    """A database value as a JSON value."""
    if value is None or kind in ("integer", "boolean", "text", "json"):
        return value
    if kind == "float":
        return float(value)
    if kind == "decimal":
        return str(value)
    if kind == "timestamp":
        return _timestamp(value)
    if kind == "date":
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(value).decode("ascii")
    raise UnknownColumnType(kind)


def from_json_value(kind: str, value: Any) -> Any:
    """A JSON value back as the database value."""
    if value is None or kind in ("boolean", "text", "json"):
        return value
    if kind == "integer":
        return int(value)
    if kind == "float":
        return float(value)
    if kind == "decimal":
        return Decimal(value)
    if kind == "timestamp":
        # fromisoformat is ~10x faster than strptime; the checks keep the format strict.
        if len(value) != 27 or value[-1] != "Z":
            raise ValueError(f"a timestamp is YYYY-MM-DDTHH:MM:SS.ffffffZ, not {value!r}")
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value, validate=True)
    raise UnknownColumnType(kind)


def to_csv_text(kind: str, value: Any) -> str | None:
    """A database value as the text of a CSV field (None for null)."""
    if value is None:
        return None
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "float":
        return repr(float(value))
    if kind == "json":
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(to_json_value(kind, value))


def from_csv_text(kind: str, text: str | None) -> Any:
    if text is None:
        return None
    if kind == "boolean":
        if text not in ("true", "false"):
            raise ValueError(f"a boolean is true or false, not {text!r}")
        return text == "true"
    if kind == "json":
        return json.loads(text)
    return from_json_value(kind, text)


def _timestamp(value: datetime) -> str:
    # SQLite gives back naive datetimes (the service stores UTC), PostgreSQL aware ones.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def json_line(row: dict[str, Any]) -> bytes:
    return (
        json.dumps(row, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"
    ).encode("utf-8")


def csv_record(fields: Sequence[str | None]) -> bytes:
    """One CSV record: every value quoted, a null left empty and unquoted, CRLF at the end."""
    cells = ("" if f is None else '"' + f.replace('"', '""') + '"' for f in fields)
    return (",".join(cells) + "\r\n").encode("utf-8")


# A field is a quoted value or nothing, followed by a comma, the end of the record or of the
# file. Python's csv module (3.11) cannot tell "" from an empty unquoted field: this can.
_FIELD = re.compile(r'(?:"((?:[^"]|"")*)"|)(,|\r\n|\Z)', re.DOTALL)


class MalformedCsv(ValueError):
    pass


def csv_records(text: str) -> Iterator[list[str | None]]:
    """The records of a CSV text written by ``csv_record``."""
    position, end = 0, len(text)
    record: list[str | None] = []
    while position < end:
        match = _FIELD.match(text, position)
        if match is None or (match.end() == position and position < end):
            raise MalformedCsv(f"unexpected character at offset {position}")
        quoted, separator = match.group(1), match.group(2)
        record.append(None if quoted is None else quoted.replace('""', '"'))
        position = match.end()
        if separator != ",":
            yield record
            record = []
