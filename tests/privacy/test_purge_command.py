"""``python -m service purge [--dry-run]`` and ``rekey``: what an operator sees."""

from __future__ import annotations

import base64
from pathlib import Path

from service.settings import Settings
from tests.support import prepare_database
from tests.test_cli import run


def test_purge_prints_counts_per_category_and_the_dry_run_changes_nothing(
    tmp_path: Path,
) -> None:
    # given
    prepare_database(Settings(data_dir=tmp_path))
    env = {"SERVICE_DATA_DIR": str(tmp_path)}
    # when
    dry = run("purge", "--dry-run", env=env)
    real = run("purge", env=env)
    # then
    assert dry.returncode == 0, dry.stderr
    assert (
        "purge would remove: 0 contacts, 0 free_texts, 0 device_pseudonyms, 0 contact_reads, "
        "0 opinion_comments" in dry.stdout
    )
    assert real.returncode == 0, real.stderr
    assert "purge removed: 0 contacts" in real.stdout
    assert "[" in real.stderr  # the progress bar


def test_rekey_refuses_to_run_without_keys_and_runs_with_them(tmp_path: Path) -> None:
    # given
    prepare_database(Settings(data_dir=tmp_path))
    key = base64.urlsafe_b64encode(b"3" * 32).decode()
    # when
    without = run("rekey", env={"SERVICE_DATA_DIR": str(tmp_path)})
    with_key = run("rekey", env={"SERVICE_DATA_DIR": str(tmp_path), "SERVICE_ENCRYPTION_KEYS": key})
    # then
    assert without.returncode == 3
    assert with_key.returncode == 0, with_key.stderr
    assert "rekey: 0 contacts now under key" in with_key.stdout


def test_a_malformed_encryption_key_is_a_configuration_error(tmp_path: Path) -> None:
    result = run("purge", env={"SERVICE_DATA_DIR": str(tmp_path),
                               "SERVICE_ENCRYPTION_KEYS": "too-short"})  # fmt: skip
    assert result.returncode == 3
    assert "SERVICE_ENCRYPTION_KEYS" in result.stderr
