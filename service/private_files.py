"""What the service writes is readable by its own user only: files 0600, folders 0700.

The data directory holds the database (private notes, unmasked texts, staff password hashes),
its WAL, the search index (the same texts) and the demo secret key. Three layers keep it
private, because the files are created by SQLite, whoosh and tantivy as much as by us:

- every entry point (``python -m service …``, the app factory of uvicorn workers) sets the
  process umask to 0o077, so whatever a library creates has no group or other bits;
- the files we create ourselves (the SQLite file before SQLite opens it, the demo key) get
  their mode explicitly, whatever the umask of the caller;
- at start-up, a data directory found too open (written before this rule, or copied in) is
  tightened, with a warning naming the entries fixed (file names, never their content).
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from service.settings import Settings

logger = logging.getLogger("service.files")

PRIVATE_UMASK = 0o077
FILE_MODE = 0o600
FOLDER_MODE = 0o700
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
# A warning names at most this many entries (a large tree is summarised by its count).
NAMED_IN_WARNING = 10


def restrict_umask() -> None:
    """From now on this process (and the processes it starts) creates owner-only entries."""
    os.umask(PRIVATE_UMASK)


def protect_data(settings: Settings) -> None:
    """What every entry point does first: the umask, then the data found too open."""
    restrict_umask()
    tighten(settings.data_dir, sqlite_files(settings.resolved_database_url))


def sqlite_files(database_url: str) -> list[Path]:
    """The files of a SQLite database (none for PostgreSQL or an in-memory database)."""
    parsed = make_url(database_url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return []
    database = Path(parsed.database)
    return [database, *(database.with_name(database.name + end) for end in SQLITE_SIDE_FILES)]


def make_private_folder(path: Path) -> None:
    """Create ``path`` and its missing parents as 0700 folders (existing ones are left)."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=FOLDER_MODE, exist_ok=True)  # exists: another process made it


def make_private_file(path: Path) -> None:
    """Create ``path`` empty and 0600 if it does not exist, so that whoever fills it (SQLite,
    and the WAL and shared-memory files SQLite gives the database's mode) keeps it private."""
    make_private_folder(path.parent)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(descriptor)


def write_private_text(path: Path, text: str) -> None:
    """Write a new file readable by its owner only, never visible with wider rights."""
    make_private_folder(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)


def tighten(data_dir: Path, extra_files: Iterable[Path] = ()) -> list[str]:
    """Take group and other rights (and files' execute bits) away from everything under
    ``data_dir`` and from ``extra_files`` (a SQLite database kept elsewhere); symbolic links
    are not followed. Returns the entries changed, relative to ``data_dir`` when under it,
    and logs a warning naming them."""
    changed: list[str] = []
    refused: list[str] = []
    for path in [*_tree(data_dir), *extra_files]:
        outcome = _tighten_one(path)
        if outcome is not None:
            (changed if outcome else refused).append(_shown(path, data_dir))
    if changed:
        logger.warning(
            "data folder %s was open to other users: %d entries made owner-only (%s)",
            data_dir,
            len(changed),
            _listing(changed),
        )
    if refused:
        logger.warning(
            "data folder %s: %d entries open to other users belong to another user and were "
            "left as they are (%s); change their owner or mode",
            data_dir,
            len(refused),
            _listing(refused),
        )
    return changed


def _tree(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    entries = [root]
    for folder, folders, files in os.walk(root, followlinks=False):
        entries += [Path(folder) / name for name in (*folders, *files)]
    return entries


def _tighten_one(path: Path) -> bool | None:
    """None: nothing to do (fine already, a link, gone); True: fixed; False: not allowed."""
    try:
        status = path.lstat()
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(status.st_mode):
        return None
    mode = stat.S_IMODE(status.st_mode)
    wanted = mode & (FOLDER_MODE if stat.S_ISDIR(status.st_mode) else FILE_MODE)
    if wanted == mode:
        return None
    try:
        path.chmod(wanted)
    except PermissionError:
        return False
    return True


def _shown(path: Path, data_dir: Path) -> str:
    try:
        return path.relative_to(data_dir).as_posix() if path != data_dir else "the folder itself"
    except ValueError:
        return path.name


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:NAMED_IN_WARNING])
    more = len(names) - NAMED_IN_WARNING
    return shown + (f" and {more} more" if more > 0 else "")
