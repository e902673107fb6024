"""Which database a search index follows: ``<search dir>/instance.json`` names the instance
(and, for people, the database) whose outbox the index reflects.

An index is derived data, so one that follows another database (two instances started from
the same folder), or whose origin is unknown (written before it was labelled), is rebuilt
from this instance's database before serving (``ensure_follows``), never searched; and
``/readyz`` says which instance the index follows, refusing readiness when it is another's.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from service.private_files import write_private_text

IDENTITY_FILE = "instance.json"
FOLLOWS, UNLABELLED, OTHER = "follows", "unlabelled", "other"


@dataclass(frozen=True)
class IndexIdentity:
    instance_id: str
    database: str  # redacted URL: for people reading the file, never compared


def identity_path(search_dir: Path) -> Path:
    return search_dir / IDENTITY_FILE


def read_identity(search_dir: Path) -> IndexIdentity | None:
    try:
        raw = json.loads(identity_path(search_dir).read_text(encoding="utf-8"))
        return IndexIdentity(str(raw["instanceId"]), str(raw.get("database", "")))
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


def write_identity(search_dir: Path, identity: IndexIdentity) -> None:
    search_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"instanceId": identity.instance_id, "database": identity.database})
    temporary = identity_path(search_dir).with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    write_private_text(temporary, text + "\n")
    os.replace(temporary, identity_path(search_dir))


def relation(search_dir: Path, instance_id: str) -> str:
    """FOLLOWS this instance, UNLABELLED (no identity file) or follows an OTHER one."""
    found = read_identity(search_dir)
    if found is None:
        return UNLABELLED
    return FOLLOWS if found.instance_id == instance_id else OTHER


def claimed(search_dir: Path, instance_id: str, database: str) -> IndexIdentity:
    """The index's identity; an unlabelled one is labelled as this instance's (the serving
    commands have rebuilt any unlabelled index holding documents before: what is left
    unlabelled is an index made in process, or a new one)."""
    found = read_identity(search_dir)
    if found is None:
        found = IndexIdentity(instance_id, database)
        write_identity(search_dir, found)
    return found
