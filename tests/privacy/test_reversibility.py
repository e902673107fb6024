"""Reversibility: ``export`` writes the whole database in open formats, ``import`` loads it into
an empty instance; exporting the imported instance gives the same files."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from service.commands.common import configured_cipher
from service.context import Services
from service.db import create_sync_engine, metadata
from service.demo import load_demo_reports
from service.privacy.crypto import FieldCipher
from service.privacy.rules import EMAIL_LOOKUP, open_contact
from service.privacy.signing_secrets import WEBHOOK_SECRET_COLUMN, seal_secret
from service.reversibility.export import MANIFEST, ExportOptions, ExportRefused, export_database
from service.reversibility.restore import ImportRefused, import_database
from service.reversibility.tables import exported_tables
from service.sensors.demo import load_demo_sensors
from service.settings import Settings
from service.staff.models import Role
from tests.privacy.helpers import CONTACT, PERSONAL_VALUES, report_with_contact
from tests.sensors.support import create_sensor
from tests.service_requests.support import bulky_waste_input, request_service
from tests.support import data_of, operation, prepare_database, staff, throwaway_database
from tests.test_cli import run

pytestmark = pytest.mark.anyio


async def populate(services: Services, client: httpx.AsyncClient) -> None:
    """The demo data, and what residents and staff add: contacts and consents, a withdrawal,
    events, a sensor and opinions, a service request at home, an earlier item marked as a
    duplicate of a later one (a self-reference pointing forward)."""
    await load_demo_reports(services, services.clock())
    await load_demo_sensors(services, services.clock())
    first, token = await report_with_contact(client, categoryCode="graffiti")
    second, _ = await report_with_contact(
        client, {**CONTACT, "email": "dominique@example.org", "phone": "07 98 76 54 32"}
    )
    withdrawal = {"token": token, "purposes": ["SHARE_WITH_OPERATOR"]}
    await data_of(client, operation("ConsentWithdraw"), withdrawal)
    agent = await staff(services, client, "mairie-49007", Role.AGENT)
    await agent.data("ItemContact", {"reference": first})
    await agent.data("ItemMarkDuplicate", {"reference": first, "originalReference": second})
    road = await staff(services, client, "alm-voirie", Role.AGENT)
    sensor = await create_sensor(road)
    await data_of(
        client,
        operation("SensorOpinionCreate"),
        {
            "input": {
                "sensorSlug": sensor["slug"],
                "acceptance": 2,
                "understood": "PARTLY",
                "comment": "Pourquoi ici ?",
                "deviceKey": "device-1",
                "idempotencyKey": "opinion-1",
            }
        },
    )
    payload = await request_service(client, bulky_waste_input(contact=CONTACT))
    assert payload["errors"] == [], payload


def export(
    settings: Settings, directory: Path, fmt: str = "jsonl", include_contacts: bool = False
) -> dict[str, Any]:
    return export_database(
        settings.resolved_database_url,
        directory,
        ExportOptions(fmt=fmt, include_contacts=include_contacts),
        configured_cipher(settings),
        now=services_clock(),
    )


def services_clock() -> Any:
    from service.context import utc_now

    return utc_now()


def assert_same_export(first: Path, second: Path, *, rebased_feed: bool = False) -> None:
    """Byte for byte, every file; the manifest apart from its export time. With
    ``rebased_feed`` (a PostgreSQL export loaded into SQLite), the outbox may differ only by
    its transaction ids, now 0 (see restore._rebase_change_feed)."""
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    changed = {"outbox.jsonl", "outbox.csv", MANIFEST} if rebased_feed else {MANIFEST}
    for name in sorted(set(names) - changed):
        assert (first / name).read_bytes() == (second / name).read_bytes(), f"{name} differs"
    a, b = (json.loads((d / MANIFEST).read_text(encoding="utf-8")) for d in (first, second))
    for manifest in (a, b):
        del manifest["exported_at"]
        for table in manifest["tables"]:
            if table["name"] == "outbox" and rebased_feed:
                del table["sha256"]
    assert a == b
    if not rebased_feed:  # and the bytes too, but for the line of the export time
        assert _without_time((first / MANIFEST).read_bytes()) == _without_time(
            (second / MANIFEST).read_bytes()
        )
    if rebased_feed and (first / "outbox.jsonl").exists():
        before, after = (_outbox(d) for d in (first, second))
        assert [{**row, "txid": 0} for row in before] == after


def _outbox(directory: Path) -> list[dict[str, Any]]:
    lines = (directory / "outbox.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _without_time(manifest: bytes) -> bytes:
    return b"".join(line for line in manifest.splitlines(True) if b'"exported_at"' not in line)


def target_settings(source: Settings, url: str, folder: Path) -> Settings:
    return Settings(database_url=url, data_dir=folder, secret_keys=source.secret_keys)


def rows_in(url: str) -> int:
    """Rows in every table of the service (0 when even the schema is missing)."""
    engine = create_sync_engine(url)
    try:
        with engine.connect() as connection:
            return sum(
                connection.scalar(select(func.count()).select_from(t.table)) or 0
                for t in exported_tables()
                if inspect(connection).has_table(t.name)
            )
    finally:
        engine.dispose()


async def test_an_export_imported_into_a_fresh_sqlite_database_exports_the_same_files(
    fresh_services: Services,
    fresh_client: httpx.AsyncClient,
    fresh_settings: Settings,
    tmp_path: Path,
) -> None:
    # given
    await populate(fresh_services, fresh_client)
    exported = export(fresh_settings, tmp_path / "first")
    target = target_settings(fresh_settings, f"sqlite:///{tmp_path / 'target.db'}", tmp_path)
    # when
    result = import_database(
        target.resolved_database_url, tmp_path / "first", configured_cipher(target)
    )
    export(target, tmp_path / "second")
    # then
    assert result.rows == sum(t["rows"] for t in exported["tables"]) > 1000
    from_postgresql = not fresh_services.db.is_sqlite
    assert result.feed_rebased is from_postgresql
    assert_same_export(tmp_path / "first", tmp_path / "second", rebased_feed=from_postgresql)


async def test_an_export_imported_into_a_fresh_postgresql_database_exports_the_same_files(
    fresh_services: Services,
    fresh_client: httpx.AsyncClient,
    fresh_settings: Settings,
    tmp_path: Path,
) -> None:
    # given: the test, whatever the source database
    server = os.environ.get("TEST_DATABASE_URL", "")
    if not server.startswith("postgresql"):
        pytest.skip("needs a PostgreSQL server: set TEST_DATABASE_URL")
    await populate(fresh_services, fresh_client)
    export(fresh_settings, tmp_path / "first")
    with throwaway_database(server, tmp_path) as url:
        target = target_settings(fresh_settings, url, tmp_path)
        # when
        import_database(url, tmp_path / "first", configured_cipher(target))
        export(target, tmp_path / "second")
        # then: identical files, and new rows get fresh ids (sequences moved past the import)
        assert_same_export(tmp_path / "first", tmp_path / "second")
        engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
        with engine.begin() as connection:
            highest = connection.scalar(text("SELECT max(id) FROM item"))
            fresh = connection.scalar(text("SELECT nextval(pg_get_serial_sequence('item', 'id'))"))
        engine.dispose()
        assert fresh == highest + 1


async def test_without_the_flag_no_contact_is_in_clear_and_with_it_the_import_encrypts_again(
    fresh_services: Services,
    fresh_client: httpx.AsyncClient,
    fresh_settings: Settings,
    tmp_path: Path,
) -> None:
    # given
    await populate(fresh_services, fresh_client)
    # when
    sealed = export(fresh_settings, tmp_path / "sealed")
    clear = export(fresh_settings, tmp_path / "clear", include_contacts=True)
    # then: nothing in clear by default, everything with the flag
    sealed_bytes = b"".join(p.read_bytes() for p in (tmp_path / "sealed").iterdir())
    assert [v for v in PERSONAL_VALUES if v.encode() in sealed_bytes] == []
    assert sealed["contacts_in_clear"] is False
    assert "contact.email" in sealed["encrypted_columns"]
    contacts = (tmp_path / "clear" / "contact.jsonl").read_text(encoding="utf-8")
    assert "camille.martin@example.org" in contacts and "+33612345678" in contacts
    assert clear["contacts_in_clear"] is True
    assert "IN CLEAR" in (tmp_path / "clear" / "README.md").read_text(encoding="utf-8")
    # and the import encrypts them with the target's own key
    other_key = Settings(
        database_url=f"sqlite:///{tmp_path / 'target.db'}",
        data_dir=tmp_path,
        secret_keys=("another secret key of the target, 32+",),
    )
    cipher = configured_cipher(other_key)
    assert cipher is not None
    result = import_database(other_key.resolved_database_url, tmp_path / "clear", cipher)
    assert result.contacts_encrypted == 3
    dump = "\n".join(sqlite3.connect(tmp_path / "target.db").iterdump())
    assert [v for v in PERSONAL_VALUES if v in dump] == []
    emails = decrypted_emails(other_key.resolved_database_url, cipher)
    assert sorted(emails) == [
        "camille.martin@example.org",
        "camille.martin@example.org",
        "dominique@example.org",
    ]


def decrypted_emails(url: str, cipher: FieldCipher) -> list[str | None]:
    engine = create_sync_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT * FROM contact")).all()
    finally:
        engine.dispose()
    emails = [open_contact(row, cipher).email for row in rows]
    # The lookup digests are the target's too: finding an e-mail again works.
    assert {row.email_hash for row in rows} == {
        cipher.lookup_hash(e, EMAIL_LOOKUP) for e in emails if e
    }
    return emails


async def test_a_sealed_export_needs_the_source_keys_on_the_target(
    fresh_services: Services,
    fresh_client: httpx.AsyncClient,
    fresh_settings: Settings,
    tmp_path: Path,
) -> None:
    # given
    await report_with_contact(fresh_client)
    export(fresh_settings, tmp_path / "sealed")
    other = Settings(
        database_url=f"sqlite:///{tmp_path / 'target.db'}",
        data_dir=tmp_path,
        secret_keys=("another secret key of the target, 32+",),
    )
    # when
    with pytest.raises(ImportRefused) as refused:
        import_database(other.resolved_database_url, tmp_path / "sealed", configured_cipher(other))
    # then: refused before anything is written
    assert "does not have" in str(refused.value)
    assert rows_in(other.resolved_database_url) == 0


async def test_contacts_that_do_not_decrypt_stop_the_export_and_leave_no_file(
    fresh_client: httpx.AsyncClient, fresh_settings: Settings, tmp_path: Path
) -> None:
    # given: a contact, and an operator who configured the wrong keys
    await report_with_contact(fresh_client)
    wrong = Settings(
        database_url=fresh_settings.resolved_database_url,
        data_dir=tmp_path,
        secret_keys=("not the key that encrypted these contacts",),
    )
    # when
    with pytest.raises(ExportRefused) as refused:
        export(wrong, tmp_path / "clear", include_contacts=True)
    # then
    assert "cannot be decrypted" in str(refused.value)
    assert list((tmp_path / "clear").iterdir()) == []


def test_the_import_refuses_a_target_that_holds_rows(tmp_path: Path) -> None:
    # given: an export, and a target with nothing but the fixtures' reference data
    source = Settings(data_dir=tmp_path / "source", secret_keys=("s" * 32,))
    prepare_database(source)
    export(source, tmp_path / "export")
    target = target_settings(source, f"sqlite:///{tmp_path / 'target.db'}", tmp_path)
    prepare_database(target)
    before = rows_in(target.resolved_database_url)
    # when
    with pytest.raises(ImportRefused) as refused:
        import_database(
            target.resolved_database_url, tmp_path / "export", configured_cipher(target)
        )
    # then
    assert "not empty" in str(refused.value)
    assert rows_in(target.resolved_database_url) == before


async def test_the_import_refuses_another_schema_revision_and_a_changed_file(
    fresh_client: httpx.AsyncClient, fresh_settings: Settings, tmp_path: Path
) -> None:
    # given
    await report_with_contact(fresh_client)
    export(fresh_settings, tmp_path / "older")
    export(fresh_settings, tmp_path / "tampered")
    manifest_path = tmp_path / "older" / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["alembic_revision"] = "0013"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    item = tmp_path / "tampered" / "item.jsonl"
    changed = item.read_text(encoding="utf-8").replace('"submitted"', '"resolved"', 1)
    item.write_text(changed, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'target.db'}"
    # when
    with pytest.raises(ImportRefused) as older:
        import_database(url, tmp_path / "older", configured_cipher(fresh_settings))
    with pytest.raises(ImportRefused) as tampered:
        import_database(url, tmp_path / "tampered", configured_cipher(fresh_settings))
    # then
    assert "schema revision 0013" in str(older.value)
    assert "item.jsonl does not match its checksum" in str(tampered.value)
    assert rows_in(url) == 0


async def test_the_readme_describes_every_table_and_every_field(
    fresh_client: httpx.AsyncClient, fresh_settings: Settings, tmp_path: Path
) -> None:
    # when
    export(fresh_settings, tmp_path / "export")
    readme = (tmp_path / "export" / "README.md").read_text(encoding="utf-8")
    # then: a section per table, a described row per column
    sections = {part.split("`", 1)[0]: part for part in readme.split("\n### `")[1:]}
    assert sorted(sections) == sorted(metadata.tables)
    for table in metadata.tables.values():
        for column in table.columns:
            start = f"| `{column.name}` |"
            line = next((x for x in sections[table.name].splitlines() if x.startswith(start)), None)
            assert line is not None, f"{table.name}.{column.name}"
            assert len(line.rsplit("|", 2)[1].strip()) > 5, f"{table.name}.{column.name}"
    assert "**Personal data**: E-mail address" in sections["contact"]


async def test_a_csv_export_round_trips_and_keeps_nulls_apart_from_empty_texts(
    fresh_services: Services,
    fresh_client: httpx.AsyncClient,
    fresh_settings: Settings,
    tmp_path: Path,
) -> None:
    # given
    await populate(fresh_services, fresh_client)
    export(fresh_settings, tmp_path / "csv", fmt="csv")
    export(fresh_settings, tmp_path / "jsonl")
    target = target_settings(fresh_settings, f"sqlite:///{tmp_path / 'target.db'}", tmp_path)
    # when
    import_database(target.resolved_database_url, tmp_path / "csv", configured_cipher(target))
    # then: the same CSV again, and the same JSON Lines as the source (types, nulls, texts)
    export(target, tmp_path / "csv-again", fmt="csv")
    export(target, tmp_path / "jsonl-again")
    from_postgresql = not fresh_services.db.is_sqlite
    assert_same_export(tmp_path / "csv", tmp_path / "csv-again", rebased_feed=from_postgresql)
    assert_same_export(tmp_path / "jsonl", tmp_path / "jsonl-again", rebased_feed=from_postgresql)
    header = (tmp_path / "csv" / "item.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith('"id","reference","kind"')


def test_the_commands_export_with_a_warning_refuse_a_used_folder_and_import(
    tmp_path: Path,
) -> None:
    # given
    source, target = tmp_path / "source", tmp_path / "target"
    prepare_database(Settings(data_dir=source))
    keys = {"SERVICE_SECRET_KEYS": "a secret key of at least 32 characters"}
    # when
    clear = run(
        "export",
        str(tmp_path / "out"),
        "--include-contacts",
        env={"SERVICE_DATA_DIR": str(source), **keys},
    )
    again = run("export", str(tmp_path / "out"), env={"SERVICE_DATA_DIR": str(source), **keys})
    loaded = run("import", str(tmp_path / "out"), env={"SERVICE_DATA_DIR": str(target), **keys})
    # then
    assert clear.returncode == 0, clear.stderr
    assert "IN CLEAR" in clear.stderr and "export [" in clear.stderr
    assert again.returncode == 1
    assert "is not an empty directory" in again.stderr
    assert loaded.returncode == 0, loaded.stderr
    assert "import [" in loaded.stderr
    assert "python -m service reindex" in loaded.stdout


FAR = 10**12  # a transaction id no database of these tests has reached


@pytest.mark.parametrize("target_kind", ["sqlite", "postgresql"])
def test_transaction_ids_of_another_database_are_reset_and_webhooks_resume_before_unseen_changes(
    tmp_path: Path, target_kind: str
) -> None:
    # given: outbox entries written by concurrent transactions elsewhere (id 2 committed after
    # id 3), and a webhook that has seen ids 1 and 3
    server = os.environ.get("TEST_DATABASE_URL", "")
    if target_kind == "postgresql" and not server.startswith("postgresql"):
        pytest.skip("needs a PostgreSQL server: set TEST_DATABASE_URL")
    source = Settings(data_dir=tmp_path / "source", secret_keys=("s" * 32,))
    prepare_database(source)
    engine = create_sync_engine(source.resolved_database_url)
    moment = services_clock()
    secret = seal_secret("secret", WEBHOOK_SECRET_COLUMN, configured_cipher(source))
    with engine.begin() as connection:
        for outbox_id, txid in ((1, FAR), (2, FAR + 2), (3, FAR + 1), (4, FAR + 3)):
            connection.execute(
                metadata.tables["outbox"]
                .insert()
                .values(
                    id=outbox_id, topic="item.created", payload="{}", created_at=moment, txid=txid
                )
            )
        connection.execute(
            metadata.tables["api_client"].insert().values(
                id=1, name="vivre-a-angers", key_hash="0" * 64, key_prefix="k", created_at=moment,
                scopes="webhooks:manage", trusted_documents_only=False,
            )
        )  # fmt: skip
        connection.execute(
            metadata.tables["webhook"].insert().values(
                id=1, client_id=1, url="https://example.org/hook", event_types="CREATED",
                signing_secret=secret.value, signing_secret_key_id=secret.key_id,
                created_at=moment, after_txid=FAR + 1, after_id=3, failures_in_a_row=0,
            )
        )  # fmt: skip
    engine.dispose()
    export(source, tmp_path / "export")
    with throwaway_database(server if target_kind == "postgresql" else None, tmp_path) as url:
        # when
        result = import_database(url, tmp_path / "export", configured_cipher(source))
        # then: every entry below new ones, the webhook resumes at id 2 (it sees 3 again)
        engine = create_sync_engine(url)
        with engine.connect() as connection:
            txids = connection.execute(text("SELECT txid FROM outbox ORDER BY id")).scalars().all()
            webhook = connection.execute(text("SELECT after_txid, after_id FROM webhook")).one()
        engine.dispose()
        assert result.feed_rebased
        assert list(txids) == [0, 0, 0, 0]
        assert tuple(webhook) == (0, 1)


def test_an_export_can_be_read_by_its_owner_only(tmp_path: Path) -> None:
    # given
    source = Settings(data_dir=tmp_path / "source", secret_keys=("s" * 32,))
    prepare_database(source)
    # when
    export(source, tmp_path / "export", include_contacts=True)
    # then: the folder and every file are the owner's alone, whatever the umask
    assert stat.S_IMODE((tmp_path / "export").stat().st_mode) == 0o700
    modes = {stat.S_IMODE(path.stat().st_mode) for path in (tmp_path / "export").iterdir()}
    assert modes == {0o600}
