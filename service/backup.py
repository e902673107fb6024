"""Backups that restore: ``python -m service backup DEST`` and ``restore SRC``.

- SQLite: SQLite's online backup API (``sqlite3.Connection.backup``), a consistent copy taken
  while the service keeps serving and writing (pages written meanwhile are copied again).
- PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot, taken while serving),
  restored with ``pg_restore`` into an empty database.

Next to the copy, ``manifest.json`` names the instance, the migration revision and the ids
of the keys the data is held under (never the keys): a restore refuses keys that cannot
verify or decrypt the backup (service.instance.keys), since residents' tracking tokens and
the encrypted contacts would not survive it. The search index is derived data: it is not
backed up, and ``restore`` rebuilds it from the restored database.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from service import migrate
from service.db import redacted, sync_url
from service.instance import keys
from service.instance.rules import recorded_key_ids
from service.private_files import make_private_folder, write_private_text
from service.settings import Settings

MANIFEST = "manifest.json"
SQLITE_COPY = "service.db"
POSTGRES_DUMP = "database.dump"
FORMAT_VERSION = 1


class BackupFailed(RuntimeError):
    """The backup or the restore could not be made; the message says why."""


@dataclass(frozen=True)
class Manifest:
    engine: str
    instance_id: str
    revision: str | None
    key_ids: keys.KeyIds
    created_at: str

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT_VERSION,
                "engine": self.engine,
                "instanceId": self.instance_id,
                "revision": self.revision,
                "keyIds": {
                    "signing": list(self.key_ids.signing),
                    "encryption": list(self.key_ids.encryption),
                },
                "createdAt": self.created_at,
                "file": SQLITE_COPY if self.engine == "sqlite" else POSTGRES_DUMP,
            },
            indent=2,
        )

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        try:
            raw: Any = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            return cls(
                engine=str(raw["engine"]),
                instance_id=str(raw["instanceId"]),
                revision=raw.get("revision"),
                key_ids=keys.KeyIds(
                    tuple(raw["keyIds"]["signing"]), tuple(raw["keyIds"]["encryption"])
                ),
                created_at=str(raw["createdAt"]),
            )
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise BackupFailed(f"{folder} holds no readable {MANIFEST} ({error})") from None


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string without its password, and the environment carrying it
    (a password on a command line is visible to every user of the host)."""
    parsed = make_url(sync_url(url))
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupFailed("an in-memory SQLite database cannot be backed up")
    return Path(database)


def backup(settings: Settings, destination: Path, instance_id: str) -> Manifest:
    """Write a consistent copy of the database and its manifest into ``destination`` (a new
    or empty folder, kept owner-only)."""
    if destination.exists() and any(destination.iterdir()):
        raise BackupFailed(f"{destination} is not empty: back up into a new folder")
    make_private_folder(destination)
    url = settings.resolved_database_url
    engine = "sqlite" if settings.is_sqlite else "postgresql"
    if engine == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        target_path = destination / SQLITE_COPY
        write_private_text(target_path, "")
        target = sqlite3.connect(target_path)
        try:
            source.backup(target)  # online: the service keeps writing meanwhile
        finally:
            target.close()
            source.close()
    else:
        connection, env = _libpq(url)
        dump = destination / POSTGRES_DUMP
        write_private_text(dump, "")
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", connection], env)
    manifest = Manifest(
        engine=engine,
        instance_id=instance_id,
        revision=migrate.current_revision(
            f"sqlite:///{destination / SQLITE_COPY}" if engine == "sqlite" else url
        ),
        key_ids=recorded_key_ids(settings),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    write_private_text(destination / MANIFEST, manifest.to_json() + "\n")
    return manifest


def restore(settings: Settings, source: Path) -> Manifest:
    """Restore the backup in ``source`` into the configured database, which must be empty
    (a SQLite file that does not exist yet, or a PostgreSQL database without tables), after
    checking that the configured keys fit the backup's data."""
    manifest = Manifest.read(source)
    engine = "sqlite" if settings.is_sqlite else "postgresql"
    if manifest.engine != engine:
        raise BackupFailed(
            f"this backup is of a {manifest.engine} database; the configured one is {engine} "
            "(to move between engines, use `export` and `import`)"
        )
    try:
        keys.check(manifest.key_ids, keys.configured_key_ids(settings), f"backup {source}")
    except keys.KeysMismatch as error:
        raise BackupFailed(str(error)) from None
    url = settings.resolved_database_url
    if migrate.current_revision(url) is not None:
        raise BackupFailed(
            f"the database {redacted(url)} is not empty: restore into a new database"
        )
    if engine == "sqlite":
        target = _sqlite_path(url)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)  # the empty file just probed
        make_private_folder(target.parent)
        shutil.copyfile(source / SQLITE_COPY, target)
        os.chmod(target, 0o600)
    else:
        connection, env = _libpq(url)
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--exit-on-error",
                f"--dbname={connection}",
                str(source / POSTGRES_DUMP),
            ],
            env,
        )
    return manifest


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = command[0]
    if shutil.which(tool) is None:
        raise BackupFailed(f"{tool} is not installed (Debian: postgresql-client)")
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupFailed(f"{tool} failed: {last}")
