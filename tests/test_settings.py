"""Settings from the environment, and the refusals that protect production."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from service.settings import (
    PROJECT_ROOT,
    Settings,
    SettingsError,
    variables,
    warn_unknown_variables,
)

STRONG_KEY = "s" * 40


def test_defaults_are_the_embedded_sqlite_under_var() -> None:
    # when
    settings = Settings.from_environ({})
    # then
    assert settings.environment == "development"
    assert settings.resolved_database_url == "sqlite:///var/service.db"
    assert settings.graphiql is False


def test_every_variable_is_read() -> None:
    # when
    settings = Settings.from_environ(
        {
            "SERVICE_ENV": "production",
            "SERVICE_DATA_DIR": "/srv/feedback",
            "SERVICE_DATABASE_URL": "postgresql+psycopg://app@db/feedback",
            "SERVICE_SECRET_KEYS": f"old{STRONG_KEY}, new{STRONG_KEY}",
            "SERVICE_GRAPHIQL": "yes",
            "SERVICE_DEFAULT_LOCALE": "en",
            "SERVICE_MAX_BODY_BYTES": "2048",
            "SERVICE_MAX_QUERY_DEPTH": "8",
            "SERVICE_MAX_ALIASES": "5",
            "SERVICE_MAX_QUERY_TOKENS": "900",
            "SERVICE_MAX_PAGE_SIZE": "50",
            "SERVICE_LOG_LEVEL": "WARNING",
            "SERVICE_SEARCH_ENGINE": "tantivy",
        }
    )
    # then
    assert settings.data_dir == Path("/srv/feedback")
    assert settings.secret_keys == (f"old{STRONG_KEY}", f"new{STRONG_KEY}")  # rotation order kept
    assert (settings.max_body_bytes, settings.max_query_depth, settings.max_aliases) == (2048, 8, 5)
    assert (settings.max_query_tokens, settings.max_page_size) == (900, 50)
    assert settings.graphiql is True
    assert settings.default_locale == "en"
    assert settings.log_level == "warning"
    assert settings.search_engine == "tantivy"
    settings.check_startable()


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SERVICE_ENV": "staging"}, "SERVICE_ENV"),
        ({"SERVICE_GRAPHIQL": "maybe"}, "SERVICE_GRAPHIQL"),
        ({"SERVICE_MAX_QUERY_DEPTH": "0"}, "SERVICE_MAX_QUERY_DEPTH"),
        ({"SERVICE_MAX_BODY_BYTES": "1MB"}, "SERVICE_MAX_BODY_BYTES"),
        ({"SERVICE_DEFAULT_LOCALE": "it"}, "SERVICE_DEFAULT_LOCALE"),
        ({"SERVICE_SEARCH_ENGINE": "elasticsearch"}, "SERVICE_SEARCH_ENGINE.*whoosh, tantivy"),
        ({"SERVICE_PUBLIC_URL": "signaler.example"}, "SERVICE_PUBLIC_URL"),
        ({"SERVICE_PUBLIC_URL": "https://signaler.example/?x=1"}, "SERVICE_PUBLIC_URL"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(
    environ: dict[str, str], message: str
) -> None:
    # when / then
    with pytest.raises(SettingsError, match=message):
        Settings.from_environ(environ)


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ((), "SERVICE_SECRET_KEYS is required"),
        (("short",), "at least 32 characters"),
        (("demo-" + STRONG_KEY,), "demo secret key"),
    ],
)
def test_production_refuses_missing_short_or_demo_secrets(
    keys: tuple[str, ...], message: str
) -> None:
    # given
    settings = Settings(environment="production", secret_keys=keys)
    # when / then
    with pytest.raises(SettingsError, match=message):
        settings.check_startable()


def test_demo_generates_a_secret_once_and_keeps_it(tmp_path: Path) -> None:
    # when
    first = Settings(data_dir=tmp_path).for_demo()
    second = Settings(data_dir=tmp_path).for_demo()
    # then
    assert first.secret_keys == second.secret_keys
    assert first.secret_keys[0].startswith("demo-")
    assert first.graphiql and first.demo
    assert (tmp_path / "demo-secret-key").stat().st_mode & 0o077 == 0  # readable by owner only


def test_demo_is_refused_in_production(tmp_path: Path) -> None:
    # given
    settings = Settings(environment="production", data_dir=tmp_path, secret_keys=(STRONG_KEY,))
    # when / then
    with pytest.raises(SettingsError, match="--demo"):
        settings.for_demo()


def test_retention_periods_and_encryption_keys_come_from_the_environment() -> None:
    # given
    import base64

    key = base64.urlsafe_b64encode(b"4" * 32).decode()
    # when
    settings = Settings.from_environ(
        {
            "SERVICE_CONTACT_RETENTION_DAYS": "10",
            "SERVICE_FREE_TEXT_RETENTION_DAYS": "100",
            "SERVICE_ACCESS_LOG_RETENTION_DAYS": "50",
            "SERVICE_PURGE_INTERVAL_HOURS": "6",
            "SERVICE_ENCRYPTION_KEYS": f" {key} ,{key}",
        }
    )
    # then
    assert (settings.contact_retention_days, settings.free_text_retention_days) == (10, 100)
    assert (settings.access_log_retention_days, settings.purge_interval_hours) == (50, 6.0)
    assert settings.encryption_keys == (key, key)
    with pytest.raises(SettingsError, match="SERVICE_ENCRYPTION_KEYS"):
        Settings.from_environ({"SERVICE_ENCRYPTION_KEYS": "c2hvcnQ="})
    with pytest.raises(SettingsError, match="SERVICE_CONTACT_RETENTION_DAYS"):
        Settings.from_environ({"SERVICE_CONTACT_RETENTION_DAYS": "0"})


def test_proxy_headers_are_believed_from_no_one_unless_proxies_are_listed() -> None:
    # when
    default = Settings.from_environ({})
    listed = Settings.from_environ({"SERVICE_FORWARDED_ALLOW_IPS": " 10.0.0.5, 10.1.0.0/16,::1 "})
    # then
    assert default.forwarded_allow_ips == ()
    assert listed.forwarded_allow_ips == ("10.0.0.5", "10.1.0.0/16", "::1")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("*", "cannot be '\\*'"),
        ("proxy.internal", "'proxy.internal' is not an IP address or network"),
        ("10.0.0.5/16", "'10.0.0.5/16' is not an IP address or network"),  # host bits set
    ],
)
def test_a_proxy_list_that_would_trust_the_wrong_addresses_is_refused(
    value: str, message: str
) -> None:
    # when / then
    with pytest.raises(SettingsError, match=f"SERVICE_FORWARDED_ALLOW_IPS.*{message}"):
        Settings.from_environ({"SERVICE_FORWARDED_ALLOW_IPS": value})


def _shown(default: object) -> str:
    """A default as the README's table writes it ("" for none)."""
    if default is None or default in ("", ()):
        return ""
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    return str(default)


def test_the_readme_configuration_table_lists_every_variable_with_its_default() -> None:
    # given: the README's table, one row a variable: | `SERVICE_X` | default | meaning |
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(SERVICE_[A-Z_]+)` \| ([^|]+) \|", readme, flags=re.MULTILINE))
    # when
    declared = variables()
    # then: the same variables, both ways
    assert set(declared) - set(rows) == set(), "declared but not in the README's table"
    assert set(rows) - set(declared) == set(), "in the README's table but read by no setting"
    # and: each default as declared: the cell's first `code` ("…" stands for any text), or
    # words ("none", "empty", "derived from …") for a setting that is empty by default
    for name, (declared_field, _) in declared.items():
        cell, shown = rows[name].strip(), _shown(declared_field.default)
        if not shown:
            assert not cell.startswith("`"), f"{name}: the README shows {cell}, it is empty"
            continue
        quoted = re.search(r"`([^`]+)`", cell)
        assert quoted, f"{name}: the README's default should quote `{shown}`"
        pattern = ".*".join(re.escape(part) for part in quoted.group(1).split("…"))
        assert re.fullmatch(pattern, shown), f"{name}: README says {cell}, declared {shown}"


def test_an_unknown_service_variable_is_reported_with_the_closest_name(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given: a typo, a name close to nothing, and variables the service does read
    environ = {
        "SERVICE_DATABSE_URL": "postgresql+psycopg://app:secret@db/feedback",
        "SERVICE_COLOUR": "blue",
        "SERVICE_MAX_PAGE_SIZE": "50",
        "SERVICE_METRICS_TOKEN_FILE": "",
        "PATH": "/usr/bin",
    }
    # when
    with caplog.at_level(logging.WARNING, logger="service.settings"):
        warn_unknown_variables(environ)
        settings = Settings.from_environ(environ)
    # then: both named, the typo with the name it was meant to be; no value is logged
    assert [record.getMessage() for record in caplog.records] == [
        "SERVICE_COLOUR is not a setting of this service: ignored",
        "SERVICE_DATABSE_URL is not a setting of this service: ignored "
        "(did you mean SERVICE_DATABASE_URL?)",
    ]
    assert "secret" not in caplog.text and "blue" not in caplog.text
    assert settings.database_url == "" and settings.max_page_size == 50


def test_commands_report_unknown_variables_at_start_up(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    # given
    from service.cli import main

    monkeypatch.setenv("SERVICE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SERVICE_SEARCH_ENGIN", "tantivy")
    # when
    with caplog.at_level(logging.WARNING, logger="service.settings"):
        main(["migrate"])
    # then
    assert "SERVICE_SEARCH_ENGIN is not a setting of this service" in caplog.text
    assert "did you mean SERVICE_SEARCH_ENGINE?" in caplog.text


def test_secrets_are_read_from_files_or_the_service_managers_credentials(tmp_path: Path) -> None:
    # given: a key kept once in a file, and systemd's credential directory
    (tmp_path / "keys").write_text("k" * 40 + "\n" + "l" * 40 + "\n", encoding="utf-8")
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "metrics-token").write_text("t" * 40, encoding="utf-8")
    # when
    settings = Settings.from_environ(
        {
            "SERVICE_SECRET_KEYS_FILE": str(tmp_path / "keys"),
            "CREDENTIALS_DIRECTORY": str(credentials),
        }
    )
    # then: oldest first, one a line
    assert settings.secret_keys == ("k" * 40, "l" * 40)
    assert settings.metrics_token == "t" * 40


def test_json_logs_are_one_object_a_line() -> None:
    # given
    import json
    import logging

    from service.log_format import JsonFormatter

    settings = Settings.from_environ({"SERVICE_LOG_FORMAT": "json"})
    record = logging.LogRecord("service.search", logging.WARNING, "x", 1, "lag %s", ("3 s",), None)
    # when
    line = JsonFormatter().format(record)
    # then
    assert settings.log_format == "json"
    assert json.loads(line) | {"time": ""} == {
        "time": "",
        "level": "warning",
        "logger": "service.search",
        "message": "lag 3 s",
    }
