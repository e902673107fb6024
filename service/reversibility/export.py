"""``python -m service export DIR``: the whole database as one file per table, a manifest and
a README. Read in one snapshot (REPEATABLE READ on PostgreSQL, one read transaction on
SQLite), rows in primary-key order, values in the encoding of service.reversibility.encoding.

Contacts are written as stored (AES-GCM ciphertext) unless the caller asks for them in clear;
then their key id and lookup hashes, which belong to the source's keys, are left empty and
the import encrypts them again with the target's keys. Webhook signing secrets are always
written as stored: an export in clear would let its reader forge signed deliveries, and the
target needs the source's keys to sign anyway.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata as package_metadata
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine, create_engine, event, func, or_, select, text

from service.db import sync_url
from service.photos.storage import VARIANTS, PhotoStore
from service.privacy.crypto import FieldCipher
from service.privacy.declarations import registry
from service.privacy.retention import RetentionPeriods
from service.privacy.rules import open_contact
from service.reversibility.encoding import csv_record, json_line, to_csv_text, to_json_value
from service.reversibility.readme import export_readme
from service.reversibility.tables import TableShape, exported_table, exported_tables

FORMAT_NAME = "alm-feedback-export"
FORMAT_VERSION = 1
FORMATS = {"jsonl": ".jsonl", "csv": ".csv"}
MANIFEST = "manifest.json"
README = "README.md"
BATCH = 2_000
CONTACT_TABLE = "contact"
# Derived from the source's keys: meaningless once the values are in clear.
CONTACT_KEY_COLUMNS = ("key_id", "email_hash", "phone_hash")

Progress = Callable[[int, int], None]


class ExportRefused(Exception):
    """The export cannot be written (a non-empty directory, an undecryptable contact...)."""


@dataclass(frozen=True)
class ExportOptions:
    fmt: str = "jsonl"
    include_contacts: bool = False
    retention: RetentionPeriods = RetentionPeriods()


def export_database(
    url: str,
    directory: Path,
    options: ExportOptions,
    cipher: FieldCipher | None,
    now: datetime,
    progress: Progress | None = None,
    photos: PhotoStore | None = None,
) -> dict[str, Any]:
    """Write the export into ``directory`` (created, or existing and empty); its manifest.
    With ``photos``, the files of every photo row go beside the tables (``photo-<id>.<copy>.jpg``),
    each in the manifest's ``files`` with its SHA-256."""
    if options.fmt not in FORMATS:
        raise ExportRefused(f"unknown format {options.fmt!r}: choose jsonl or csv")
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ExportRefused(f"{directory} is not an empty directory: choose a new one")
    if not directory.exists():
        directory.mkdir(parents=True, mode=0o700)  # the whole database: its owner only
    try:
        return _write(url, directory, options, cipher, now, progress, photos)
    except BaseException:
        # Never leave half an export behind, least of all half the contacts in clear.
        for path in directory.iterdir():
            path.unlink()
        raise


def _write(
    url: str,
    directory: Path,
    options: ExportOptions,
    cipher: FieldCipher | None,
    now: datetime,
    progress: Progress | None,
    photos: PhotoStore | None = None,
) -> dict[str, Any]:
    tables = exported_tables()
    engine = create_engine(sync_url(url), hide_parameters=True)
    try:
        with _snapshot(engine) as connection:
            _refuse_unencrypted(connection, options.include_contacts)
            revision = _revision(connection)
            counts = {
                t.name: connection.scalar(select(func.count()).select_from(t.table)) or 0
                for t in tables
            }
            total, done = sum(counts.values()), 0
            entries = []
            for shape in tables:
                file_name = shape.name + FORMATS[options.fmt]
                with _private(directory / file_name) as out:
                    writer = _Writer(out, shape, options.fmt)
                    for batch in _batches(connection, shape):
                        if shape.name == CONTACT_TABLE and options.include_contacts:
                            batch = [_in_clear(row, cipher) for row in batch]
                        writer.write(batch)
                        done += len(batch)
                        if progress is not None:
                            progress(done, total)
                entries.append(_entry(shape, file_name, writer))
            photo_ids = [
                str(i) for i in connection.scalars(text("SELECT id FROM photo ORDER BY id"))
            ]
    finally:
        engine.dispose()
    if progress is not None:
        progress(done, total)
    manifest = _manifest(entries, revision, options, now)
    if photos is not None:
        manifest["files"] = _photo_files(directory, photos, photo_ids)
    with _private(directory / MANIFEST) as out:
        out.write(manifest_bytes(manifest))
    with _private(directory / README) as out:
        out.write(export_readme(tables, manifest, options.retention).encode("utf-8"))
    return manifest


# Values the declarations say are encrypted, each with the column naming its key: a row
# with a value but no key was left in clear (a migration run without the keys, "until
# rekey"), and must not go out under a manifest saying it is encrypted.
ENCRYPTED_VALUES = {
    "contact": ("key_id", ("name", "email", "phone")),
    "route": ("signing_secret_key_id", ("signing_secret",)),
    "webhook": ("signing_secret_key_id", ("signing_secret",)),
}


def _refuse_unencrypted(connection: Connection, include_contacts: bool) -> None:
    found = []
    for name, (key, values) in ENCRYPTED_VALUES.items():
        if name == CONTACT_TABLE and include_contacts:
            continue  # they go out in clear anyway, and are encrypted again on import
        table = exported_table(name)
        clear = table.c[key].is_(None) & or_(*(table.c[v].is_not(None) for v in values))
        count = connection.scalar(select(func.count()).select_from(table).where(clear)) or 0
        if count:
            found.append(f"{count} rows of {name}")
    if found:
        raise ExportRefused(
            f"{', '.join(found)} hold values stored unencrypted (a migration ran without the "
            "keys): run `python -m service rekey` with SERVICE_ENCRYPTION_KEYS set, then export"
        )


def _private(path: Path) -> BinaryIO:
    """A new file only its owner can read (an export holds personal data, maybe in clear)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The manifest as written: keys sorted, one value per line, so a diff is readable and
    two exports of the same data differ only on the ``exported_at`` line."""
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection seeing one consistent state of the database, changing nothing."""
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _own_transactions(dbapi_connection: Any, _: Any) -> None:
            dbapi_connection.isolation_level = None  # we BEGIN ourselves, below

        with engine.connect() as connection:
            connection.exec_driver_sql("BEGIN")  # deferred: a read snapshot, no write lock
            try:
                yield connection
            finally:
                connection.exec_driver_sql("ROLLBACK")
        return
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        with connection.begin():
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            yield connection


def _revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _batches(connection: Connection, shape: TableShape) -> Iterator[list[dict[str, Any]]]:
    postgres = connection.dialect.name == "postgresql"
    order = []
    for name in shape.primary_key:
        column = shape.table.c[name]
        # Byte order of the text on both databases ("C" is PostgreSQL's; SQLite's default).
        text_key = postgres and shape.kinds()[name] == "text"
        order.append(column.collate("C") if text_key else column)
    result = connection.execution_options(yield_per=BATCH).execute(
        select(shape.table).order_by(*order)
    )
    for partition in result.mappings().partitions(BATCH):
        yield [dict(row) for row in partition]


def _in_clear(row: dict[str, Any], cipher: FieldCipher | None) -> dict[str, Any]:
    from types import SimpleNamespace

    from service.privacy.crypto import UndecryptableValue

    try:
        details = open_contact(SimpleNamespace(**row), cipher)
    except UndecryptableValue as error:
        raise ExportRefused(
            f"contact {row['id']} cannot be decrypted ({error}): configure the keys that "
            "encrypted it (SERVICE_ENCRYPTION_KEYS or SERVICE_SECRET_KEYS)"
        ) from None
    clear = {**row, "name": details.name, "email": details.email, "phone": details.phone}
    clear.update(dict.fromkeys(CONTACT_KEY_COLUMNS))
    return clear


class _Writer:
    """Writes rows in one format and keeps the file's SHA-256 and row count."""

    def __init__(self, out: BinaryIO, shape: TableShape, fmt: str) -> None:
        self.out, self.fmt = out, fmt
        self.kinds = shape.kinds()
        self.digest = hashlib.sha256()
        self.rows = 0
        if fmt == "csv":
            self._emit(csv_record(list(self.kinds)))

    def write(self, rows: list[dict[str, Any]]) -> None:
        kinds = self.kinds
        for row in rows:
            if self.fmt == "csv":
                line = csv_record([to_csv_text(kinds[c], row[c]) for c in kinds])
            else:
                line = json_line({c: to_json_value(kinds[c], row[c]) for c in kinds})
            self._emit(line)
        self.rows += len(rows)

    def _emit(self, data: bytes) -> None:
        self.digest.update(data)
        self.out.write(data)


def _photo_files(directory: Path, photos: PhotoStore, photo_ids: list[str]) -> list[dict[str, Any]]:
    """Copy every kept copy of the exported photos beside the tables; their manifest entries."""
    files = []
    for photo_id in photo_ids:
        for variant in VARIANTS:
            data = photos.get(photo_id, variant)
            if data is None:
                continue
            name = f"photo-{photo_id}.{variant}.jpg"
            with _private(directory / name) as out:
                out.write(data)
            files.append(
                {
                    "file": name,
                    "photo": photo_id,
                    "copy": variant,
                    "bytes": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            )
    return files


def _entry(shape: TableShape, file_name: str, writer: _Writer) -> dict[str, Any]:
    return {
        "name": shape.name,
        "file": file_name,
        "rows": writer.rows,
        "sha256": writer.digest.hexdigest(),
        "primary_key": list(shape.primary_key),
        "columns": [c.manifest() for c in shape.columns],
    }


def encrypted_columns() -> list[str]:
    """``table.column`` of every column the declarations say is encrypted at rest."""
    declared = registry()
    personal = {key for key, column in declared.personal.items() if column.encrypted}
    return sorted(f"{t}.{c}" for t, c in personal | declared.encrypted_not_personal)


def _manifest(
    entries: list[dict[str, Any]],
    revision: str | None,
    options: ExportOptions,
    now: datetime,
) -> dict[str, Any]:
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "exported_at": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "service_version": package_metadata.version("alm-feedback-service"),
        "alembic_revision": revision,
        "encoding": options.fmt,
        "encrypted_columns": encrypted_columns(),
        "contacts_in_clear": options.include_contacts,
        "tables": entries,
    }
