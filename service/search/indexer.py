"""The indexer: the single writer that applies the outbox to the index, in order.

One process of a host holds ``indexer.lock`` (an advisory file lock, released by the kernel
when the process dies, even by ``kill -9``) and runs the loop; the others only read the index,
and take over when the holder is gone. Each round reads the next outbox entries after the
position stored in the index, rebuilds the documents they name from the database (so a replay
is harmless), and commits documents and new position together. A crash before the commit
loses the round's work, not its entries: the next round starts from the old position.

A document that cannot be built or written (a builder's bug on one row, a text the engine
refuses) is set aside: left out of the index (its old version removed), recorded in the
index's meta document and logged with its key, so that the documents after it are indexed
(``reindex`` does the same). Only a failure of the index or the database fails a round, to
be retried; ``/readyz`` says so when it lasts (status.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import exc as sql_errors
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import Database
from service.invariants import required
from service.items.models import Item
from service.items.rules import as_utc
from service.outbox.models import OutboxEntry

# kinds and sensor_source register their builders when imported.
from service.search import documents, kinds, sensor_source  # noqa: F401
from service.search.documents import ITEM_SOURCE, BuildContext, SearchDocument, document_key
from service.search.engine import SearchEngine
from service.search.status import StatusRecorder
from service.search.writing import DocumentRefused, IndexBusy, refused

logger = logging.getLogger("service.search")

ProgressCallback = Callable[[int, int], None]
# How far below its position the indexer looks for entries that committed late.
LATE_WINDOW_ENTRIES = 2000


class IndexerLock:
    """Who may write the index on this host: the holder of an exclusive flock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        if self._file is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+b")  # held as long as the lock
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.truncate(0)
        handle.write(str(os.getpid()).encode())
        handle.flush()
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


@dataclass(frozen=True)
class Lag:
    """How far the index is behind the database."""

    position: int
    pending: int
    oldest_pending: datetime | None

    def seconds(self, now: datetime) -> float:
        return max(0.0, (now - self.oldest_pending).total_seconds()) if self.oldest_pending else 0.0


async def lag(db: Database, engine: SearchEngine) -> Lag:
    position = await asyncio.to_thread(engine.position)
    async with db.reading() as session:
        statement = select(func.count(), func.min(OutboxEntry.created_at)).where(
            col(OutboxEntry.id) > position
        )
        pending, oldest = (await session.exec(statement)).one()
    return Lag(position, int(pending), as_utc(oldest) if oldest else None)


def keys_of(item_id: int | None, payload: str) -> tuple[str, int] | None:
    """Which document an outbox entry touches: its item, or what ``payload.search`` names."""
    if item_id is not None:
        return ITEM_SOURCE, item_id
    try:
        named: Any = json.loads(payload).get("search")
        return str(named["source"]), int(named["id"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


async def build_documents(
    session: AsyncSession, wanted: dict[str, set[int]], context: BuildContext
) -> tuple[list[SearchDocument], list[str]]:
    """The current documents of ``wanted`` (by source), and the keys that no longer exist."""
    built: list[SearchDocument] = []
    item_ids = sorted(wanted.get(ITEM_SOURCE, set()))
    if item_ids:
        rows = (await session.exec(select(Item).where(col(Item.id).in_(item_ids)))).all()
        by_kind: dict[str, list[Item]] = defaultdict(list)
        for row in rows:
            by_kind[row.kind].append(row)
        for kind, kind_rows in by_kind.items():
            builder = documents.item_builder(kind)
            if builder is not None:
                built += await builder.build(session, kind_rows, context)
    for source, ids in wanted.items():
        if source == ITEM_SOURCE:
            continue
        source_builder = documents.sources().get(source)
        if source_builder is not None:
            built += await source_builder.build_ids(session, sorted(ids), context)
    present = {document.key for document in built}
    removed = [
        document_key(source, entity_id)
        for source, ids in wanted.items()
        for entity_id in ids
        if document_key(source, entity_id) not in present
    ]
    return built, removed


Key = tuple[str, int]  # (source, id)
# Failures of the database itself, not of one row's data: never a reason to set a
# document aside (the round fails and is retried).
DATABASE_FAILURES = (
    sql_errors.OperationalError,
    sql_errors.InterfaceError,
    sql_errors.TimeoutError,
    OSError,
    TimeoutError,
)


@dataclass
class Built:
    """The documents of some keys, the keys gone from the database, and the keys whose
    document could not be built (key: why)."""

    documents: list[SearchDocument] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    set_aside: dict[str, str] = field(default_factory=dict)

    def extend(self, other: Built) -> None:
        self.documents += other.documents
        self.removed += other.removed
        self.set_aside.update(other.set_aside)


async def build_isolating(db: Database, keys: list[Key], context: BuildContext) -> Built:
    """The documents of ``keys``, built together; if that fails, the keys are halved until
    the ones that fail alone are found, and set aside instead of failing the others."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for source, entity_id in keys:
        wanted[source].add(entity_id)
    try:
        async with db.reading() as session:
            documents, removed = await build_documents(session, wanted, context)
        return Built(documents, removed)
    except DATABASE_FAILURES:
        raise
    except Exception as error:  # a builder's bug on some row
        if len(keys) == 1:
            key = document_key(*keys[0])
            return Built(removed=[key], set_aside=refused(key, error))
    built = Built()
    half = len(keys) // 2
    built.extend(await build_isolating(db, keys[:half], context))
    built.extend(await build_isolating(db, keys[half:], context))
    return built


class Indexer:
    """Applies the outbox to one engine, a batch at a time."""

    def __init__(
        self,
        engine: SearchEngine,
        db: Database,
        context: Callable[[], BuildContext],
        *,
        batch_size: int = 500,
        status: StatusRecorder | None = None,
    ) -> None:
        self.engine = engine
        self.db = db
        self.context = context
        self.batch_size = batch_size
        self.status = status
        self._seen: set[int] = set()

    async def run_once(self) -> int:
        """Apply the next batch; return how many outbox entries it covered."""
        position = await asyncio.to_thread(self.engine.position)
        keys: set[Key] = set()
        async with self.db.reading() as session:
            statement = (
                select(OutboxEntry.id, OutboxEntry.item_id, OutboxEntry.payload)
                .where(col(OutboxEntry.id) > position)
                .order_by(col(OutboxEntry.id))
                .limit(self.batch_size)
            )
            entries = list((await session.exec(statement)).all())
            late = await self._late_entries(session, position)
        if not entries and not late:
            return 0
        for _, item_id, payload in entries + late:
            touched = keys_of(item_id, payload)
            if touched is not None:
                keys.add(touched)
        last = required(entries[-1][0] if entries else position, "the outbox position")
        built = await build_isolating(self.db, sorted(keys), self.context())
        await self._apply(built, position, last)
        self._seen.update(entry[0] for entry in entries + late if entry[0] is not None)
        return len(entries) + len(late)

    async def _apply(self, built: Built, before: int, last: int) -> None:
        """Write the batch and move to ``last``; if the engine refuses it, tell a failing
        engine (an empty commit fails too: raise, the round is retried) from documents it
        refuses (found by halving, and set aside)."""
        apply = self.engine.apply
        try:
            await asyncio.to_thread(apply, built.documents, built.removed, last, built.set_aside)
            return
        except IndexBusy:
            raise
        except Exception:
            if not built.documents:
                raise
        await asyncio.to_thread(apply, [], built.removed, before, built.set_aside)
        await self._write_isolating(built.documents, last, before)

    async def _write_isolating(
        self, documents: list[SearchDocument], position: int, before: int
    ) -> None:
        try:
            await asyncio.to_thread(self.engine.apply, documents, [], position)
            return
        except IndexBusy:
            raise
        except Exception as error:  # halved below; alone, set aside
            if len(documents) == 1:
                key = documents[0].key
                await asyncio.to_thread(self.engine.apply, [], [key], position, refused(key, error))
                return
        half = len(documents) // 2
        await self._write_isolating(documents[:half], before, before)
        await self._write_isolating(documents[half:], position, before)

    async def _late_entries(
        self, session: AsyncSession, position: int
    ) -> list[tuple[int | None, int | None, str]]:
        """Entries at or below the position that this indexer has not seen.

        On PostgreSQL ids are handed out when rows are inserted, not when transactions
        commit: entry 41 can become visible after entry 42 was read and the position moved
        past it. Recent entries below the position are looked at again (ids only, a short
        range of the primary key), and those never applied are applied now.
        """
        if position == 0:
            return []
        statement = select(OutboxEntry.id, OutboxEntry.item_id, OutboxEntry.payload).where(
            col(OutboxEntry.id) > max(0, position - LATE_WINDOW_ENTRIES),
            col(OutboxEntry.id) <= position,
        )
        if not self._seen:
            # Just started: everything up to the position was applied by an earlier run,
            # except what committed late around its end; re-applying that is harmless.
            self._seen = set(range(max(0, position - LATE_WINDOW_ENTRIES) + 1, position + 1))
            return []
        rows: list[tuple[int | None, int | None, str]] = [
            (entry_id, item_id, payload)
            for entry_id, item_id, payload in (await session.exec(statement)).all()
            if entry_id not in self._seen
        ]
        floor = position - LATE_WINDOW_ENTRIES
        self._seen = {i for i in self._seen if i > floor}
        return rows

    async def catch_up(self) -> int:
        """Apply batches until the outbox is read (tests, the CLI)."""
        total = 0
        while applied := await self.run_once():
            total += applied
        return total

    async def run_round(self) -> int:
        """One round of the loop (``run_once``), its outcome recorded for ``/readyz``; a
        failure is logged, and the next round retries the same entries."""
        try:
            applied = await self.run_once()
        except Exception as error:
            # The type only: messages may quote data; tracebacks at debug level.
            logger.error("search indexing round failed: %s", type(error).__name__)
            logger.debug("search indexing failure", exc_info=True)
            if self.status is not None:
                self.status.failed(error, waiting=isinstance(error, IndexBusy))
            return 0
        if self.status is not None:
            self.status.succeeded()
        return applied

    async def run(self, stop: asyncio.Event, poll_seconds: float) -> None:
        """Run until ``stop``: a batch as soon as there is one, else wait ``poll_seconds``."""
        while not stop.is_set():
            applied = await self.run_round()
            if applied:
                continue
            try:
                await asyncio.wait_for(stop.wait(), poll_seconds)
            except TimeoutError:
                pass


TAKEOVER_SECONDS = 5.0


async def run_search_indexer(
    indexer: Indexer, lock: IndexerLock, stop: asyncio.Event, poll_seconds: float
) -> None:
    """Be this host's indexer when no other process is; otherwise check again now and then,
    to take over when the holder stops."""
    try:
        while not stop.is_set():
            if lock.acquire():
                await indexer.run(stop, poll_seconds)
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), TAKEOVER_SECONDS)
    finally:
        lock.release()


async def rebuild(
    engine: SearchEngine,
    db: Database,
    context: BuildContext,
    *,
    batch_size: int = 500,
    progress: ProgressCallback | None = None,
) -> int:
    """Replace the whole index with documents built from the database; return their count.

    The position is read first: entries written during the rebuild are applied afterwards
    by the indexer (applying them twice is harmless). A document that cannot be built,
    analysed or written is set aside, as the indexer does; when it leaves the writer unable
    to go on (whoosh), the rebuild starts again without it.
    """
    left_out: dict[str, str] = {}
    while True:
        try:
            return await _rebuild_once(engine, db, context, left_out, batch_size, progress)
        except DocumentRefused as error:
            if len(left_out) >= MAX_REBUILD_RESTARTS:
                raise  # documents refused wholesale: the engine fails, not they
            left_out.update(refused(error.key, error.__cause__ or error))


# How many documents a rebuild may start again without (each costs a whole rebuild).
MAX_REBUILD_RESTARTS = 20


IdsAfter = Callable[[AsyncSession, int, int], Awaitable[list[int]]]


async def _item_ids_after(session: AsyncSession, after: int, limit: int) -> list[int]:
    statement = select(Item.id).where(col(Item.id) > after).order_by(col(Item.id)).limit(limit)
    return [i for i in (await session.exec(statement)).all() if i is not None]


async def _rebuild_once(
    engine: SearchEngine,
    db: Database,
    context: BuildContext,
    left_out: dict[str, str],
    batch_size: int,
    progress: ProgressCallback | None,
) -> int:
    async with db.reading() as session:
        position = (await session.exec(select(func.max(OutboxEntry.id)))).one() or 0
        total = (await session.exec(select(func.count()).select_from(Item))).one()
    pagers: list[tuple[str, IdsAfter]] = [(ITEM_SOURCE, _item_ids_after)]
    pagers += [(source, builder.ids_after) for source, builder in documents.sources().items()]
    writer = await asyncio.to_thread(engine.rebuild)
    set_aside = dict(left_out)
    done = 0
    try:
        for source, ids_after in pagers:
            after = 0
            while True:
                async with db.reading() as session:
                    ids = await ids_after(session, after, batch_size)
                if not ids:
                    break
                built = await build_isolating(db, [(source, i) for i in ids], context)
                writer.add([d for d in built.documents if d.key not in left_out])
                set_aside.update(built.set_aside)
                done += len(ids)
                after = ids[-1]
                if progress:
                    progress(done, max(int(total), done))
        await asyncio.to_thread(writer.commit, int(position), set_aside)
    except BaseException:
        writer.cancel()
        raise
    return done
