"""Real processes of the service for the hostile tests: its database, its umask, its data."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from tests.support import throwaway_database

# The mode most hosts give new files unless told otherwise: what the service must not rely on.
USUAL_UMASK = 0o022


@contextlib.contextmanager
def server_database(folder: Path) -> Iterator[dict[str, str]]:
    """The ``SERVICE_*`` variables of a new database for a served process: the default SQLite
    file of the data dir, or a throwaway PostgreSQL database when TEST_DATABASE_URL is set."""
    base_url = os.environ.get("TEST_DATABASE_URL")
    if not base_url:
        yield {}
        return
    with throwaway_database(base_url, folder) as url:
        yield {"SERVICE_DATABASE_URL": url}


@contextlib.contextmanager
def usual_umask() -> Iterator[None]:
    """Processes started inside inherit the usual umask, whatever the test runner's."""
    previous = os.umask(USUAL_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def modes_under(folder: Path) -> dict[str, int]:
    """The permission bits of ``folder`` (as ".") and of everything under it (entries that
    vanish while listed, such as merged index segments, are skipped)."""
    modes = {}
    for path in [folder, *folder.rglob("*")]:
        with contextlib.suppress(FileNotFoundError):
            modes[path.relative_to(folder).as_posix()] = stat.S_IMODE(path.lstat().st_mode)
    return modes


def not_owner_only(folder: Path) -> dict[str, str]:
    """The entries under ``folder`` that are not 0700 (folders) or 0600 (files)."""
    wrong = {}
    for name, mode in modes_under(folder).items():
        wanted = 0o700 if (folder / name).is_dir() else 0o600
        if mode != wanted:
            wrong[name] = oct(mode)
    return wrong
