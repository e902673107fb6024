"""Backups that restore: a backup taken while residents submit, restored into a fresh
instance, holds every item acknowledged before it began, and the residents' tracking tokens
still work there with the same keys. A restore with other keys is refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from service.settings import PROJECT_ROOT
from tests.hostile.processes import server_database
from tests.ops.support import wait_ready
from tests.support import operation, report_input
from tests.test_cli import run
from tests.test_served import free_port, start_server, stop

pytestmark = pytest.mark.slow

KEY = "r" * 40
SUBMITTERS = 3


def submit(base: str) -> tuple[str, str] | None:
    response = httpx.post(
        f"{base}/graphql",
        json={"query": operation("ReportCreate"), "variables": {"input": report_input()}},
        timeout=10,
    )
    if response.status_code != 200:
        return None
    payload = response.json()["data"]["reportCreate"]
    return payload["report"]["reference"], payload["trackingToken"]


def test_a_backup_taken_during_submissions_restores_into_a_fresh_instance(
    tmp_path: Path,
) -> None:
    source_dir, target_dir, backup_dir = tmp_path / "source", tmp_path / "target", tmp_path / "b"
    with server_database(source_dir) as source_db, server_database(target_dir) as target_db:
        # given: a served instance receiving reports from several residents at once
        keys = {"SERVICE_SECRET_KEYS": KEY, "SERVICE_ANONYMOUS_SUBMISSIONS_PER_MINUTE": "100000"}
        process, base = start_server(source_dir, settings={**keys, **source_db})
        acknowledged: list[tuple[float, str, str]] = []
        stopping = threading.Event()

        def resident() -> None:
            while not stopping.is_set():
                given = submit(base)
                if given is not None:
                    acknowledged.append((time.monotonic(), *given))

        threads = [threading.Thread(target=resident) for _ in range(SUBMITTERS)]
        try:
            for thread in threads:
                thread.start()
            while len(acknowledged) < 20:
                time.sleep(0.05)
            # when: a backup is taken while they go on
            began = time.monotonic()
            backed_up = run(
                "backup",
                str(backup_dir),
                env={"SERVICE_DATA_DIR": str(source_dir), **keys, **source_db},
            )
            ended = time.monotonic()
            time.sleep(0.3)
        finally:
            stopping.set()
            for thread in threads:
                thread.join()
            stop(process)
        assert backed_up.returncode == 0, backed_up.stderr
        during = [a for a in acknowledged if began <= a[0] <= ended]
        # and it is restored into a fresh instance with the same keys
        target_env = {"SERVICE_DATA_DIR": str(target_dir), **keys, **target_db}
        restored = run("restore", str(backup_dir), env=target_env)
        assert restored.returncode == 0, restored.stdout + restored.stderr
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICE_")}
        served = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--port", str(port)],
            env={**env, **target_env},
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        restored_base = f"http://127.0.0.1:{port}"
        try:
            ready = wait_ready(restored_base, served)
            # then: every report acknowledged before the backup began is there, and its
            # tracking token works
            before = [a for a in acknowledged if a[0] < began]
            for _, reference, token in before:
                response = httpx.post(
                    f"{restored_base}/graphql",
                    json={"query": operation("Tracked"), "variables": {"token": token}},
                    timeout=10,
                )
                tracked = response.json()["data"]["tracked"]
                assert tracked["item"]["reference"] == reference
        finally:
            stop(served)
    manifest = json.loads((backup_dir / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest) >= {"engine", "instanceId", "revision", "keyIds", "createdAt"}
    assert KEY not in (backup_dir / "manifest.json").read_text(encoding="utf-8")
    assert ready["checks"]["searchIndex"] == "follows this database"
    assert ready["search"]["instance"] == manifest["instanceId"]
    print(f"{len(before)} acknowledged before the backup, {len(during)} during it")


def test_a_restore_with_keys_that_cannot_read_the_backup_is_refused(tmp_path: Path) -> None:
    # given: a backup of a database run with one key
    with server_database(tmp_path / "a") as source_db, server_database(tmp_path / "b") as other:
        source = {"SERVICE_DATA_DIR": str(tmp_path / "a"), "SERVICE_SECRET_KEYS": KEY, **source_db}
        assert run("migrate", env=source).returncode == 0
        assert run("backup", str(tmp_path / "backup"), env=source).returncode == 0
        # when: it is restored with another key
        target = {"SERVICE_DATA_DIR": str(tmp_path / "b"), "SERVICE_SECRET_KEYS": "x" * 40, **other}
        result = run("restore", str(tmp_path / "backup"), env=target)
    # then
    assert result.returncode == 1
    assert "restore refused" in result.stderr and "not configured" in result.stderr
