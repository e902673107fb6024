"""Contacts are encrypted at rest: a dump shows no e-mail or phone; keys rotate; old rows
written in plaintext are converted by the migration."""

from __future__ import annotations

import base64
import os
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import column, insert, inspect, table, text
from sqlalchemy.engine import make_url

from service import migrate
from service.db import Database, create_sync_engine
from service.fixtures import load_fixtures
from service.items.models import Item
from service.privacy import rules as privacy
from service.privacy.crypto import FieldCipher, UndecryptableValue, cipher_for
from service.settings import Settings
from service.staff.models import Role
from tests.privacy.helpers import CONTACT, PERSONAL_VALUES, report_with_contact
from tests.staff.test_triage import staff
from tests.support import running_service, throwaway_database

pytestmark = pytest.mark.anyio

KEY_2026 = base64.urlsafe_b64encode(b"1" * 32).decode()
KEY_2027 = base64.urlsafe_b64encode(b"2" * 32).decode()


def raw_contact_rows(url: str) -> str:
    engine = create_sync_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT * FROM contact")).all()
    finally:
        engine.dispose()
    return repr(rows)


async def test_a_dump_of_the_database_shows_no_email_or_phone(
    fresh_client: httpx.AsyncClient, fresh_settings: Settings
) -> None:
    # given
    await report_with_contact(fresh_client)
    url = fresh_settings.resolved_database_url
    # when
    dump = raw_contact_rows(url)
    if url.startswith("sqlite"):  # the whole file, with its write-ahead log
        database = Path(make_url(url).database or "")
        for path in (database, database.with_name(database.name + "-wal")):
            if path.exists():
                dump += path.read_bytes().decode("latin-1")
    # then
    assert "example.org" in CONTACT["email"]
    for value in (*PERSONAL_VALUES, "Camille Martin", "612345678", "12 34 56 78"):
        assert value.lower() not in dump.lower()


async def test_old_keys_still_decrypt_and_new_writes_use_the_newest_key(
    fresh_settings: Settings,
) -> None:
    # given: a contact written under the 2026 key
    before = replace(fresh_settings, encryption_keys=(KEY_2026,))
    async with running_service(before) as (_, client):
        old_reference, _ = await report_with_contact(client)
    # when: the 2027 key is added (newest last)
    after = replace(fresh_settings, encryption_keys=(KEY_2026, KEY_2027))
    async with running_service(after) as (services, client):
        new_reference, _ = await report_with_contact(
            client, contact={**CONTACT, "email": "dominique@example.org"}
        )
        agent = await staff(services, client, "alm-voirie", Role.AGENT)
        old = (await agent.call("ItemContact", {"reference": old_reference}))["data"]
        async with services.db.reading() as session:
            rows = {
                ref: await privacy.contact_of(session, await item_id(session, ref))
                for ref in (old_reference, new_reference)
            }
    # then
    assert old["itemContact"]["contact"]["email"] == "camille.martin@example.org"
    cipher_2026 = cipher_for((KEY_2026,), ())
    cipher_2027 = cipher_for((KEY_2027,), ())
    old_row, new_row = rows[old_reference], rows[new_reference]
    assert old_row is not None and new_row is not None
    assert (old_row.key_id, new_row.key_id) == (
        cipher_2026.current_key_id,
        cipher_2027.current_key_id,
    )
    with pytest.raises(UndecryptableValue):  # the old key alone cannot read the new row
        privacy.open_contact(new_row, cipher_2026)


async def item_id(session: object, reference: str) -> int:
    from service.items import rules as items

    item = await items.get_by_reference(session, reference)  # type: ignore[arg-type]
    assert item is not None and item.id is not None
    return item.id


async def test_equal_contacts_are_found_by_keyed_hash_across_a_rotation(
    fresh_settings: Settings,
) -> None:
    # given: one report before the rotation, one after, same person written differently
    async with running_service(replace(fresh_settings, encryption_keys=(KEY_2026,))) as pair:
        first, _ = await report_with_contact(pair[1])
    rotated = replace(fresh_settings, encryption_keys=(KEY_2026, KEY_2027))
    async with running_service(rotated) as (services, client):
        second, _ = await report_with_contact(
            client, contact={**CONTACT, "email": "camille.martin@EXAMPLE.org", "phone": None}
        )
        # when
        async with services.db.reading() as session:
            by_email = await privacy.items_with_contact(
                session, services.contact_cipher, email=" Camille.Martin@example.org "
            )
            by_phone = await privacy.items_with_contact(
                session, services.contact_cipher, phone="+33 6 12 34 56 78"
            )
            expected = [await item_id(session, first), await item_id(session, second)]
    # then
    assert by_email == expected
    assert by_phone == expected[:1]


def test_a_tampered_or_moved_value_does_not_decrypt() -> None:
    cipher = FieldCipher([b"k" * 32])
    sealed = cipher.encrypt("camille@example.org", "contact.email")
    assert sealed is not None and "camille" not in sealed
    assert cipher.decrypt(sealed, "contact.email") == "camille@example.org"
    with pytest.raises(UndecryptableValue):
        cipher.decrypt(sealed, "contact.phone")
    with pytest.raises(UndecryptableValue):
        cipher.decrypt(sealed[:-4] + "AAA=", "contact.email")


def revision_before_encryption() -> str:
    """The revision just before the one that encrypts contacts (0011_privacy)."""
    before = ScriptDirectory(str(migrate.MIGRATIONS_DIR)).get_revision("0011").down_revision
    assert isinstance(before, str)
    return before


async def database_before_encryption(url: str, settings: Settings) -> int:
    """A database just before encryption with one contact in plaintext; returns its item id.

    The fixtures are loaded at head (the loader knows today's tables), then the schema goes
    back to before encryption: the reference data the item needs stays."""
    migrate.upgrade(url)
    db = Database(url)
    try:
        await load_fixtures(settings, db)
        await db.dispose()
        migrate.downgrade(url, revision_before_encryption(), cipher=cipher_for((KEY_2026,), ()))
        db = Database(url)
        async with db.writing() as session:
            # Only the columns the item table had then (later migrations add others).
            columns = await session.run_sync(
                lambda s: {c["name"] for c in inspect(s.connection()).get_columns("item")}
            )
            values = legacy_item().model_dump(include=columns - {"id"})
            then = table("item", column("id"), *(column(name) for name in values))
            item_id = (
                await session.exec(  # type: ignore[call-overload]
                    insert(then).values(values).returning(then.c.id)
                )
            ).scalar_one()
            await session.exec(  # type: ignore[call-overload]
                text(
                    "INSERT INTO contact (item_id, name, email, phone, created_at) "
                    "VALUES (:item, 'Camille Martin', 'camille@example.org', "
                    "'+33612345678', CURRENT_TIMESTAMP)"
                ),
                params={"item": item_id},
            )
            return int(item_id)
    finally:
        await db.dispose()


async def test_the_migration_encrypts_contacts_stored_in_plaintext(tmp_path: Path) -> None:
    with throwaway_database(os.environ.get("TEST_DATABASE_URL"), tmp_path) as url:
        # given: the schema before encryption, with a contact in plaintext
        settings = Settings(database_url=url, data_dir=tmp_path, encryption_keys=(KEY_2026,))
        item_id = await database_before_encryption(url, settings)
        # when
        migrate.upgrade(url, cipher=cipher_for((KEY_2026,), ()))
        # then
        dump = raw_contact_rows(url)
        assert "camille" not in dump.lower() and "612345678" not in dump
        async with running_service(settings) as (services, _):
            async with services.db.reading() as session:
                row = await privacy.contact_of(session, item_id)
                assert row is not None
                details = privacy.open_contact(row, services.contact_cipher)
        assert details == privacy.ContactDetails(
            "Camille Martin", "camille@example.org", "+33612345678"
        )


async def test_a_downgrade_decrypts_and_refuses_without_the_keys(tmp_path: Path) -> None:
    with throwaway_database(os.environ.get("TEST_DATABASE_URL"), tmp_path) as url:
        # given: an encrypted contact
        settings = Settings(database_url=url, data_dir=tmp_path, encryption_keys=(KEY_2026,))
        await database_before_encryption(url, settings)
        cipher = cipher_for((KEY_2026,), ())
        migrate.upgrade(url, cipher=cipher)
        # when
        with pytest.raises(RuntimeError, match="downgrade with the cipher"):
            migrate.downgrade(url, revision_before_encryption())
        migrate.downgrade(url, revision_before_encryption(), cipher=cipher)
        # then
        assert "camille@example.org" in raw_contact_rows(url)
        assert migrate.current_revision(url) == revision_before_encryption()


def legacy_item() -> Item:
    from datetime import UTC, datetime

    now = datetime(2026, 3, 1, tzinfo=UTC)
    return Item(
        reference="ALM-2026-900001", kind="report", status="submitted", commune_code="49007",
        category_code="pothole", body_code="alm-voirie", competence="metropole",
        routing_reason="test", delivery_state="triage", description="Trou", channel="app",
        language="fr", idempotency_scope="anonymous", idempotency_key="legacy-1",
        request_fingerprint="0" * 64, token_nonce="n" * 16, created_at=now, updated_at=now,
    )  # fmt: skip
