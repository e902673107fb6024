"""Webhook signing secrets are encrypted at rest: a dump does not let anyone forge deliveries
to a body or an integrator; deliveries are still signed with the right secret; keys rotate
(``rekey``); revision 0015 encrypts the old plaintext secrets and its downgrade decrypts them;
exports keep them encrypted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import select

from service import migrate
from service.commands.common import configured_cipher
from service.context import Services
from service.db import Database, create_sync_engine
from service.fixtures import load_fixtures
from service.integrations.models import Webhook, WebhookDelivery
from service.outbox.models import Delivery
from service.privacy.crypto import UndecryptableValue, cipher_for
from service.privacy.signing_secrets import (
    ROUTE_SECRET_COLUMN,
    WEBHOOK_SECRET_COLUMN,
    open_secret,
    reseal_secrets,
)
from service.reversibility.export import ExportRefused
from service.reversibility.restore import ImportRefused, import_database
from service.routing import delivery
from service.routing.models import Route
from service.routing.rules import set_signing_secret
from service.settings import Settings
from tests.integrations.clients import client_key
from tests.integrations.test_webhooks import create_webhook, run_round
from tests.privacy.test_reversibility import export, rows_in
from tests.routing.test_delivery import T0, add_item, plan
from tests.support import prepare_database, running_service, submit_report, throwaway_database
from tests.test_cli import run

pytestmark = pytest.mark.anyio

ROUTE_SECRET = "voirie-shared-secret-Zq8mWk3v"
RECEIVER = "https://voirie.example.org/alm/webhook"
KEY_2026 = base64.urlsafe_b64encode(b"1" * 32).decode()
KEY_2027 = base64.urlsafe_b64encode(b"2" * 32).decode()


async def add_route_with_secret(services: Services, secret: str = ROUTE_SECRET) -> int:
    """A body's webhook route, its secret set as an operator would: encrypted."""
    async with services.db.writing() as session:
        route = Route(body_code="alm-voirie", kind="webhook", url=RECEIVER)
        set_signing_secret(route, secret, services.contact_cipher)
        session.add(route)
        await session.flush()
        assert route.id is not None
        return route.id


async def add_integrator_webhook(services: Services, client: httpx.AsyncClient) -> str:
    """An integrator's webhook created through the API; its secret, as shown once."""
    key = await client_key(services, ("webhooks:manage",))
    created = await create_webhook(client, key, ["CREATED"])
    assert created["errors"] == [], created
    secret: str = created["signingSecret"]
    return secret


def raw_rows(url: str, *tables: str) -> str:
    engine = create_sync_engine(url)
    try:
        with engine.connect() as connection:
            return repr(
                [connection.execute(text(f"SELECT * FROM {table}")).all() for table in tables]
            )
    finally:
        engine.dispose()


def stored_secrets(url: str) -> dict[str, list[tuple[str | None, str | None]]]:
    engine = create_sync_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table: [
                    (row.signing_secret, row.signing_secret_key_id)
                    for row in connection.execute(
                        text(f"SELECT signing_secret, signing_secret_key_id FROM {table}")
                    )
                    if row.signing_secret is not None
                ]
                for table in ("route", "webhook")
            }
    finally:
        engine.dispose()


def signed_with(secret: str, request: httpx.Request) -> bool:
    """What a receiver does (README, "Webhooks to a body")."""
    timestamp = request.headers["X-ALM-Timestamp"]
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + request.content, hashlib.sha256)
    return hmac.compare_digest(request.headers["X-ALM-Signature"], f"sha256={digest.hexdigest()}")


async def test_a_dump_of_the_database_shows_no_signing_secret(
    fresh_running: tuple[Services, httpx.AsyncClient], fresh_settings: Settings
) -> None:
    # given: a body's webhook route and an integrator's webhook, each with its secret
    services, client = fresh_running
    await add_route_with_secret(services)
    webhook_secret = await add_integrator_webhook(services, client)
    url = fresh_settings.resolved_database_url
    # when: what an attacker holding a dump reads (a query; on SQLite the files themselves)
    dump = raw_rows(url, "route", "webhook")
    if url.startswith("sqlite"):
        database = Path(make_url(url).database or "")
        for path in (database, database.with_name(database.name + "-wal")):
            if path.exists():
                dump += path.read_bytes().decode("latin-1")
    # then
    assert webhook_secret.startswith("whsec_")
    for secret in (ROUTE_SECRET, webhook_secret, webhook_secret.removeprefix("whsec_")):
        assert secret not in dump
    assert "whsec_" not in dump


async def test_a_body_receives_deliveries_signed_with_its_encrypted_secret(
    fresh_services: Services,
) -> None:
    # given: a route whose secret is stored encrypted, and a change of one of its items
    await add_route_with_secret(fresh_services)
    await add_item(fresh_services.db)
    assert await plan(fresh_services.db) == 1
    received: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    # when
    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as http:
        counts = await delivery.send_due_deliveries(
            fresh_services.db, http, fresh_services.settings, T0
        )
    # then: signed with the secret itself, not with what the database holds
    [stored] = stored_secrets(fresh_services.settings.resolved_database_url)["route"]
    assert counts == delivery.SendCounts(delivered=1)
    assert [str(r.url) for r in received] == [RECEIVER]
    assert signed_with(ROUTE_SECRET, received[0])
    assert stored[0] is not None and not signed_with(stored[0], received[0])


async def test_rekey_encrypts_secrets_with_the_new_key_and_old_keys_still_decrypt(
    fresh_settings: Settings,
) -> None:
    # given: secrets written under the 2026 key
    before = replace(fresh_settings, encryption_keys=(KEY_2026,))
    async with running_service(before) as (services, client):
        await add_route_with_secret(services)
        webhook_secret = await add_integrator_webhook(services, client)
    url = fresh_settings.resolved_database_url
    cipher_2026, cipher_2027 = cipher_for((KEY_2026,), ()), cipher_for((KEY_2027,), ())
    rotated = cipher_for((KEY_2026, KEY_2027), ())
    old = stored_secrets(url)
    # when: the 2027 key is added (newest last), then rekey runs
    readable_before = [
        open_secret(*old["route"][0], ROUTE_SECRET_COLUMN, rotated),
        open_secret(*old["webhook"][0], WEBHOOK_SECRET_COLUMN, rotated),
    ]
    result = run(
        "rekey",
        env={
            "SERVICE_DATABASE_URL": url,
            "SERVICE_DATA_DIR": str(fresh_settings.data_dir),
            "SERVICE_ENCRYPTION_KEYS": f"{KEY_2026},{KEY_2027}",
        },
    )
    new = stored_secrets(url)
    # then
    assert result.returncode == 0, result.stderr
    assert "rekey: 2 webhook signing secrets now under key" in result.stdout
    assert readable_before == [ROUTE_SECRET, webhook_secret]
    assert {kid for rows in old.values() for _, kid in rows} == {cipher_2026.current_key_id}
    assert {kid for rows in new.values() for _, kid in rows} == {cipher_2027.current_key_id}
    assert open_secret(*new["route"][0], ROUTE_SECRET_COLUMN, cipher_2027) == ROUTE_SECRET
    assert open_secret(*new["webhook"][0], WEBHOOK_SECRET_COLUMN, cipher_2027) == webhook_secret
    with pytest.raises(UndecryptableValue):  # the old key alone cannot read them any more
        open_secret(*new["route"][0], ROUTE_SECRET_COLUMN, cipher_2026)


async def database_before_encryption(url: str, settings: Settings) -> None:
    """The schema of 0014 with a route and an integrator's webhook holding plaintext secrets.

    The fixtures are loaded at head (the loader knows today's tables), then the schema goes
    back to 0014: the reference data the rows need stays."""
    migrate.upgrade(url)
    db = Database(url)
    try:
        await load_fixtures(settings, db)
    finally:
        await db.dispose()
    migrate.downgrade(url, "0014")
    engine = create_sync_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO route (body_code, kind, url, signing_secret, active) "
                    "VALUES ('alm-voirie', 'webhook', :url, :secret, :active)"
                ),
                {"url": RECEIVER, "secret": ROUTE_SECRET, "active": True},
            )
            client = connection.execute(
                text(
                    "INSERT INTO api_client (name, key_hash, key_prefix, created_at) "
                    "VALUES ('legacy', :hash, 'alm_api_leg', CURRENT_TIMESTAMP) RETURNING id"
                ),
                {"hash": "0" * 64},
            ).scalar_one()
            webhook = connection.execute(
                text(
                    "INSERT INTO webhook (client_id, url, event_types, signing_secret, "
                    "created_at, after_txid, after_id, failures_in_a_row) VALUES (:client, "
                    "'https://legacy.example.org/hook', 'created', 'whsec_legacy-plaintext', "
                    "CURRENT_TIMESTAMP, 0, 0, 0) RETURNING id"
                ),
                {"client": client},
            ).scalar_one()
            # A delivery pointing at the webhook: SQLite's table rebuilds must keep it.
            outbox = connection.execute(
                text(
                    "INSERT INTO outbox (topic, item_id, payload, created_at, txid) "
                    "VALUES ('item.created', NULL, '{}', CURRENT_TIMESTAMP, 0) RETURNING id"
                )
            ).scalar_one()
            connection.execute(
                text(
                    "INSERT INTO webhook_delivery (delivery_uid, webhook_id, outbox_id, "
                    "event_type, body, status, attempts, next_attempt_at, created_at) VALUES "
                    "('u1', :webhook, :outbox, 'item.created', '{}', 'pending', 0, "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"webhook": webhook, "outbox": outbox},
            )
    finally:
        engine.dispose()


async def test_the_migration_encrypts_secrets_stored_in_plaintext(tmp_path: Path) -> None:
    with throwaway_database(os.environ.get("TEST_DATABASE_URL"), tmp_path) as url:
        # given: the schema before 0015, with plaintext secrets
        settings = Settings(database_url=url, data_dir=tmp_path, encryption_keys=(KEY_2026,))
        await database_before_encryption(url, settings)
        cipher = cipher_for((KEY_2026,), ())
        # when
        migrate.upgrade(url, cipher=cipher)
        # then
        dump = raw_rows(url, "route", "webhook")
        assert ROUTE_SECRET not in dump and "legacy-plaintext" not in dump
        stored = stored_secrets(url)
        assert [open_secret(*row, ROUTE_SECRET_COLUMN, cipher) for row in stored["route"]] == [
            ROUTE_SECRET
        ]
        assert [open_secret(*row, WEBHOOK_SECRET_COLUMN, cipher) for row in stored["webhook"]] == [
            "whsec_legacy-plaintext"
        ]
        assert "'u1'" in raw_rows(url, "webhook_delivery")  # the delivery still points at it


async def test_a_downgrade_decrypts_the_secrets_and_refuses_without_the_keys(
    tmp_path: Path,
) -> None:
    with throwaway_database(os.environ.get("TEST_DATABASE_URL"), tmp_path) as url:
        # given: encrypted secrets
        settings = Settings(database_url=url, data_dir=tmp_path, encryption_keys=(KEY_2026,))
        await database_before_encryption(url, settings)
        cipher = cipher_for((KEY_2026,), ())
        migrate.upgrade(url, cipher=cipher)
        # when
        with pytest.raises(RuntimeError, match="downgrade with the cipher"):
            migrate.downgrade(url, "0014")
        migrate.downgrade(url, "0014", cipher=cipher)
        # then: plaintext again, as the code of 0014 reads them
        dump = raw_rows(url, "route", "webhook")
        assert ROUTE_SECRET in dump and "whsec_legacy-plaintext" in dump
        assert migrate.current_revision(url) == "0014"


async def test_plaintext_secrets_left_by_a_migration_without_keys_still_sign(
    tmp_path: Path,
) -> None:
    with throwaway_database(os.environ.get("TEST_DATABASE_URL"), tmp_path) as url:
        # given: 0015 applied without the cipher (development): the secret stays as it was
        settings = Settings(database_url=url, data_dir=tmp_path, encryption_keys=(KEY_2026,))
        await database_before_encryption(url, settings)
        migrate.upgrade(url)
        async with running_service(settings) as (services, _):
            await add_item(services.db)
            assert await plan(services.db) == 1
            received: list[httpx.Request] = []

            def receiver(request: httpx.Request) -> httpx.Response:
                received.append(request)
                return httpx.Response(204)

            # when
            async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as http:
                await delivery.send_due_deliveries(services.db, http, settings, T0)
        # then
        assert len(received) == 1 and signed_with(ROUTE_SECRET, received[0])
        assert stored_secrets(url)["route"] == [(ROUTE_SECRET, None)]


async def test_exports_keep_secrets_encrypted_and_the_import_needs_their_keys(
    fresh_running: tuple[Services, httpx.AsyncClient], fresh_settings: Settings, tmp_path: Path
) -> None:
    # given
    services, client = fresh_running
    await add_route_with_secret(services)
    webhook_secret = await add_integrator_webhook(services, client)
    # when: even the export with the contacts in clear
    manifest = export(fresh_settings, tmp_path / "clear", include_contacts=True)
    other = Settings(
        database_url=f"sqlite:///{tmp_path / 'other.db'}",
        data_dir=tmp_path,
        secret_keys=("another secret key of the target, 32+",),
    )
    with pytest.raises(ImportRefused) as refused:
        import_database(other.resolved_database_url, tmp_path / "clear", configured_cipher(other))
    same = Settings(
        database_url=f"sqlite:///{tmp_path / 'same.db'}",
        data_dir=tmp_path,
        secret_keys=fresh_settings.secret_keys,
    )
    import_database(same.resolved_database_url, tmp_path / "clear", configured_cipher(same))
    # then
    files = b"".join(p.read_bytes() for p in (tmp_path / "clear").iterdir())
    assert ROUTE_SECRET.encode() not in files and webhook_secret.encode() not in files
    assert {"route.signing_secret", "webhook.signing_secret"} <= set(manifest["encrypted_columns"])
    readme = (tmp_path / "clear" / "README.md").read_text(encoding="utf-8")
    assert "They stay encrypted in every export" in readme
    assert "signing secrets are encrypted under key" in str(refused.value)
    assert rows_in(other.resolved_database_url) == 0
    cipher = configured_cipher(same)
    imported = stored_secrets(same.resolved_database_url)
    assert open_secret(*imported["route"][0], ROUTE_SECRET_COLUMN, cipher) == ROUTE_SECRET
    assert open_secret(*imported["webhook"][0], WEBHOOK_SECRET_COLUMN, cipher) == webhook_secret
    assert json.loads((tmp_path / "clear" / "manifest.json").read_text())["contacts_in_clear"]


def test_an_operator_gives_a_body_route_a_secret_shown_once_and_stored_encrypted(
    tmp_path: Path,
) -> None:
    with throwaway_database(os.environ.get("TEST_DATABASE_URL"), tmp_path) as url:
        # given: a body whose route becomes a webhook
        settings = Settings(database_url=url, data_dir=tmp_path, secret_keys=("s" * 32,))
        prepare_database(settings)
        env = {
            "SERVICE_DATABASE_URL": url,
            "SERVICE_DATA_DIR": str(tmp_path),
            "SERVICE_SECRET_KEYS": "s" * 32,
        }
        without_route = run("route-secret", "--body", "alm-voirie", env=env)
        engine = create_sync_engine(url)
        try:
            with engine.begin() as connection:
                connection.execute(
                    text("UPDATE route SET kind = 'webhook', url = :url WHERE body_code = :b"),
                    {"url": RECEIVER, "b": "alm-voirie"},
                )
        finally:
            engine.dispose()
        without_keys = run(
            "route-secret", "--body", "alm-voirie", env={**env, "SERVICE_SECRET_KEYS": ""}
        )
        # when
        result = run("route-secret", "--body", "alm-voirie", env=env)
        # then
        assert without_route.returncode == 1 and "no webhook route" in without_route.stderr
        assert without_keys.returncode == 3
        assert result.returncode == 0, result.stderr
        secret = result.stdout.splitlines()[-1]
        assert secret.startswith("whsec_") and secret not in raw_rows(url, "route")
        [stored] = stored_secrets(url)["route"]
        cipher = configured_cipher(settings)
        assert open_secret(*stored, ROUTE_SECRET_COLUMN, cipher) == secret


async def test_a_webhook_whose_secret_does_not_decrypt_waits_without_stopping_the_others(
    fresh_running: tuple[Services, httpx.AsyncClient],
) -> None:
    # given: two integrators' webhooks, one encrypted under a key no longer configured
    services, client = fresh_running
    key = await client_key(services, ("webhooks:manage",))
    good = await create_webhook(client, key, ["CREATED"], "https://good.example.org/hook")
    lost = await create_webhook(client, key, ["CREATED"], "https://lost.example.org/hook")
    async with services.db.writing() as session:
        row = await session.get(Webhook, int(lost["webhook"]["id"]))
        assert row is not None
        row.signing_secret_key_id = "0badc0de"
        row.signing_secret = "0badc0de:" + row.signing_secret.partition(":")[2]
        session.add(row)
    await submit_report(client)
    received: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    # when
    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as http:
        outcome = await run_round(services, http)
    # then: the good one is delivered, signed; the other waits, no attempt counted
    assert outcome.delivered == 1
    assert [r.url.host for r in received] == ["good.example.org"]
    assert signed_with(good["signingSecret"], received[0])
    async with services.db.reading() as session:
        waiting = (
            await session.exec(
                select(WebhookDelivery).where(
                    WebhookDelivery.webhook_id == int(lost["webhook"]["id"])
                )
            )
        ).all()
    assert [(d.status, d.attempts) for d in waiting] == [("pending", 0)]


async def test_a_route_whose_secret_does_not_decrypt_waits_without_stopping_the_others(
    fresh_services: Services,
) -> None:
    # given: two bodies' routes, one encrypted under a key no longer configured
    db = fresh_services.db
    lost = await add_route_with_secret(fresh_services)
    async with db.writing() as session:
        good = Route(body_code="mairie-49007", kind="webhook", url="https://angers.example.org/h")
        set_signing_secret(good, "angers-secret", fresh_services.contact_cipher)
        session.add(good)
        route = await session.get(Route, lost)
        assert route is not None and route.signing_secret is not None
        route.signing_secret_key_id = "0badc0de"
        route.signing_secret = "0badc0de:" + route.signing_secret.partition(":")[2]
        session.add(route)
    await add_item(db, number=1)
    await add_item(db, body_code="mairie-49007", number=2)
    assert await plan(db) == 2
    received: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    # when
    async with httpx.AsyncClient(transport=httpx.MockTransport(receiver)) as http:
        counts = await delivery.send_due_deliveries(db, http, fresh_services.settings, T0)
    # then
    assert counts == delivery.SendCounts(delivered=1)
    assert [r.url.host for r in received] == ["angers.example.org"]
    assert signed_with("angers-secret", received[0])
    async with db.reading() as session:
        rows = (await session.exec(select(Delivery).where(Delivery.route_id == lost))).all()
    assert [(d.status, d.attempts) for d in rows] == [("pending", 0)]


async def test_secrets_left_unencrypted_are_never_exported_nor_imported_as_such(
    tmp_path: Path,
) -> None:
    with throwaway_database(os.environ.get("TEST_DATABASE_URL"), tmp_path) as url:
        # given: 0015 applied without the cipher: the secrets stay in plaintext until rekey
        settings = Settings(database_url=url, data_dir=tmp_path, encryption_keys=(KEY_2026,))
        await database_before_encryption(url, settings)
        migrate.upgrade(url)
        # when
        with pytest.raises(ExportRefused) as refused:
            export(settings, tmp_path / "plain")
        cipher = cipher_for((KEY_2026,), ())
        engine = create_sync_engine(url)
        try:
            with engine.begin() as connection:
                reseal_secrets(connection, cipher)
        finally:
            engine.dispose()
        export(settings, tmp_path / "sealed")
        # then: refused and nothing written, then exported encrypted once rekeyed
        assert "rekey" in str(refused.value) and "route" in str(refused.value)
        assert not any((tmp_path / "plain").iterdir())
        files = b"".join(p.read_bytes() for p in (tmp_path / "sealed").iterdir())
        assert ROUTE_SECRET.encode() not in files and b"whsec_legacy-plaintext" not in files
        # and a folder edited to hold a plaintext secret is refused on import
        route_file = tmp_path / "sealed" / "route.jsonl"
        rows = [json.loads(line) for line in route_file.read_text().splitlines()]
        rows[0].update(signing_secret=ROUTE_SECRET, signing_secret_key_id=None)
        route_file.write_text("".join(json.dumps(row) + "\n" for row in rows))
        manifest_file = tmp_path / "sealed" / "manifest.json"
        manifest = json.loads(manifest_file.read_text())
        entry = next(t for t in manifest["tables"] if t["name"] == "route")
        entry["sha256"] = hashlib.sha256(route_file.read_bytes()).hexdigest()
        manifest_file.write_text(json.dumps(manifest))
        target = Settings(
            database_url=f"sqlite:///{tmp_path / 'target.db'}",
            data_dir=tmp_path,
            encryption_keys=(KEY_2026,),
        )
        with pytest.raises(ImportRefused, match="not encrypted"):
            import_database(target.resolved_database_url, tmp_path / "sealed", cipher)
        assert rows_in(target.resolved_database_url) == 0
