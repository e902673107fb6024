"""Keys and index that cannot be mixed up: a start with keys that cannot verify or decrypt
what the database holds is refused (exit 3, one line); an index that follows another
database is rebuilt before serving, and ``/readyz`` says which database an index follows."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from service import migrate
from service.app import build_services
from service.demo import load_demo_reports
from service.instance.index import IndexIdentity, read_identity, write_identity
from service.search.factory import open_engine
from service.settings import PROJECT_ROOT, Settings
from tests.hostile.processes import server_database
from tests.ops.support import sqlite_pass_only, wait_ready
from tests.support import prepare_database, running_service, submit_report
from tests.test_cli import run
from tests.test_served import free_port, stop

KEY_A = "a" * 40
KEY_B = "b" * 40


def test_a_start_with_other_keys_than_the_data_was_written_with_is_refused(
    tmp_path: Path,
) -> None:
    # given: a database that has run with key A
    with server_database(tmp_path) as database:
        env = {"SERVICE_DATA_DIR": str(tmp_path), **database}
        assert run("migrate", env=env).returncode == 0
        first = run("index", "--once", env={**env, "SERVICE_SECRET_KEYS": KEY_A})
        assert first.returncode == 0, first.stderr
        # when: it is started with a fresh key B (a new shell, a new generated key)
        with_b = {**env, "SERVICE_SECRET_KEYS": KEY_B}
        refused = run("index", "--once", env=with_b)
        port = str(free_port())
        served = run("serve", "--port", port, env=with_b)
        # then: both refuse, in one line saying what to do; nothing was served
        for result in (refused, served):
            assert result.returncode == 3, result.stdout + result.stderr
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1, lines
            assert "not configured" in lines[0]
            assert "python -m service keys accept" in lines[0]
            assert KEY_A not in lines[0] and KEY_B not in lines[0]


def test_a_new_key_added_for_rotation_is_accepted_and_the_old_one_retired_explicitly(
    tmp_path: Path,
) -> None:
    # given: a database that has run with key A
    with server_database(tmp_path) as database:
        env = {"SERVICE_DATA_DIR": str(tmp_path), **database}
        assert run("migrate", env=env).returncode == 0
        assert run("keys", "check", env={**env, "SERVICE_SECRET_KEYS": KEY_A}).returncode == 0
        # when: B is added (newest last), then A dropped, first without, then with `accept`
        both = run("keys", "check", env={**env, "SERVICE_SECRET_KEYS": f"{KEY_A},{KEY_B}"})
        only_b = {**env, "SERVICE_SECRET_KEYS": KEY_B}
        dropped = run("keys", "check", env=only_b)
        accepted = run("keys", "accept", env=only_b)
        after = run("index", "--once", env=only_b)
        # then
        assert both.returncode == 0, both.stderr
        assert dropped.returncode == 3
        assert accepted.returncode == 0, accepted.stderr
        assert after.returncode == 0, after.stderr


def test_an_index_that_follows_another_database_is_rebuilt_from_this_one(
    tmp_path: Path,
) -> None:
    # given: the demo's reports indexed into the data folder's index
    demo = Settings(data_dir=tmp_path, secret_keys=(KEY_A,))
    prepare_database(demo)
    asyncio.run(load_demo(demo))
    data = {"SERVICE_DATA_DIR": str(tmp_path), "SERVICE_SECRET_KEYS": KEY_A}
    assert run("index", "--once", env=data).returncode == 0
    engine = open_engine("whoosh", tmp_path / "search")
    demo_documents = engine.document_count()
    engine.close()
    assert demo_documents > 0
    # when: a second, empty database is started from the same folder
    other_url = f"sqlite:///{tmp_path / 'other.db'}"
    migrate.upgrade(other_url)
    result = run("index", "--once", env={**data, "SERVICE_DATABASE_URL": other_url})
    # then: the index was rebuilt from it (it holds none of the demo's documents)
    assert result.returncode == 0, result.stderr
    assert "rebuilding it from this one" in result.stdout
    engine = open_engine("whoosh", tmp_path / "search")
    try:
        references = {d.get("reference") for d in engine.stored_documents().values()}
    finally:
        engine.close()
    assert not {r for r in references if r and r.startswith("ALM-")}


async def load_demo(settings: Settings) -> None:
    services = build_services(settings)
    try:
        await services.reload_reference()
        await load_demo_reports(services, services.clock())
    finally:
        await services.db.dispose()


@pytest.mark.anyio
async def test_readyz_is_not_ready_when_the_index_follows_another_database(
    settings: Settings,
) -> None:
    # given: this data folder's index labelled by another instance
    write_identity(settings.search_dir, IndexIdentity("another-instance", "sqlite:///x.db"))
    async with running_service(settings) as (services, client):
        await submit_report(client)
        await services.search_indexer.catch_up()
        # when
        response = await client.get("/readyz")
    # then
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["searchIndex"].startswith("follows another database")
    assert body["search"]["instance"] == "another-instance"
    label = read_identity(settings.search_dir)
    assert label is not None and label.instance_id == "another-instance"


@sqlite_pass_only
@pytest.mark.slow
def test_serve_rebuilds_an_index_left_by_another_database(tmp_path: Path) -> None:
    # given: an index labelled by another instance in the data folder
    write_identity(tmp_path / "search", IndexIdentity("another-instance", "sqlite:///x.db"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICE_")}
    env["SERVICE_DATA_DIR"] = str(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "service", "serve", "--demo", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # when
        body = wait_ready(f"http://127.0.0.1:{port}", process)
    finally:
        stop(process)
    # then
    assert body["checks"]["searchIndex"] == "follows this database"
    assert body["search"]["instance"] != "another-instance"
