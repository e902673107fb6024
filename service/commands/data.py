"""Commands that maintain derived and personal data: purge, rekey, trends, search index,
and the whole database out and in (export, import)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from service.commands.common import (
    EXIT_CHECK_FAILED,
    EXIT_CONFIGURATION,
    CommandFailed,
    configured_cipher,
    ensure_migrated,
    ensure_reachable,
    now,
    open_checked_instance,
)
from service.db import Database, table_of
from service.privacy.crypto import FieldCipher
from service.privacy.models import PrivacyLogEntry
from service.progress import ProgressBar
from service.settings import Settings


def purge(settings: Settings, args: argparse.Namespace) -> int:
    ensure_migrated(settings)
    bar = ProgressBar()
    try:
        counts = asyncio.run(run_purge(settings, dry_run=args.dry_run, progress=bar))
    finally:
        bar.close()
    verb = "would remove" if args.dry_run else "removed"
    print(f"purge {verb}: " + ", ".join(f"{n} {category}" for category, n in counts.items()))
    return 0


async def run_purge(
    settings: Settings, *, dry_run: bool, progress: ProgressBar | None = None
) -> dict[str, int]:
    from service.context import utc_now
    from service.photos.storage import photo_store
    from service.privacy.retention import purge, retention_periods

    db = Database(settings.resolved_database_url)
    try:
        return await purge(
            db,
            retention_periods(settings),
            utc_now(),
            dry_run=dry_run,
            actor="cli",
            progress=progress,
            photos=photo_store(settings.data_dir),
            unattached_photo_hours=settings.photo_unattached_hours,
        )
    finally:
        await db.dispose()


def trends_rebuild(settings: Settings, _: argparse.Namespace) -> int:
    from service.trends.rollup import rebuild

    ensure_migrated(settings)
    bar = ProgressBar()

    async def run() -> int:
        db = Database(settings.resolved_database_url)
        try:
            return await rebuild(db, lambda done, total: bar("trends rebuild", done, total))
        finally:
            await db.dispose()

    try:
        counted = asyncio.run(run())
    finally:
        bar.close()
    print(f"trends rebuilt from {counted} items")
    return 0


def trends_update(settings: Settings, _: argparse.Namespace) -> int:
    from service.trends.rollup import apply_outbox

    ensure_migrated(settings)

    async def run() -> int:
        db = Database(settings.resolved_database_url)
        try:
            return await apply_outbox(db)
        finally:
            await db.dispose()

    print(f"trends applied {asyncio.run(run())} outbox entries")
    return 0


def rekey(settings: Settings, _: argparse.Namespace) -> int:
    from service.db import create_sync_engine
    from service.mail.subscriptions import reseal_subscriptions
    from service.privacy.models import PrivacyAction
    from service.privacy.rekey import contacts_to_reseal, reseal_contacts
    from service.privacy.signing_secrets import reseal_secrets, secrets_to_reseal

    ensure_migrated(settings)
    cipher = configured_cipher(settings)
    if cipher is None:
        raise CommandFailed("no SERVICE_ENCRYPTION_KEYS or SERVICE_SECRET_KEYS", EXIT_CONFIGURATION)
    engine = create_sync_engine(settings.resolved_database_url)
    bar = ProgressBar()
    try:
        with engine.begin() as connection:
            total = contacts_to_reseal(connection, cipher)
            done = 0

            def advance(count: int) -> None:
                nonlocal done
                done += count
                bar("contacts", done, total)

            resealed = reseal_contacts(connection, cipher, advance)
            secrets_total, secrets_done = secrets_to_reseal(connection, cipher), 0

            def advance_secrets(count: int) -> None:
                nonlocal secrets_done
                secrets_done += count
                bar("signing secrets", secrets_done, secrets_total)

            secrets = reseal_secrets(connection, cipher, advance_secrets)
            subscriptions = reseal_subscriptions(connection, cipher)
            connection.execute(
                table_of(PrivacyLogEntry)
                .insert()
                .values(
                    at=now(),
                    action=PrivacyAction.REKEY.value,
                    actor="cli",
                    counts=f'{{"contacts": {resealed}, "signing_secrets": {secrets}, '
                    f'"subscriptions": {subscriptions}}}',
                )
            )
    finally:
        bar.close()
        engine.dispose()
    print(f"rekey: {resealed} contacts now under key {cipher.current_key_id}")
    print(f"rekey: {secrets} webhook signing secrets now under key {cipher.current_key_id}")
    print(f"rekey: {subscriptions} alert subscriptions now under key {cipher.current_key_id}")
    return 0


def warn_of_stale_contacts(url: str, cipher: FieldCipher) -> None:
    from service.db import create_sync_engine
    from service.privacy.rekey import contacts_to_reseal
    from service.privacy.signing_secrets import secrets_to_reseal

    engine = create_sync_engine(url)
    try:
        with engine.connect() as connection:
            stale = contacts_to_reseal(connection, cipher)
            stale_secrets = secrets_to_reseal(connection, cipher)
    finally:
        engine.dispose()
    if stale:
        print(f"{stale} contacts in plaintext or under an older key: run `python -m service rekey`")
    if stale_secrets:
        print(
            f"{stale_secrets} webhook signing secrets in plaintext or under an older key: "
            "run `python -m service rekey`"
        )


def remask(settings: Settings, _: argparse.Namespace) -> int:
    """Apply the current masking rules to every public copy (after they changed)."""
    from service.moderation.rules import remask_all

    ensure_migrated(settings)

    async def run() -> int:
        db = Database(settings.resolved_database_url)
        bar = ProgressBar(unit="items")
        try:
            return await remask_all(db, now(), bar.update)
        finally:
            bar.finish()
            await db.dispose()

    changed = asyncio.run(run())
    print(f"remask: {changed} public copies changed (the search index follows from the outbox)")
    return 0


def reindex(settings: Settings, _: argparse.Namespace) -> int:
    ensure_migrated(settings)
    count, seconds = asyncio.run(run_reindex(settings))
    label_index(settings, open_checked_instance(settings))
    engine, folder = settings.search_engine, settings.search_dir
    print(f"indexed {count} items in {seconds:.1f} s ({engine}) into {folder}")
    print_set_aside(settings)
    return 0


def print_set_aside(settings: Settings) -> None:
    """The documents left out of the index (a builder's bug on them, a text the engine
    refused), for staff to look at: their keys and the error's type (the log has more)."""
    from service.search.factory import open_engine

    engine = open_engine(settings.search_engine, settings.search_dir)
    try:
        set_aside = engine.set_aside()
    finally:
        engine.close()
    for key, why in set_aside.items():
        print(f"set aside (not searchable): {key} ({why})")


async def run_reindex(settings: Settings) -> tuple[int, float]:
    import time

    from service.app import build_services
    from service.search.indexer import rebuild

    services = build_services(settings)
    started = time.monotonic()
    bar = ProgressBar(unit="items")
    try:
        await services.reload_reference()
        count = await rebuild(
            services.search_engine,
            services.db,
            services.search_build_context(),
            batch_size=settings.search_batch_size,
            progress=bar.update,
        )
    finally:
        bar.finish()
        services.search_engine.close()
        await services.db.dispose()
    return count, time.monotonic() - started


def label_index(settings: Settings, instance: str) -> None:
    from service.db import redacted
    from service.instance.index import IndexIdentity, write_identity

    database = redacted(settings.resolved_database_url)
    write_identity(settings.search_dir, IndexIdentity(instance, database))


def ensure_index_follows(settings: Settings) -> None:
    """Before serving or indexing: an index that follows another database, or one of unknown
    origin that holds documents, is rebuilt from this one; an empty one is labelled."""
    from service.instance import index as identity
    from service.search.factory import open_engine

    instance = open_checked_instance(settings)
    relation = identity.relation(settings.search_dir, instance)
    if relation == identity.FOLLOWS:
        return
    if relation == identity.UNLABELLED:
        engine = open_engine(settings.search_engine, settings.search_dir)
        try:
            empty = engine.position() == 0 and engine.document_count() == 0
        finally:
            engine.close()
        if empty:
            label_index(settings, instance)
            return
    found = identity.read_identity(settings.search_dir)
    origin = f"instance {found.instance_id}" if found else "an unknown database"
    print(
        f"the search index in {settings.search_dir} follows {origin}, not this database "
        f"(instance {instance}): rebuilding it from this one"
    )
    count, seconds = asyncio.run(run_reindex(settings))
    label_index(settings, instance)
    print(f"indexed {count} items in {seconds:.1f} s")


def index(settings: Settings, args: argparse.Namespace) -> int:
    ensure_migrated(settings)
    ensure_index_follows(settings)
    asyncio.run(run_index(settings, once=args.once))
    return 0


async def run_index(settings: Settings, *, once: bool) -> None:
    import signal

    from service.app import build_services
    from service.search.indexer import IndexerLock, run_search_indexer

    services = build_services(settings)
    try:
        await services.reload_reference()
        if once:
            lock = IndexerLock(settings.search_dir / "indexer.lock")
            if not lock.acquire():
                raise CommandFailed("another process is indexing this host's index", 1)
            try:
                count = await services.search_indexer.catch_up()
            finally:
                lock.release()
            print(f"applied {count} outbox entries")
            print_set_aside(settings)
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await run_search_indexer(
            services.search_indexer,
            IndexerLock(settings.search_dir / "indexer.lock"),
            stop,
            settings.search_poll_seconds,
        )
    finally:
        services.search_engine.close()
        await services.db.dispose()


def transparency_report(settings: Settings, args: argparse.Namespace) -> int:
    import json

    from service.i18n.catalogs import load_translations
    from service.i18n.translator import Translator
    from service.privacy import transparency
    from service.settings import SUPPORTED_LOCALES

    ensure_migrated(settings)
    locale = args.locale or settings.default_locale
    if locale not in SUPPORTED_LOCALES:
        raise CommandFailed(f"choose a locale among {', '.join(SUPPORTED_LOCALES)}", 2)

    async def run() -> dict[str, object]:
        db = Database(settings.resolved_database_url)
        try:
            async with db.reading() as session:
                return await transparency.transparency_report(session, args.year)
        finally:
            await db.dispose()

    report = asyncio.run(run())
    if args.format == "json":
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        translations = load_translations(settings.locales_dir, (locale,))
        print(transparency.to_markdown(report, Translator(locale, translations[locale])), end="")
    return 0


CONTACTS_IN_CLEAR_WARNING = (
    "warning: --include-contacts writes residents' names, e-mail addresses and phone numbers "
    "IN CLEAR into {directory}: keep it as safely as the database, delete it when done"
)


def export_data(settings: Settings, args: argparse.Namespace) -> int:
    from service.photos.storage import photo_store
    from service.privacy.retention import retention_periods
    from service.reversibility.export import ExportOptions, ExportRefused, export_database

    ensure_migrated(settings)
    directory: Path = args.directory
    if args.include_contacts:
        print(CONTACTS_IN_CLEAR_WARNING.format(directory=directory), file=sys.stderr)
    options = ExportOptions(
        fmt=args.format,
        include_contacts=args.include_contacts,
        retention=retention_periods(settings),
    )
    bar = ProgressBar(unit="rows")
    started = time.monotonic()
    try:
        manifest = export_database(
            settings.resolved_database_url,
            directory,
            options,
            configured_cipher(settings),
            now(),
            lambda done, total: bar("export", done, total),
            photos=photo_store(settings.data_dir),
        )
    except ExportRefused as error:
        raise CommandFailed(str(error), EXIT_CHECK_FAILED) from None
    finally:
        bar.close()
    rows = sum(t["rows"] for t in manifest["tables"])
    size = sum(p.stat().st_size for p in directory.iterdir())
    clear = "in clear" if args.include_contacts else "encrypted as stored"
    print(
        f"exported {rows} rows of {len(manifest['tables'])} tables to {directory} "
        f"({args.format}, {size:,} bytes, {time.monotonic() - started:.1f} s; contacts {clear}, "
        "webhook signing secrets encrypted); "
        "see its README.md and manifest.json"
    )
    return 0


def import_data(settings: Settings, args: argparse.Namespace) -> int:
    from service.photos.storage import photo_store
    from service.reversibility.restore import ImportRefused, import_database

    ensure_reachable(settings)
    bar = ProgressBar(unit="rows")
    started = time.monotonic()
    try:
        result = import_database(
            settings.resolved_database_url,
            args.directory,
            configured_cipher(settings),
            lambda done, total: bar("import", done, total),
            photos=photo_store(settings.data_dir),
        )
    except ImportRefused as error:
        raise CommandFailed(f"import refused: {error}", EXIT_CHECK_FAILED) from None
    finally:
        bar.close()
    print(
        f"imported {result.rows} rows of {result.tables} tables from {args.directory} "
        f"in {time.monotonic() - started:.1f} s"
    )
    if result.contacts_encrypted:
        print(f"{result.contacts_encrypted} contacts encrypted with this instance's key")
    if result.feed_rebased:
        print("change feed positions rebased on this database (webhooks may resend a few events)")
    print("the search index is stale: run `python -m service reindex`")
    print(
        "tracking tokens and device hashes are signed with SERVICE_SECRET_KEYS: unless this "
        "instance has the source's keys, residents' tracking links stop working"
    )
    return 0
