"""The README.md of an export: every table and every field in plain words, for a
data-protection officer and for the vendor who loads the files elsewhere.

Generated from the code, so it cannot drift: tables from the models' docstrings, fields from
the comments beside them in the models, text and personal columns from the personal-data
declarations (service.privacy.declarations) and the labels of the register of processing, the
other columns from their type, nullability and foreign key.
"""

from __future__ import annotations

from typing import Any

from service.privacy.declarations import PersonalColumn, registry
from service.privacy.register import (
    CATEGORY_LABELS,
    LEGAL_BASIS_LABELS,
    RETENTION_LABELS,
    retention_days,
)
from service.privacy.retention import RetentionPeriods
from service.reversibility.tables import ColumnShape, TableShape, field_notes

TYPE_WORDS = {
    "integer": "whole number",
    "float": "decimal number (floating point)",
    "decimal": "exact decimal number, written as a string",
    "boolean": "true or false",
    "timestamp": "moment in UTC, ISO 8601 `YYYY-MM-DDTHH:MM:SS.ffffffZ`",
    "date": "calendar date, ISO 8601 `YYYY-MM-DD`",
    "text": "text",
    "bytes": "bytes, written in base64",
    "json": "JSON value",
}

INTRODUCTION = """\
# Export of the citizen feedback service of Angers Loire Métropole

This folder holds the **whole database** of one instance of the service, in open formats, so
that Angers Loire Métropole can keep it, read it, or load it into another system.

- One file per table: `<table>.jsonl` (JSON Lines: one JSON object per line, one key per
  column) or `<table>.csv` (RFC 4180 CSV, UTF-8, a header row of column names, every value
  between double quotes, records ending in CRLF; an **empty field without quotes is null**,
  `""` is an empty text — PostgreSQL's `COPY ... (FORMAT csv, HEADER)` reads them as they are).
- Rows are in primary-key order (text keys in byte order), so two exports of the same data
  are byte-identical.
- `manifest.json` lists every file with its row count, its SHA-256 checksum, its columns
  (type, nullability, maximum length, foreign key) and primary key; the database schema
  revision; when the export was made; and whether contacts are in clear.
- Values: {types}.
- `python -m service import DIR` loads this folder into an **empty** instance of the service
  (SQLite or PostgreSQL) at the same schema revision.

This export holds personal data (see the fields marked *personal data* below): keep it as
safely as the database itself, and delete it when it is no longer needed.
"""


def export_readme(
    tables: list[TableShape], manifest: dict[str, Any], periods: RetentionPeriods
) -> str:
    declared = registry()
    notes = field_notes()
    in_clear = bool(manifest["contacts_in_clear"])
    encrypted = manifest["encrypted_columns"]
    types = "; ".join(f"{kind}: {words}" for kind, words in TYPE_WORDS.items())
    secrets = [f"{t}.{c}" for t, c in sorted(declared.encrypted_not_personal)]
    lines = [INTRODUCTION.format(types=types)]
    lines.append("## Encrypted contact data\n")
    lines.append(
        "The contact details residents leave when they ask to be contacted are encrypted at "
        "rest (AES-256-GCM; a value is `<key id>:<base64 of nonce and ciphertext>`, the "
        "associated data is `table.column`); e-mail and phone also have a keyed hash "
        "(HMAC-SHA256) for equality lookups. Columns: "
        + ", ".join(f"`{name}`" for name in encrypted if name not in secrets)
        + ".\n"
    )
    if in_clear:
        lines.append(
            "**This export holds these contacts IN CLEAR** (exported with "
            "`--include-contacts`): names, e-mail addresses and phone numbers are readable. "
            "Their `key_id`, `email_hash` and `phone_hash` are empty: they belong to the "
            "source's keys, and the import encrypts the contacts again with its own.\n"
        )
    else:
        lines.append(
            "**This export holds them as stored, encrypted**: reading them needs the "
            "source instance's keys (`SERVICE_ENCRYPTION_KEYS`, or the `SERVICE_SECRET_KEYS` "
            "they are derived from); an instance importing this folder needs the same keys. "
            "Export with `--include-contacts` to get them in clear.\n"
        )
    lines.append("## Encrypted webhook signing secrets\n")
    lines.append(
        "The secrets that sign deliveries to bodies' and integrators' webhooks (HMAC-SHA256 "
        "keys) are encrypted at rest the same way, the id of their key in "
        "`signing_secret_key_id` (empty: the secret is in plaintext). Columns: "
        + ", ".join(f"`{name}`" for name in secrets)
        + ". **They stay encrypted in every export**, `--include-contacts` or not: in clear "
        "they would let anyone holding this folder forge signed deliveries. An instance "
        "importing this folder needs the source's keys to use them; it may then add its own "
        "key and run `python -m service rekey`.\n"
    )
    lines.append("## Tables\n")
    for shape in tables:
        entry = next(t for t in manifest["tables"] if t["name"] == shape.name)
        lines.append(f"### `{shape.name}`\n")
        lines.append((shape.description or "(no description in the code)") + "\n")
        key = ", ".join(f"`{c}`" for c in shape.primary_key)
        lines.append(f"File `{entry['file']}`, {entry['rows']} rows; primary key {key}.\n")
        lines.append("| field | type | description |")
        lines.append("|---|---|---|")
        for column in shape.columns:
            words = _field_words(shape, column, declared, notes, periods, in_clear)
            lines.append(f"| `{column.name}` | {_type_words(column)} | {words} |")
        lines.append("")
    return "\n".join(lines)


def _type_words(column: ColumnShape) -> str:
    words = column.kind
    if column.max_length:
        words += f" (at most {column.max_length} characters)"
    return words + (", may be null" if column.nullable else ", always set")


def _field_words(
    shape: TableShape,
    column: ColumnShape,
    declared: Any,
    notes: dict[tuple[str, str], str],
    periods: RetentionPeriods,
    in_clear: bool,
) -> str:
    parts: list[str] = []
    note = notes.get((shape.name, column.name))
    if note:
        parts.append(note[0].upper() + note[1:] + ("" if note.endswith(".") else "."))
    if column.name in shape.primary_key:
        parts.append("Identifies the row (primary key).")
    if column.references:
        parts.append(f"Refers to `{column.references}`.")
    personal: PersonalColumn | None = declared.personal.get((shape.name, column.name))
    why: str | None = declared.not_personal.get((shape.name, column.name))
    if personal is not None:
        parts.append(_personal_words(personal, declared, periods, in_clear))
    elif why is not None:
        parts.append(f"Not personal data: {why}.")
        if (shape.name, column.name) in declared.encrypted_not_personal:
            parts.append("Encrypted at rest; encrypted in this export.")
    elif not parts:
        parts.append(_generic_words(column))
    return " ".join(parts).replace("|", "\\|")


def _personal_words(
    column: PersonalColumn, declared: Any, periods: RetentionPeriods, in_clear: bool
) -> str:
    purposes = "; ".join(
        f"{declared.purposes[p].title} ({LEGAL_BASIS_LABELS[declared.purposes[p].legal_basis]})"
        for p in column.purposes
    )
    retention = RETENTION_LABELS[column.retention] % {
        "days": retention_days(column.retention, periods)
    }
    words = (
        f"**Personal data**: {CATEGORY_LABELS[column.category]}. Purpose: {purposes}. "
        f"Retention: {retention}."
    )
    if column.encrypted:
        if column.column.endswith("_hash"):
            words += " Keyed hash (HMAC-SHA256) for equality lookups"
            words += ", empty in this export." if in_clear else "."
        else:
            words += " Encrypted at rest;" + (
                " IN CLEAR in this export." if in_clear else " encrypted in this export."
            )
    return words


def _generic_words(column: ColumnShape) -> str:
    """Columns no declaration covers: numbers, moments, flags. Their name says what."""
    name = column.name.replace("_", " ")
    if column.kind == "timestamp":
        return f"When: {name}."
    if column.kind == "date":
        return f"Day: {name}."
    if column.kind == "boolean":
        return f"Whether: {name}."
    if column.kind in ("integer", "float", "decimal"):
        return f"Number: {name}. Not personal data."
    return f"{name.capitalize()}."
