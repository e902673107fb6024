"""Where the pixels live: one small interface, files under the data directory by default.

Files are named by the photo's random id (never the resident's file name), created 0600 in
0700 folders (service.private_files), written to a temporary name and renamed, so a reader
never sees half a file. Another store (an S3-compatible bucket, a database table) only has to
offer the same four methods.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from service.private_files import FILE_MODE, make_private_folder

# What is kept of a photo: staff copies (full, small) and, once staff blurred part of it,
# public copies that differ.
VARIANTS = ("full", "small", "public", "public-small")


class PhotoStore(Protocol):
    def put(self, photo_id: str, variant: str, data: bytes) -> None: ...
    def get(self, photo_id: str, variant: str) -> bytes | None: ...
    def delete(self, photo_id: str) -> int: ...
    def ids(self) -> Iterator[tuple[str, float]]: ...


def new_photo_id() -> str:
    """128 random bits, URL-safe: unguessable, so an upload id is also a capability."""
    return secrets.token_urlsafe(16)


def _valid_id(photo_id: str) -> bool:
    return 16 <= len(photo_id) <= 32 and all(c.isalnum() or c in "-_" for c in photo_id)


class FilePhotoStore:
    """Photos as files under ``root`` (``<data dir>/photos``), two levels of fan-out."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, photo_id: str, variant: str) -> Path:
        if not _valid_id(photo_id) or variant not in VARIANTS:
            raise ValueError("not a photo id or variant")
        return self.root / photo_id[:2] / f"{photo_id}.{variant}.jpg"

    def put(self, photo_id: str, variant: str, data: bytes) -> None:
        path = self._path(photo_id, variant)
        make_private_folder(path.parent)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, path)

    def get(self, photo_id: str, variant: str) -> bytes | None:
        try:
            return self._path(photo_id, variant).read_bytes()
        except (FileNotFoundError, ValueError):
            return None

    def delete(self, photo_id: str) -> int:
        """Remove every copy of a photo; returns how many files went."""
        removed = 0
        for variant in VARIANTS:
            try:
                self._path(photo_id, variant).unlink()
                removed += 1
            except (FileNotFoundError, ValueError):
                pass
        return removed

    def ids(self) -> Iterator[tuple[str, float]]:
        """Every photo id with files here, with the time its newest file was written."""
        if not self.root.is_dir():
            return
        for folder in self.root.iterdir():
            if not folder.is_dir():
                continue
            newest: dict[str, float] = {}
            for entry in folder.iterdir():
                photo_id = entry.name.split(".", 1)[0]
                if entry.name.startswith(".") or not _valid_id(photo_id):
                    continue
                newest[photo_id] = max(newest.get(photo_id, 0.0), entry.stat().st_mtime)
            yield from newest.items()


def photo_store(data_dir: Path) -> FilePhotoStore:
    return FilePhotoStore(data_dir / "photos")
