"""Background loops: one that fails runs again after a pause, logs no data, and says so."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from service.background import Loops
from service.db import Database
from service.settings import Settings

pytestmark = pytest.mark.anyio


async def _until(condition: Callable[[], object], seconds: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "never happened"
        await asyncio.sleep(0.005)


async def test_a_loop_that_raises_runs_again_with_growing_pauses(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given: a loop that fails three times, quoting a resident's address, then keeps running
    loops = Loops(first_pause_seconds=0.01, pause_cap_seconds=0.02)
    calls: list[float] = []

    async def flaky() -> None:
        calls.append(asyncio.get_running_loop().time())
        if len(calls) <= 3:
            raise ValueError("cannot send to jane.doe@example.org")
        await loops.stop.wait()

    # when
    with caplog.at_level(logging.DEBUG, logger="service.background"):
        loops.start("mail", flaky)
        await _until(lambda: len(calls) == 4)
        running = loops.health()
        await loops.stop_all()
    # then: run again three times, healthy again; the pauses grew up to the cap
    assert running == {"mail": {"state": "ok", "restarts": 3, "lastError": "ValueError"}}
    assert loops.health()["mail"]["state"] == "stopped"
    pauses = [later - earlier for earlier, later in zip(calls, calls[1:], strict=False)]
    assert pauses[0] >= 0.01 and pauses[1] >= 0.02 and pauses[2] >= 0.02
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors[0] == "background loop mail failed (ValueError): runs again in 0.01 s (restart 1)"
    assert "jane.doe" not in "\n".join(errors)


async def test_a_failed_loop_shows_as_restarting_until_it_runs_again() -> None:
    # given: a loop that always fails, with a long pause
    loops = Loops(first_pause_seconds=60)

    async def broken() -> None:
        raise RuntimeError("no")

    # when
    loops.start("trends", broken)
    await _until(lambda: loops.health()["trends"]["restarts"] == 1)
    # then: waiting, and stopping does not wait for the pause to end
    assert loops.health()["trends"]["state"] == "restarting"
    await asyncio.wait_for(loops.stop_all(), 5)
    assert loops.health()["trends"] == {
        "state": "stopped",
        "restarts": 1,
        "lastError": "RuntimeError",
    }


async def test_a_loop_name_is_started_once() -> None:
    # given
    loops = Loops()
    loops.start("purge", loops.stop.wait)
    # when / then
    with pytest.raises(ValueError, match="purge"):
        loops.start("purge", loops.stop.wait)
    await loops.stop_all()


async def test_a_failed_purge_logs_the_error_type_without_its_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # given: a database that was never migrated (the error's text would quote the SQL)
    from service.context import utc_now
    from service.privacy.retention import run_daily_purge

    settings = Settings(data_dir=tmp_path)
    db = Database(settings.resolved_database_url)
    stop = asyncio.Event()
    # when
    with caplog.at_level(logging.INFO, logger="service.privacy.retention"):
        task = asyncio.create_task(run_daily_purge(db, settings, stop, utc_now))
        await _until(lambda: caplog.records)
        stop.set()
        await task
    await db.dispose()
    # then
    assert [record.getMessage() for record in caplog.records] == ["purge failed: OperationalError"]
    assert not any(record.exc_info for record in caplog.records)
