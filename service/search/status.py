"""How the search indexer is doing, for ``/readyz`` of every process of the host.

The indexer runs in one process of a host (the holder of ``indexer.lock``: a serving worker,
or ``python -m service index``), while every process answers ``/readyz``. So the indexer
writes the outcome of its rounds to ``<search dir>/indexer.status`` (a small JSON file,
replaced atomically when the state changes, and at least every ``HEARTBEAT_SECONDS``), and
``readiness`` judges from it and from how far the index is behind the outbox:

- failing: its rounds have failed for ``FAILING_AFTER_SECONDS`` (the index cannot be
  written: a broken folder, a full disk...), not ready;
- stalled: an outbox entry has waited ``STALLED_AFTER_SECONDS`` and no indexer says it is
  waiting for the writer (held by a `reindex`), not ready;
- otherwise ready, even while behind: a lagging index still answers, slightly stale.

A document that cannot be indexed no longer fails a round (it is set aside, see indexer.py):
what is left to fail is the index itself, or the database.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

logger = logging.getLogger("service.search")

OK, FAILING, WAITING = "ok", "failing", "waiting"
FAILING_AFTER_SECONDS = 30.0
STALLED_AFTER_SECONDS = 300.0
HEARTBEAT_SECONDS = 30.0
# A status older than this was left by an indexer that is gone. The indexer writes after
# each round, and a round waiting for the writer (held by a `reindex`) lasts up to the
# writer timeout (120 s).
FRESH_SECONDS = 300.0


@dataclass(frozen=True)
class IndexerStatus:
    """The state of the indexer's rounds: since when, the last failure's type, last said."""

    state: str
    since: datetime
    error: str | None
    updated: datetime

    def to_json(self) -> str:
        return json.dumps(
            {
                "state": self.state,
                "since": self.since.isoformat(),
                "error": self.error,
                "updated": self.updated.isoformat(),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> IndexerStatus:
        data = json.loads(text)
        return cls(
            state=str(data["state"]),
            since=datetime.fromisoformat(data["since"]),
            error=data["error"],
            updated=datetime.fromisoformat(data["updated"]),
        )


def read_status(path: Path) -> IndexerStatus | None:
    """The status the host's indexer last wrote (None: none, or unreadable)."""
    try:
        return IndexerStatus.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_status(path: Path, status: IndexerStatus) -> None:
    """Replace the file atomically (a reader never sees half of it), readable by its owner
    only (mkstemp creates files 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".indexer.status.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(status.to_json())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


class StatusRecorder:
    """What the indexer's loop calls after each round; writes the file when the state
    changes, and at least every ``HEARTBEAT_SECONDS``."""

    def __init__(self, path: Path, clock: Callable[[], datetime]) -> None:
        self.path = path
        self.clock = clock
        self.current: IndexerStatus | None = None

    def succeeded(self) -> None:
        self._record(OK, None)

    def failed(self, error: BaseException, *, waiting: bool) -> None:
        self._record(WAITING if waiting else FAILING, type(error).__name__)

    def _record(self, state: str, error: str | None) -> None:
        now = self.clock()
        current = self.current
        if current is not None and current.state == state and current.error == error:
            if (now - current.updated).total_seconds() < HEARTBEAT_SECONDS:
                return
            status = IndexerStatus(state, current.since, error, now)
        else:
            status = IndexerStatus(state, now, error, now)
        try:
            write_status(self.path, status)
        except OSError as failure:  # the index's folder may be what is broken
            logger.error("search indexer status not written: %s", type(failure).__name__)
        self.current = status


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str  # "ok", or what is wrong (or what the indexer waits for)


def readiness(
    status: IndexerStatus | None, pending: int, oldest_pending_seconds: float, now: datetime
) -> Readiness:
    """Whether the host's index is being kept up to date (see the module's docstring)."""
    fresh = status is not None and (now - status.updated).total_seconds() <= FRESH_SECONDS
    if status is not None and fresh and status.state == FAILING:
        failing = (now - status.since).total_seconds()
        if failing >= FAILING_AFTER_SECONDS:
            return Readiness(False, f"search indexer failing for {failing:.0f} s ({status.error})")
    waiting = status is not None and fresh and status.state == WAITING
    if pending and oldest_pending_seconds >= STALLED_AFTER_SECONDS and not waiting:
        reason = (
            f"search index stalled: {pending} outbox entries pending, "
            f"the oldest for {oldest_pending_seconds:.0f} s"
        )
        if not fresh:
            reason += "; no search indexer has reported recently"
        return Readiness(False, reason)
    if waiting:
        return Readiness(True, "search indexer waiting for the index writer (a reindex?)")
    return Readiness(True, "ok")
