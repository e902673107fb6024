"""``python -m service``: serve, migrate, load fixtures, purge, rekey, reindex, export the
schema.

Exit codes: 0 done; 1 a check failed; 2 bad arguments; 3 bad configuration; 4 database
unreachable or not migrated.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from service import migrate
from service.db import Database, DatabaseUnavailable, redacted
from service.i18n.catalogs import CatalogError
from service.privacy.crypto import FieldCipher, cipher_for
from service.privacy.models import PrivacyLogEntry
from service.progress import ProgressBar
from service.settings import PROJECT_ROOT, SUPPORTED_LOCALES, Settings, SettingsError
from service.staff.models import Role

EXIT_CHECK_FAILED = 1
EXIT_CONFIGURATION = 3
EXIT_DATABASE = 4
SCHEMA_PATH = PROJECT_ROOT / "graphql" / "schema.graphql"


class CommandFailed(Exception):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_environ()
        return int(args.run(settings, args))
    except (SettingsError, CatalogError) as error:
        print(f"error: configuration: {error}", file=sys.stderr)
        return EXIT_CONFIGURATION
    except CommandFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m service",
        description="Citizen feedback service of Angers Loire Métropole.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the GraphQL API over HTTP")
    serve.add_argument(
        "--demo", action="store_true", help="migrate, load fixtures and demo data, enable GraphiQL"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=_port, default=8000, help="port to listen on")
    serve.add_argument("--workers", type=_positive, default=1, help="worker processes")
    serve.set_defaults(run=_serve)

    migrate_command = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate_command.add_argument(
        "--check", action="store_true", help="fail if the models differ from the migrations"
    )
    migrate_command.set_defaults(run=_migrate)

    fixtures = commands.add_parser("load-fixtures", help="load reference data from fixtures/")
    fixtures.set_defaults(run=_load_fixtures)

    staff = commands.add_parser("staff", help="manage staff accounts")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True, metavar="ACTION")
    create = staff_commands.add_parser("create", help="create a staff account (the first admin)")
    create.add_argument("--email", required=True, help="work e-mail address (the login)")
    create.add_argument("--name", required=True, help="full name")
    create.add_argument("--body", required=True, help="body code, e.g. alm or mairie-49007")
    create.add_argument(
        "--role", required=True, choices=[role.value for role in Role], help="what they may do"
    )
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    create.set_defaults(run=_staff_create)

    api_client = commands.add_parser("api-client", help="manage integrators' API keys")
    api_commands = api_client.add_subparsers(dest="api_command", required=True, metavar="ACTION")
    api_create = api_commands.add_parser(
        "create", help="create a client and print its key (shown once; only a hash is kept)"
    )
    api_create.add_argument("--name", required=True, help="short name, e.g. vivre-a-angers")
    api_create.add_argument(
        "--scopes",
        default="public:read,items:write,items:follow",
        help="comma-separated: public:read, items:write, items:follow, webhooks:manage, "
        "opendata:read (default: public:read,items:write,items:follow)",
    )
    api_create.add_argument(
        "--trusted-documents-only",
        action="store_true",
        help="accept only the published operations (documentId), never free query text",
    )
    api_create.set_defaults(run=_api_client_create)
    api_revoke = api_commands.add_parser("revoke", help="revoke a client's key at once")
    api_revoke.add_argument("--name", required=True, help="the client's name")
    api_revoke.set_defaults(run=_api_client_revoke)

    purge = commands.add_parser(
        "purge", help="remove personal data past its retention period (counts per category)"
    )
    purge.add_argument(
        "--dry-run", action="store_true", help="count what would be removed, change nothing"
    )
    purge.set_defaults(run=_purge)

    rekey = commands.add_parser(
        "rekey", help="encrypt contacts with the newest key (after a rotation, or old plaintext)"
    )
    rekey.set_defaults(run=_rekey)
    reindex = commands.add_parser(
        "reindex", help="rebuild the search index from the database (with a progress bar)"
    )
    reindex.set_defaults(run=_reindex)

    index = commands.add_parser(
        "index", help="run this host's search indexer in the foreground (until interrupted)"
    )
    index.add_argument(
        "--once", action="store_true", help="apply what the outbox holds now, then stop"
    )
    index.set_defaults(run=_index)

    trends = commands.add_parser("trends", help="the roll-ups behind the trends")
    trends_commands = trends.add_subparsers(dest="trends_command", required=True, metavar="ACTION")
    rebuild = trends_commands.add_parser(
        "rebuild", help="recompute the roll-ups from the items (progress bar)"
    )
    rebuild.set_defaults(run=_trends_rebuild)
    update = trends_commands.add_parser(
        "update", help="apply the outbox entries the roll-ups have not seen yet"
    )
    update.set_defaults(run=_trends_update)

    export = commands.add_parser("export-schema", help="write graphql/schema.graphql")
    export.add_argument(
        "--check", action="store_true", help="fail if the committed schema is not current"
    )
    export.add_argument("--output", type=Path, default=SCHEMA_PATH, help="where to write it")
    export.set_defaults(run=_export_schema)

    i18n = commands.add_parser("i18n", help="message catalogs: update them, check them")
    i18n.add_argument(
        "action",
        choices=["update", "check"],
        help="update: extract new messages into every catalog; check: fail on a stale "
        "template or an incomplete catalog",
    )
    i18n.set_defaults(run=_i18n)
    return parser


def _port(raw: str) -> int:
    value = _positive(raw)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a port is at most 65535, not {value}")
    return value


def _positive(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {raw!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, not {value}")
    return value


def _ensure_reachable(settings: Settings) -> None:
    async def ping() -> None:
        db = Database(settings.resolved_database_url)
        try:
            await db.ping()
        finally:
            await db.dispose()

    try:
        asyncio.run(ping())
    except DatabaseUnavailable as error:
        raise CommandFailed(str(error), EXIT_DATABASE) from error


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    _ensure_reachable(settings)
    url = settings.resolved_database_url
    cipher = _configured_cipher(settings)
    migrate.upgrade(url, cipher=cipher)
    print(f"database {redacted(url)} is at revision {migrate.head_revision()}")
    if cipher is not None:
        _warn_of_stale_contacts(url, cipher)
    if args.check:
        try:
            migrate.check(url)
        except Exception as error:  # alembic raises AutogenerateDiffsDetected and others
            print(f"migrations are not current with the models: {error}", file=sys.stderr)
            return EXIT_CHECK_FAILED
        print("migrations match the models")
    return 0


def _configured_cipher(settings: Settings) -> FieldCipher | None:
    """The cipher of the configured keys; None when there are none (development)."""
    if not (settings.encryption_keys or settings.secret_keys):
        return None
    return cipher_for(settings.encryption_keys, settings.secret_keys)


def _purge(settings: Settings, args: argparse.Namespace) -> int:
    _ensure_migrated(settings)
    bar = ProgressBar()
    try:
        counts = asyncio.run(_run_purge(settings, dry_run=args.dry_run, progress=bar))
    finally:
        bar.close()
    verb = "would remove" if args.dry_run else "removed"
    print(f"purge {verb}: " + ", ".join(f"{n} {category}" for category, n in counts.items()))
    return 0


async def _run_purge(
    settings: Settings, *, dry_run: bool, progress: ProgressBar | None = None
) -> dict[str, int]:
    from service.context import utc_now
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
        )
    finally:
        await db.dispose()


def _trends_rebuild(settings: Settings, _: argparse.Namespace) -> int:
    from service.trends.rollup import rebuild

    _ensure_migrated(settings)
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


def _trends_update(settings: Settings, _: argparse.Namespace) -> int:
    from service.trends.rollup import apply_outbox

    _ensure_migrated(settings)

    async def run() -> int:
        db = Database(settings.resolved_database_url)
        try:
            return await apply_outbox(db)
        finally:
            await db.dispose()

    print(f"trends applied {asyncio.run(run())} outbox entries")
    return 0


def _rekey(settings: Settings, _: argparse.Namespace) -> int:
    from service.db import create_sync_engine
    from service.privacy.models import PrivacyAction
    from service.privacy.rekey import contacts_to_reseal, reseal_contacts

    _ensure_migrated(settings)
    cipher = _configured_cipher(settings)
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
            connection.execute(
                PrivacyLogEntry.__table__.insert().values(  # type: ignore[attr-defined]
                    at=_now(),
                    action=PrivacyAction.REKEY.value,
                    actor="cli",
                    counts=f'{{"contacts": {resealed}}}',
                )
            )
    finally:
        bar.close()
        engine.dispose()
    print(f"rekey: {resealed} contacts now under key {cipher.current_key_id}")
    return 0


def _warn_of_stale_contacts(url: str, cipher: FieldCipher) -> None:
    from service.db import create_sync_engine
    from service.privacy.rekey import contacts_to_reseal

    engine = create_sync_engine(url)
    try:
        with engine.connect() as connection:
            stale = contacts_to_reseal(connection, cipher)
    finally:
        engine.dispose()
    if stale:
        print(f"{stale} contacts in plaintext or under an older key: run `python -m service rekey`")


def _now() -> datetime:
    from service.context import utc_now

    return utc_now()


def _load_fixtures(settings: Settings, _: argparse.Namespace) -> int:
    _ensure_migrated(settings)
    counts = asyncio.run(_run_fixture_load(settings))
    print("loaded " + ", ".join(f"{count} {table}" for table, count in counts.items()))
    return 0


async def _run_fixture_load(settings: Settings) -> dict[str, int]:
    from service.fixtures import load_fixtures

    db = Database(settings.resolved_database_url)
    try:
        return await load_fixtures(settings, db)
    finally:
        await db.dispose()


def _ensure_migrated(settings: Settings) -> None:
    _ensure_reachable(settings)
    current = migrate.current_revision(settings.resolved_database_url)
    if current != migrate.head_revision():
        raise CommandFailed(
            f"the database is at revision {current}, not {migrate.head_revision()}: "
            "run `python -m service migrate` first",
            EXIT_DATABASE,
        )


def _reindex(settings: Settings, _: argparse.Namespace) -> int:
    _ensure_migrated(settings)
    count, seconds = asyncio.run(_run_reindex(settings))
    print(f"indexed {count} items in {seconds:.1f} s into {settings.search_dir / 'index'}")
    return 0


async def _run_reindex(settings: Settings) -> tuple[int, float]:
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


def _index(settings: Settings, args: argparse.Namespace) -> int:
    _ensure_migrated(settings)
    asyncio.run(_run_index(settings, once=args.once))
    return 0


async def _run_index(settings: Settings, *, once: bool) -> None:
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


MIN_PASSWORD_LENGTH = 12


def _staff_create(settings: Settings, args: argparse.Namespace) -> int:
    _ensure_migrated(settings)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        import getpass

        password = getpass.getpass("password: ")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise CommandFailed(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters", EXIT_CHECK_FAILED
        )
    email = asyncio.run(_create_staff(settings, args, password))
    print(f"created {args.role} {email} for {args.body}")
    return 0


async def _create_staff(settings: Settings, args: argparse.Namespace, password: str) -> str:
    from sqlalchemy.exc import IntegrityError

    from service.context import utc_now
    from service.staff import rules as staff_rules
    from service.territory.models import Body

    db = Database(settings.resolved_database_url)
    try:
        async with db.writing() as session:
            if await session.get(Body, args.body) is None:
                raise CommandFailed(f"there is no body {args.body!r}", EXIT_CHECK_FAILED)
            user = await staff_rules.create_staff(
                session,
                email=args.email,
                name=args.name,
                body_code=args.body,
                role=Role(args.role),
                password=password,
                now=utc_now(),
            )
            return user.email
    except IntegrityError:
        raise CommandFailed(f"{args.email} already has an account", EXIT_CHECK_FAILED) from None
    finally:
        await db.dispose()


def _api_client_create(settings: Settings, args: argparse.Namespace) -> int:
    from service.integrations import rules as api_clients

    scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
    if not api_clients.valid_client_name(args.name):
        raise CommandFailed(
            "a client name is 2-55 lower-case letters, digits, - or _", EXIT_CHECK_FAILED
        )
    unknown = sorted(set(scopes) - set(api_clients.SCOPES))
    if unknown or not scopes:
        raise CommandFailed(
            f"unknown scope {', '.join(unknown) or '(none)'}; choose among "
            + ", ".join(api_clients.SCOPES),
            EXIT_CHECK_FAILED,
        )
    _ensure_migrated(settings)
    key = asyncio.run(
        _create_api_client(settings, args.name, scopes, args.trusted_documents_only)
    )
    print(
        f"created API client {args.name} with scopes {' '.join(scopes)}; "
        "its key (shown once, keep it secret):"
    )
    print(key)
    return 0


async def _create_api_client(
    settings: Settings, name: str, scopes: list[str], trusted_documents_only: bool
) -> str:
    from sqlalchemy.exc import IntegrityError

    from service.context import utc_now
    from service.integrations import rules as api_clients

    db = Database(settings.resolved_database_url)
    try:
        async with db.writing() as session:
            _, key = await api_clients.create_api_client(
                session,
                name,
                utc_now(),
                scopes,
                trusted_documents_only=trusted_documents_only,
            )
            return key
    except IntegrityError:
        raise CommandFailed(f"there is already an API client {name!r}", EXIT_CHECK_FAILED) from None
    finally:
        await db.dispose()


def _api_client_revoke(settings: Settings, args: argparse.Namespace) -> int:
    _ensure_migrated(settings)

    async def revoke() -> bool:
        from service.context import utc_now
        from service.integrations import rules as api_clients

        db = Database(settings.resolved_database_url)
        try:
            async with db.writing() as session:
                return await api_clients.revoke_api_client(session, args.name, utc_now())
        finally:
            await db.dispose()

    if not asyncio.run(revoke()):
        raise CommandFailed(f"there is no active API client {args.name!r}", EXIT_CHECK_FAILED)
    print(f"revoked API client {args.name}")
    return 0


def _export_schema(settings: Settings, args: argparse.Namespace) -> int:
    from service.schema import export_sdl

    sdl = export_sdl(settings)
    path: Path = args.output
    if args.check:
        committed = path.read_text(encoding="utf-8") if path.exists() else ""
        if committed != sdl:
            print(f"{path} is not current: run `python -m service export-schema`", file=sys.stderr)
            return EXIT_CHECK_FAILED
        print(f"{path} is current")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(sdl, encoding="utf-8")
    print(f"wrote {path}")
    return 0


def _i18n(settings: Settings, args: argparse.Namespace) -> int:
    from service.i18n import workflow

    if args.action == "update":
        workflow.update(PROJECT_ROOT)
        print("catalogs updated: translate the new entries in every language, then run check")
        return 0
    found = workflow.problems(PROJECT_ROOT, SUPPORTED_LOCALES)
    for problem in found:
        print(problem, file=sys.stderr)
    if found:
        return EXIT_CHECK_FAILED
    print(f"catalogs complete: {', '.join(SUPPORTED_LOCALES)}")
    return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from service.app import create_app

    generated = args.demo and not settings.secret_keys
    if args.demo:
        settings = settings.for_demo()
    settings.check_startable()  # configuration first: no database work for a refused start
    if args.demo:
        _prepare_demo(settings)
        if generated:
            print(
                "demo: using a generated secret key kept in "
                f"{settings.data_dir / 'demo-secret-key'}; set SERVICE_SECRET_KEYS in production"
            )
    else:
        _ensure_migrated(settings)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s %(message)s"
    )
    where = f"http://{args.host}:{args.port}"
    print(f"serving on {where}/graphql" + (" (GraphiQL enabled)" if settings.graphiql else ""))
    if args.workers == 1:
        uvicorn.run(
            create_app(settings),
            host=args.host,
            port=args.port,
            log_level=settings.log_level,
            access_log=False,  # it prints client addresses: service.access_log logs instead
        )
    else:
        _forward_to_workers(settings)
        uvicorn.run(
            "service.app:create_app_from_environment",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=settings.log_level,
            access_log=False,
        )
    return 0


def _prepare_demo(settings: Settings) -> None:
    _ensure_reachable(settings)
    migrate.upgrade(settings.resolved_database_url)
    counts = asyncio.run(_run_fixture_load(settings))
    print("demo: database ready, " + ", ".join(f"{n} {table}" for table, n in counts.items()))
    created, sensors = asyncio.run(_load_demo_data(settings))
    print(f"demo: {created} example reports added (invented data, see fixtures/demo)")
    print(f"demo: {sensors} example sensors added (invented data, see fixtures/demo)")


async def _load_demo_data(settings: Settings) -> tuple[int, int]:
    from service.app import build_services
    from service.context import utc_now
    from service.demo import load_demo_reports
    from service.sensors.demo import load_demo_sensors

    services = build_services(settings)
    try:
        await services.reload_reference()
        reports = await load_demo_reports(services, utc_now())
        return reports, await load_demo_sensors(services, utc_now())
    finally:
        await services.db.dispose()


def _forward_to_workers(settings: Settings) -> None:
    """Worker processes rebuild settings from the environment: hand them what demo changed."""
    import os

    os.environ["SERVICE_SECRET_KEYS"] = ",".join(settings.secret_keys)
    os.environ["SERVICE_GRAPHIQL"] = "true" if settings.graphiql else "false"
    os.environ["SERVICE_DATA_DIR"] = str(settings.data_dir)
