"""Database engines and sessions, for SQLite (embedded default) and PostgreSQL.

SQLite: WAL, foreign keys on, a busy timeout, and — the part WAL does not give — writes open
their transaction with ``BEGIN IMMEDIATE`` so that read-then-write transactions from several
writers serialise instead of failing or silently losing updates. That needs the driver's own
transaction handling off (``isolation_level = None``) and our own BEGIN (SQLAlchemy's documented
recipe), on a separate engine for writes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import Connection, Engine, create_engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

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


def async_url(url: str) -> str:
    """The URL with an async driver (aiosqlite, psycopg)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
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


def _ensure_sqlite_dir(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


class Database:
    """The engines of one database and the sessions the service opens on them."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = async_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            _ensure_sqlite_dir(self.url)
            self.read_engine: AsyncEngine = create_async_engine(self.url, hide_parameters=True)
            # One connection for writes: SQLite has one writer anyway, and queueing in the
            # pool is cheaper than spinning on the busy timeout.
            self.write_engine: AsyncEngine = create_async_engine(
                self.url, pool_size=1, max_overflow=0, pool_timeout=30, hide_parameters=True
            )
            _configure_sqlite(self.read_engine.sync_engine, immediate=False)
            _configure_sqlite(self.write_engine.sync_engine, immediate=True)
        else:
            self.read_engine = create_async_engine(
                self.url,
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_pre_ping=True,
                hide_parameters=True,
            )
            self.write_engine = self.read_engine

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads; nothing it does is committed."""
        async with AsyncSession(self.read_engine, expire_on_commit=False) as session:
            yield session

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction is committed on success, rolled back on error."""
        async with AsyncSession(self.write_engine, expire_on_commit=False) as session:
            async with session.begin():
                yield session

    async def ping(self) -> None:
        """Raise DatabaseUnavailable unless a trivial query answers."""
        try:
            async with self.read_engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:  # any driver error means "not reachable" to the caller
            raise DatabaseUnavailable(
                f"database {redacted(self.url)} is not reachable: {type(error).__name__}"
            ) from error

    async def dispose(self) -> None:
        await self.read_engine.dispose()
        if self.write_engine is not self.read_engine:
            await self.write_engine.dispose()


def create_sync_engine(url: str) -> Engine:
    """A sync engine (migrations, CLI), with the same SQLite pragmas as the service."""
    sync = sync_url(url)
    if sync.startswith("sqlite"):
        _ensure_sqlite_dir(sync)
        engine = create_engine(sync, hide_parameters=True)
        _configure_sqlite(engine, immediate=True)
        return engine
    return create_engine(sync, pool_pre_ping=True, hide_parameters=True)
