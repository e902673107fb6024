"""Database engines and sessions, for SQLite (embedded default) and PostgreSQL.

SQLite: WAL, foreign keys on, a busy timeout, and — the part WAL does not give — writes open
their transaction with ``BEGIN IMMEDIATE`` so that read-then-write transactions from several
writers serialise instead of failing or silently losing updates. That needs the driver's own
transaction handling off (``isolation_level = None``) and our own BEGIN (SQLAlchemy's documented
recipe), on a separate engine for writes.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, event, inspect, text
from sqlalchemy.engine import Connection, Engine, create_engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from service.private_files import make_private_file

# Stable constraint names, so Alembic can alter and drop them on both databases.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Every engine is created with hide_parameters=True: SQL parameters may hold a resident's
# personal data, and SQLAlchemy would otherwise put them in exception messages and logs.


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached; the message is safe to show an operator."""


def service_url(url: str) -> str:
    """The URL the service runs on: pysqlite (used inline, see Database) or async psycopg."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite").render_as_string(hide_password=False)
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise DatabaseUnavailable(f"unsupported database {parsed.get_backend_name()!r}")


def sync_url(url: str) -> str:
    """The URL with a sync driver, for migrations and command-line tools."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite").render_as_string(hide_password=False)
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def _configure_sqlite(engine: Engine, *, immediate: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver's own BEGIN would be deferred
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    if immediate:

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    # Reads emit no BEGIN: each SELECT runs on its own snapshot (autocommit), which is all a
    # read needs and saves a round trip to the driver thread per session.


class _InlineCursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """AsyncSession calls this on results still holding a cursor; a sync cursor keeps its
        rows fetchable as they are, so there is nothing to do."""


class _InlineConnection(sqlite3.Connection):
    def cursor(self, factory: Any = _InlineCursor) -> Any:
        return super().cursor(factory)


def _prepare_sqlite_file(url: str) -> None:
    """Create the database file owner-only before SQLite does: SQLite would make it (and
    then its WAL) readable by everyone under a default umask."""
    database = make_url(url).database
    if database and database != ":memory:":
        make_private_file(Path(database))


class Database:
    """The engines of one database and the sessions the service opens on them.

    Every caller gets an ``AsyncSession``. On PostgreSQL it runs on psycopg's native async
    driver. On SQLite it drives a *synchronous* pysqlite engine inline: a local file answers
    in microseconds and WAL readers never wait, whereas an async driver (aiosqlite) costs two
    thread hops per statement — measured 684 µs against 39 µs per statement here. Writers of
    this process take turns on an asyncio lock, so none of them blocks the event loop waiting
    for another; only a writer of another process can make one wait (up to the busy timeout).

    Running an ``AsyncSession`` over a sync engine leans on two things SQLAlchemy does not
    document, both guarded by ``tests/test_db.py`` (a new SQLAlchemy that changes them fails
    there, not in production): the session is bound after construction
    (``sync_session.bind``), since its constructor accepts async engines only; and
    ``_InlineCursor._async_soft_close``, which the async result machinery awaits on a cursor
    it leaves open. Nothing else is private: the statements, the ORM and the transactions are
    SQLAlchemy's public API. PostgreSQL uses none of this.
    """

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = service_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self._write_lock = asyncio.Lock()
        self._async_engine: AsyncEngine | None = None
        if self.is_sqlite:
            plain = sync_url(self.url)
            _prepare_sqlite_file(plain)
            # Never blocks on checkout (unbounded overflow): a blocking wait would freeze the
            # event loop, since sessions are used inline.
            inline = {"factory": _InlineConnection}
            self.read_engine: Engine = create_engine(
                plain,
                pool_size=pool_size,
                max_overflow=-1,
                hide_parameters=True,
                connect_args=inline,
            )
            # One connection for writes: SQLite has one writer anyway.
            self.write_engine: Engine = create_engine(
                plain, pool_size=1, max_overflow=0, hide_parameters=True, connect_args=inline
            )
            _configure_sqlite(self.read_engine, immediate=False)
            _configure_sqlite(self.write_engine, immediate=True)
        else:
            self._async_engine = create_async_engine(
                self.url,
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_pre_ping=True,
                hide_parameters=True,
            )
            self.read_engine = self.write_engine = self._async_engine.sync_engine

    def _session(self, engine: Engine) -> AsyncSession:
        if self._async_engine is not None:
            return AsyncSession(self._async_engine, expire_on_commit=False)
        session = AsyncSession(expire_on_commit=False)
        # An AsyncSession only accepts async engines in its constructor; bound afterwards to a
        # sync engine, its methods run the sync session in a greenlet that never has to wait.
        session.sync_session.bind = engine
        return session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads; nothing it does is committed."""
        async with self._session(self.read_engine) as session:
            yield session

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction is committed on success, rolled back on error."""
        if self.is_sqlite:
            async with self._write_lock, self._session(self.write_engine) as session:
                async with session.begin():
                    yield session
            return
        async with self._session(self.write_engine) as session, session.begin():
            yield session

    async def ping(self) -> None:
        """Raise DatabaseUnavailable unless a trivial query answers."""
        try:
            async with self.reading() as session:
                await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        except Exception as error:  # any driver error means "not reachable" to the caller
            raise DatabaseUnavailable(
                f"database {redacted(self.url)} is not reachable: {type(error).__name__}"
            ) from error

    async def dispose(self) -> None:
        if self._async_engine is not None:
            await self._async_engine.dispose()
            return
        self.read_engine.dispose()
        self.write_engine.dispose()


@cache
def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a SQLModel table class, typed (SQLModel leaves ``__table__``
    untyped): for the statements written with SQLAlchemy Core (bulk inserts, upserts, joins
    over columns), so that no caller needs ``# type: ignore``."""
    table = inspect(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table


def create_sync_engine(url: str) -> Engine:
    """A sync engine (migrations, CLI), with the same SQLite pragmas as the service."""
    sync = sync_url(url)
    if sync.startswith("sqlite"):
        _prepare_sqlite_file(sync)
        engine = create_engine(sync, hide_parameters=True)
        _configure_sqlite(engine, immediate=True)
        return engine
    return create_engine(sync, pool_pre_ping=True, hide_parameters=True)
