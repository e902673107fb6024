"""``python -m service import DIR``: an export loaded into an empty instance.

Checked before anything is written: the manifest's format and version, its schema revision
(must be the code's), every file's SHA-256, the columns of every table, and the keys of the
contacts and webhook signing secrets.
The target must be empty: a new database (migrated here) or one only migrated — not even the
reference data of ``load-fixtures``, since the export carries its own. Then tables are
inserted parents first in batches, in one transaction: a failure leaves the instance empty.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, text, tuple_, update

from service import migrate
from service.db import create_sync_engine
from service.invariants import required
from service.photos.storage import VARIANTS, PhotoStore
from service.privacy.crypto import FieldCipher
from service.privacy.signing_secrets import KEY_ID as SECRET_KEY_ID
from service.privacy.signing_secrets import SECRET_TABLES
from service.reversibility.encoding import csv_records, from_csv_text, from_json_value
from service.reversibility.export import (
    BATCH,
    CONTACT_TABLE,
    ENCRYPTED_VALUES,
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST,
)
from service.reversibility.tables import TableShape, exported_table, exported_tables

Progress = Callable[[int, int], None]


class ImportRefused(Exception):
    """The folder cannot be imported here; nothing was written."""


@dataclass(frozen=True)
class ImportResult:
    rows: int
    tables: int
    contacts_encrypted: int  # contacts that came in clear and were encrypted with our keys
    feed_rebased: bool  # outbox transaction ids reset (they belonged to the source)


def import_database(
    url: str,
    directory: Path,
    cipher: FieldCipher | None,
    progress: Progress | None = None,
    photos: PhotoStore | None = None,
) -> ImportResult:
    """Load an export into an empty database; with ``photos``, the photo files listed in the
    manifest (each checked against its SHA-256 first) go into that store."""
    manifest = read_manifest(directory)
    tables = exported_tables()
    entries = _check_entries(manifest, tables, directory)
    files = _check_files(manifest, directory) if photos is not None else []
    clear = bool(manifest.get("contacts_in_clear"))
    if clear and cipher is None:
        raise ImportRefused(
            "this export holds contacts in clear: configure SERVICE_ENCRYPTION_KEYS or "
            "SERVICE_SECRET_KEYS so that they are encrypted as they come in"
        )
    if not clear:
        contacts = next(t for t in tables if t.name == CONTACT_TABLE)
        entry = entries[CONTACT_TABLE]
        _check_keys(
            _rows(directory / Path(entry["file"]).name, contacts, manifest["encoding"]), cipher
        )
    for shape in tables:
        if shape.name in SECRET_TABLES:
            file = directory / Path(entries[shape.name]["file"]).name
            _check_secret_keys(_rows(file, shape, manifest["encoding"]), cipher)
    _prepare_schema(url)
    engine = create_sync_engine(url)
    try:
        with engine.begin() as connection:
            _refuse_unless_empty(connection, tables)
            total = sum(int(e["rows"]) for e in entries.values())
            done = 0
            for shape in tables:
                entry = entries[shape.name]
                rows = _rows(directory / Path(entry["file"]).name, shape, manifest["encoding"])
                done = _insert(connection, shape, rows, int(entry["rows"]), done, total, progress)
            sealed = _seal_contacts(connection, cipher) if clear else 0
            rebased = _rebase_change_feed(connection)
            _reset_sequences(connection, tables)
    finally:
        engine.dispose()
    if photos is not None:
        for entry in files:
            data = (directory / entry["file"]).read_bytes()
            photos.put(entry["photo"], entry["copy"], data)
    return ImportResult(done, len(tables), sealed, rebased)


def _check_files(manifest: dict[str, Any], directory: Path) -> list[dict[str, Any]]:
    """The manifest's photo files, every one present, named as ours, and matching its hash."""
    files: list[dict[str, Any]] = list(manifest.get("files", []))
    for entry in files:
        name = Path(str(entry.get("file", ""))).name
        if (
            entry.get("copy") not in VARIANTS
            or name != f"photo-{entry.get('photo')}.{entry.get('copy')}.jpg"
        ):
            raise ImportRefused(f"the manifest lists an unexpected file {name!r}")
        path = directory / name
        if not path.is_file():
            raise ImportRefused(f"{path} is missing")
        if _sha256(path) != entry.get("sha256"):
            raise ImportRefused(
                f"{name} does not match its checksum in the manifest: the file was changed "
                "or damaged since the export"
            )
        entry["file"] = name
    return files


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.is_file():
        raise ImportRefused(f"{path} is missing: is {directory} an export of this service?")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ImportRefused(f"{path} is not valid JSON ({error})") from None
    if manifest.get("format") != FORMAT_NAME or manifest.get("format_version") != FORMAT_VERSION:
        raise ImportRefused(
            f"{path} is not a version {FORMAT_VERSION} {FORMAT_NAME}: "
            f"format {manifest.get('format')!r} version {manifest.get('format_version')!r}"
        )
    head = migrate.head_revision()
    if manifest.get("alembic_revision") != head:
        raise ImportRefused(
            f"the export is at schema revision {manifest.get('alembic_revision')}, this "
            f"service at {head}: import it with the service version that exported it "
            f"({manifest.get('service_version')}), then upgrade that instance"
        )
    if manifest.get("encoding") not in ("jsonl", "csv"):
        raise ImportRefused(f"unknown encoding {manifest.get('encoding')!r} in {path}")
    return manifest


def _check_entries(
    manifest: dict[str, Any], tables: list[TableShape], directory: Path
) -> dict[str, dict[str, Any]]:
    entries = {entry["name"]: entry for entry in manifest.get("tables", [])}
    expected = {shape.name for shape in tables}
    if set(entries) != expected:
        missing, extra = sorted(expected - set(entries)), sorted(set(entries) - expected)
        raise ImportRefused(f"the manifest's tables differ: missing {missing}, unknown {extra}")
    for shape in tables:
        entry = entries[shape.name]
        if [c["name"] for c in entry["columns"]] != [c.name for c in shape.columns]:
            raise ImportRefused(f"the columns of {shape.name} differ from this service's")
        path = directory / Path(entry["file"]).name
        if not path.is_file():
            raise ImportRefused(f"{path} is missing")
        if _sha256(path) != entry["sha256"]:
            raise ImportRefused(
                f"{path.name} does not match its checksum in the manifest: the file was "
                "changed or damaged since the export"
            )
    return entries


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _prepare_schema(url: str) -> None:
    current = migrate.current_revision(url)
    if current is None:
        migrate.upgrade(url)  # a new database: create the schema, no rows
    elif current != migrate.head_revision():
        raise ImportRefused(
            f"the target database is at revision {current}, not {migrate.head_revision()}: "
            "import into a new database, or run `python -m service migrate` on this one first"
        )


def _refuse_unless_empty(connection: Connection, tables: list[TableShape]) -> None:
    filled = [
        shape.name
        for shape in tables
        if connection.execute(select(text("1")).select_from(shape.table).limit(1)).first()
    ]
    if filled:
        raise ImportRefused(
            "the target database is not empty (rows in "
            + ", ".join(filled[:5])
            + (", ..." if len(filled) > 5 else "")
            + "): import into a new database, migrated at most — not even `load-fixtures`, "
            "the export carries its own reference data"
        )


def _rows(path: Path, shape: TableShape, encoding: str) -> Iterator[dict[str, Any]]:
    kinds = shape.kinds()
    try:
        if encoding == "csv":
            records = csv_records(path.read_bytes().decode("utf-8"))  # CRLF kept
            names = list(kinds)
            if next(records, None) != names:
                raise ImportRefused(f"{path.name}: the header is not {names}")
            for record in records:
                if len(record) != len(names):
                    raise ImportRefused(f"{path.name}: a record has {len(record)} fields")
                yield {c: from_csv_text(kinds[c], v) for c, v in zip(names, record, strict=True)}
            return
        with path.open(encoding="utf-8") as file:
            for line in file:
                values = json.loads(line)
                yield {c: from_json_value(k, values[c]) for c, k in kinds.items()}
    except (ValueError, KeyError, TypeError) as error:
        raise ImportRefused(f"{path.name} is malformed: {error}") from None


# An export says its contacts are encrypted (or holds signing secrets, always encrypted), yet
# a row holds a value without a key: not an export this service wrote.
UNENCRYPTED = (
    "{what} is not encrypted although the manifest says it is: this folder was not written "
    "by `python -m service export` as it is; export again (after `rekey`)"
)


def _check_keys(rows: Iterator[dict[str, Any]], cipher: FieldCipher | None) -> None:
    """Encrypted contacts come in only if this instance holds their keys: else they'd be
    unreadable here."""
    for row in rows:
        kid = row.get("key_id")
        if kid is None and any(row.get(c) is not None for c in ENCRYPTED_VALUES[CONTACT_TABLE][1]):
            raise ImportRefused(UNENCRYPTED.format(what=f"contact {row.get('id')}"))
        if kid is not None and (cipher is None or not cipher.knows(kid)):
            raise ImportRefused(
                f"contacts are encrypted under key {kid}, which this instance does not have: "
                "configure the source's keys (SERVICE_ENCRYPTION_KEYS or SERVICE_SECRET_KEYS), "
                "or export with --include-contacts"
            )


def _check_secret_keys(rows: Iterator[dict[str, Any]], cipher: FieldCipher | None) -> None:
    """Signing secrets are exported encrypted, always: they come in only if this instance
    holds their keys, else no delivery could be signed."""
    for row in rows:
        kid = row.get(SECRET_KEY_ID)
        if kid is None and row.get("signing_secret") is not None:
            raise ImportRefused(UNENCRYPTED.format(what=f"signing secret {row.get('id')}"))
        if kid is not None and (cipher is None or not cipher.knows(kid)):
            raise ImportRefused(
                f"webhook signing secrets are encrypted under key {kid}, which this instance "
                "does not have: configure the source's keys (SERVICE_ENCRYPTION_KEYS or "
                "SERVICE_SECRET_KEYS), then add a new one and run `rekey` if you wish"
            )


def _insert(
    connection: Connection,
    shape: TableShape,
    rows: Iterator[dict[str, Any]],
    expected: int,
    done: int,
    total: int,
    progress: Progress | None,
) -> int:
    deferred = shape.self_references
    later: list[dict[str, Any]] = []
    count = 0
    batch: list[dict[str, Any]] = []
    for row in rows:
        if deferred:
            links = {c: row[c] for c in deferred if row[c] is not None}
            if links:
                later.append({**{f"pk_{k}": row[k] for k in shape.primary_key}, **links})
            row = {**row, **dict.fromkeys(deferred)}
        batch.append(row)
        if len(batch) >= BATCH:
            connection.execute(shape.table.insert(), batch)
            count, done, batch = count + len(batch), done + len(batch), []
            if progress is not None:
                progress(done, total)
    if batch:
        connection.execute(shape.table.insert(), batch)
        count, done = count + len(batch), done + len(batch)
    if count != expected:
        raise ImportRefused(f"{shape.name}: {count} rows in the file, {expected} in the manifest")
    for column in deferred:
        _link(connection, shape, column, [r for r in later if column in r])
    if progress is not None:
        progress(done, total)
    return done


def _link(
    connection: Connection, shape: TableShape, column: str, links: list[dict[str, Any]]
) -> None:
    """Second pass of a self-reference: every row exists now."""
    if not links:
        return
    table = shape.table
    where = [table.c[k] == bindparam(f"pk_{k}") for k in shape.primary_key]
    statement = update(table).where(*where).values({column: bindparam(f"new_{column}")})
    connection.execute(
        statement,
        [
            {**{f"pk_{k}": r[f"pk_{k}"] for k in shape.primary_key}, f"new_{column}": r[column]}
            for r in links
        ],
    )


def _seal_contacts(connection: Connection, cipher: FieldCipher | None) -> int:
    from service.privacy.rekey import reseal_contacts

    # Checked before anything was written.
    return reseal_contacts(connection, required(cipher, "the cipher contacts are sealed with"))


def _rebase_change_feed(connection: Connection) -> bool:
    """Outbox entries carry the id of the source's writing transaction. The change feed orders
    by (txid, id) and, on PostgreSQL, hides entries of transactions not yet below the oldest
    one in flight: source ids above this database's would hide the imported entries and put
    new ones behind every cursor. Then they are reset to 0 (SQLite's value; ids keep the
    order) and each webhook resumes before its first unseen entry (it may see a few again)."""
    outbox = exported_table("outbox")
    webhook = exported_table("webhook")
    highest = connection.scalar(select(func.max(outbox.c.txid)))
    if not highest:
        return False
    if connection.dialect.name == "postgresql":
        now = connection.scalar(text("SELECT pg_current_xact_id()::text::bigint"))
        if now is not None and highest < now:
            return False
    for hook in connection.execute(select(webhook.c.id, webhook.c.after_txid, webhook.c.after_id)):
        unseen = select(func.min(outbox.c.id)).where(
            tuple_(outbox.c.txid, outbox.c.id) > tuple_(hook.after_txid, hook.after_id)
        )
        first_unseen = connection.scalar(unseen)
        last = connection.scalar(select(func.max(outbox.c.id))) or 0
        resume = first_unseen - 1 if first_unseen is not None else last
        connection.execute(
            update(webhook).where(webhook.c.id == hook.id).values(after_txid=0, after_id=resume)
        )
    connection.execute(update(outbox).values(txid=0))
    return True


def _reset_sequences(connection: Connection, tables: list[TableShape]) -> None:
    """PostgreSQL: new rows must get ids after the imported ones (SQLite takes max + 1)."""
    if connection.dialect.name != "postgresql":
        return
    for shape in tables:
        if len(shape.primary_key) != 1 or shape.kinds()[shape.primary_key[0]] != "integer":
            continue
        key = shape.primary_key[0]
        sequence = connection.scalar(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": shape.name, "column": key},
        )
        if sequence is None:
            continue
        highest = connection.scalar(select(func.max(shape.table.c[key])))
        if highest is None:
            connection.execute(text("SELECT setval(:s, 1, false)"), {"s": sequence})
        else:
            connection.execute(text("SELECT setval(:s, :v, true)"), {"s": sequence, "v": highest})
