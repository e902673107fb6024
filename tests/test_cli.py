"""``python -m service``: what an operator sees, with the exit codes scripts rely on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.settings import PROJECT_ROOT

UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/none"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SERVICE_")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "service", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=PROJECT_ROOT,
        timeout=60,
    )


def test_no_command_prints_usage_and_exits_2() -> None:
    # when
    result = run()
    # then
    assert result.returncode == 2
    assert "usage: python -m service" in result.stderr


def test_a_bad_port_is_refused_with_exit_2() -> None:
    # when
    result = run("serve", "--port", "70000")
    # then
    assert result.returncode == 2
    assert "a port is at most 65535" in result.stderr


def test_an_unreachable_database_exits_4_with_a_clear_message() -> None:
    # when
    result = run("migrate", env={"SERVICE_DATABASE_URL": UNREACHABLE})
    # then
    assert result.returncode == 4
    assert "is not reachable" in result.stderr
    assert "Traceback" not in result.stderr


def test_loading_fixtures_into_an_unmigrated_database_says_what_to_do(tmp_path: Path) -> None:
    # when
    result = run("load-fixtures", env={"SERVICE_DATA_DIR": str(tmp_path)})
    # then
    assert result.returncode == 4
    assert "run `python -m service migrate` first" in result.stderr


def test_migrate_then_load_fixtures_twice_is_idempotent(tmp_path: Path) -> None:
    # given
    env = {"SERVICE_DATA_DIR": str(tmp_path)}
    # when
    migrated = run("migrate", "--check", env=env)
    first = run("load-fixtures", env=env)
    second = run("load-fixtures", env=env)
    # then
    assert migrated.returncode == 0, migrated.stderr
    assert "migrations match the models" in migrated.stdout
    assert first.stdout == second.stdout
    assert first.stdout.startswith("loaded 29 communes, 29 boundaries, 35 bodies, ")
    assert "18 categories" in first.stdout


def test_migrations_match_the_models_on_the_test_database(database_url: str) -> None:
    # when: `alembic check` against the session database (PostgreSQL in CI's second run)
    result = run("migrate", "--check", env={"SERVICE_DATABASE_URL": database_url})
    # then
    assert result.returncode == 0, result.stderr


def test_export_schema_check_fails_on_a_stale_file(tmp_path: Path) -> None:
    # given
    stale = tmp_path / "schema.graphql"
    stale.write_text("type Query { old: String }\n", encoding="utf-8")
    # when
    current = run("export-schema", "--check")
    outdated = run("export-schema", "--check", "--output", str(stale))
    # then
    assert current.returncode == 0
    assert outdated.returncode == 1
    assert "is not current" in outdated.stderr


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("serve",), {"SERVICE_ENV": "production"}, "SERVICE_SECRET_KEYS is required"),
        (("serve", "--demo"), {"SERVICE_ENV": "production"}, "--demo is refused"),
        (("migrate",), {"SERVICE_ENV": "prod"}, "SERVICE_ENV must be"),
    ],
)
def test_bad_configuration_exits_3(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    # when
    result = run(*args, env={"SERVICE_DATA_DIR": str(tmp_path), **env})
    # then
    assert result.returncode == 3
    assert message in result.stderr
