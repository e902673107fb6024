"""Concurrent writers never lose an update, on SQLite (BEGIN IMMEDIATE) and PostgreSQL:
coroutines of one process, and separate worker processes."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from pathlib import Path

from sqlalchemy import inspect, text
from sqlmodel import select

from service.db import Database, create_sync_engine
from service.settings import Settings
from service.territory.models import Commune
from tests.support import prepare_database, throwaway_database

WRITERS = 4
INCREMENTS = 100
COUNTER = "49028"  # Béhuard's population serves as the counter, in a database of its own


async def read_counter(db: Database) -> int:
    async with db.reading() as session:
        commune = await session.get(Commune, COUNTER)
        assert commune is not None
        return commune.population


async def increment(db: Database, times: int) -> None:
    for _ in range(times):
        async with db.writing() as session:
            # Read, then write what was read: the pattern that loses updates without
            # BEGIN IMMEDIATE on SQLite (and without a row lock on PostgreSQL).
            statement = select(Commune).where(Commune.code == COUNTER).with_for_update()
            commune = (await session.exec(statement)).one()
            await asyncio.sleep(0)  # let the other writers interleave
            commune.population += 1


def increment_in_a_process(url: str) -> None:
    async def run() -> None:
        db = Database(url)
        await increment(db, INCREMENTS)
        await db.dispose()

    asyncio.run(run())


def test_coroutines_of_one_process_lose_no_update(tmp_path: Path) -> None:
    with throwaway_database(os.environ.get("TEST_DATABASE_URL"), tmp_path) as url:
        # given
        prepare_database(Settings(database_url=url, data_dir=tmp_path))

        async def run() -> tuple[int, int]:
            db = Database(url)
            before = await read_counter(db)
            # when: 4 concurrent writers sharing the process's database
            await asyncio.gather(*(increment(db, INCREMENTS) for _ in range(WRITERS)))
            after = await read_counter(db)
            await db.dispose()
            return before, after

        before, after = asyncio.run(run())
    # then
    assert after == before + WRITERS * INCREMENTS


def test_worker_processes_lose_no_update(tmp_path: Path) -> None:
    with throwaway_database(os.environ.get("TEST_DATABASE_URL"), tmp_path) as url:
        # given
        prepare_database(Settings(database_url=url, data_dir=tmp_path))
        db = Database(url)
        before = asyncio.run(read_counter(db))
        # when: 4 processes, as `serve --workers 4` runs them
        context = multiprocessing.get_context("spawn")
        processes = [
            context.Process(target=increment_in_a_process, args=(url,)) for _ in range(WRITERS)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=120)
        after = asyncio.run(read_counter(db))
        asyncio.run(db.dispose())
    # then
    assert [p.exitcode for p in processes] == [0] * WRITERS
    assert after == before + WRITERS * INCREMENTS


def test_sql_errors_never_carry_the_parameters_into_messages(tmp_path: Path) -> None:
    # given: a statement that fails with a personal value as its parameter
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")

    async def fail() -> str:
        try:
            async with db.writing() as session:
                await session.exec(  # type: ignore[call-overload]
                    text("INSERT INTO missing VALUES (:v)"), params={"v": "jo@example.org"}
                )
        except Exception as error:
            return str(error)
        finally:
            await db.dispose()
        return ""

    # when
    message = asyncio.run(fail())
    # then
    assert "no such table" in message
    assert "jo@example.org" not in message


def test_the_queue_indexes_alembic_cannot_compare_are_made_by_the_migrations(
    database_url: str,
) -> None:
    # given: the session's database, migrated
    engine = create_sync_engine(database_url)
    try:
        # when
        with engine.connect() as connection:
            indexes = {i["name"]: i for i in inspect(connection).get_indexes("item")}
            ordered = [
                row[0]
                for row in connection.exec_driver_sql(
                    "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_item_body_support'"
                    if connection.dialect.name == "postgresql"
                    else "SELECT sql FROM sqlite_master WHERE name = 'ix_item_body_support'"
                )
            ]
    finally:
        engine.dispose()
    # then
    assert indexes["ix_item_body_status"]["column_names"] == ["body_code", "status"]
    assert len(ordered) == 1 and "support_count DESC" in ordered[0]
