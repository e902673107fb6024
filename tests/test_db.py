"""Concurrent writers never lose an update, on SQLite (BEGIN IMMEDIATE) and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from sqlmodel import select

from service.db import Database
from service.settings import Settings
from service.territory.models import Commune
from tests.support import prepare_database, throwaway_database

WRITERS = 4
INCREMENTS = 100
COUNTER = "49028"  # Béhuard's population serves as the counter, in a database of its own


def test_concurrent_read_then_write_transactions_lose_no_update(tmp_path: Path) -> None:
    # given: a database of its own
    with throwaway_database(os.environ.get("TEST_DATABASE_URL"), tmp_path) as url:
        prepare_database(Settings(database_url=url, data_dir=tmp_path))
        # when: 4 writers, each with its own engines as separate worker processes would have
        before, after = asyncio.run(increment_concurrently(url))
    # then
    assert after == before + WRITERS * INCREMENTS


async def read_counter(db: Database) -> int:
    async with db.reading() as session:
        commune = await session.get(Commune, COUNTER)
        assert commune is not None
        return commune.population


async def increment_concurrently(url: str) -> tuple[int, int]:
    databases = [Database(url) for _ in range(WRITERS)]
    before = await read_counter(databases[0])

    async def writer(db: Database) -> None:
        for _ in range(INCREMENTS):
            async with db.writing() as session:
                # Read, then write what was read: the pattern that loses updates without
                # BEGIN IMMEDIATE on SQLite (and without a row lock on PostgreSQL).
                statement = select(Commune).where(Commune.code == COUNTER).with_for_update()
                commune = (await session.exec(statement)).one()
                await asyncio.sleep(0)  # let the other writers interleave
                commune.population += 1

    await asyncio.gather(*(writer(db) for db in databases))
    after = await read_counter(databases[0])
    for db in databases:
        await db.dispose()
    return before, after


def test_sql_errors_never_carry_the_parameters_into_messages(tmp_path: Path) -> None:
    # given: a statement that fails with a personal value as its parameter
    from sqlalchemy import text

    db = Database(f"sqlite:///{tmp_path / 'x.db'}")

    async def fail() -> str:
        try:
            async with db.writing() as session:
                await session.exec(
                    text("INSERT INTO missing VALUES (:v)"), params={"v": "jo@example.org"}
                )  # type: ignore[call-overload]
        except Exception as error:  # noqa: BLE001
            return str(error)
        finally:
            await db.dispose()
        return ""

    # when
    message = asyncio.run(fail())
    # then
    assert "no such table" in message
    assert "jo@example.org" not in message
