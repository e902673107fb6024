"""``python -m service``: the command line (the parser, serving, migrations, fixtures, the
schema and catalogs; the other commands live in ``service.commands``).

Exit codes: 0 done; 1 a check failed; 2 bad arguments; 3 bad configuration; 4 database
unreachable or not migrated.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service import log_format, migrate
from service.commands import accounts, data
from service.commands.common import (
    EXIT_CHECK_FAILED,
    EXIT_CONFIGURATION,
    CommandFailed,
    configured_cipher,
    ensure_migrated,
    ensure_reachable,
    open_checked_instance,
)
from service.db import Database, redacted
from service.i18n.catalogs import CatalogError
from service.private_files import protect_data
from service.settings import (
    PROJECT_ROOT,
    SUPPORTED_LOCALES,
    Settings,
    SettingsError,
    warn_unknown_variables,
)
from service.staff.models import Role

if TYPE_CHECKING:
    from service.demo_year import Seeded

SCHEMA_PATH = PROJECT_ROOT / "graphql" / "schema.graphql"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_environ()
        if args.run is not _serve:  # serve says it once its logs are set up
            warn_unknown_variables()
        if not args.writes_repository:
            protect_data(settings)  # before the command creates any file
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
    # Commands keep their files to the service's user (see service.private_files), except
    # those writing the repository's own files (the schema, the catalogs).
    parser.set_defaults(writes_repository=False)

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
    create.set_defaults(run=accounts.staff_create)

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
    api_create.set_defaults(run=accounts.api_client_create)
    api_revoke = api_commands.add_parser("revoke", help="revoke a client's key at once")
    api_revoke.add_argument("--name", required=True, help="the client's name")
    api_revoke.set_defaults(run=accounts.api_client_revoke)

    route_secret = commands.add_parser(
        "route-secret",
        help="give a body's webhook route a new signing secret (printed once, stored encrypted)",
    )
    route_secret.add_argument("--body", required=True, help="the body's code, e.g. mairie-49007")
    route_secret.set_defaults(run=accounts.route_secret)

    purge = commands.add_parser(
        "purge", help="remove personal data past its retention period (counts per category)"
    )
    purge.add_argument(
        "--dry-run", action="store_true", help="count what would be removed, change nothing"
    )
    purge.set_defaults(run=data.purge)

    rekey = commands.add_parser(
        "rekey",
        help="encrypt contacts and webhook signing secrets with the newest key (after a "
        "rotation, or old plaintext)",
    )
    rekey.set_defaults(run=data.rekey)

    remask = commands.add_parser(
        "remask",
        help="apply the current masking rules to every public copy of residents' texts "
        "(after the rules changed; with a progress bar)",
    )
    remask.set_defaults(run=data.remask)
    keys_command = commands.add_parser(
        "keys", help="the ids of the keys the database holds data under (never the keys)"
    )
    keys_actions = keys_command.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    keys_show = keys_actions.add_parser("show", help="the recorded and the configured key ids")
    keys_show.set_defaults(run=_keys_show)
    keys_check = keys_actions.add_parser(
        "check",
        help="check the configured keys against the database (exit 3 if they cannot read it; "
        "a new key is recorded), e.g. before restarting with a changed key file",
    )
    keys_check.set_defaults(run=_keys_check)
    keys_accept = keys_actions.add_parser(
        "accept",
        help="record the configured keys as those the data is held under (after retiring a "
        "key on purpose: run `rekey` first; tokens it signed stop working)",
    )
    keys_accept.set_defaults(run=_keys_accept)

    report = commands.add_parser(
        "transparency-report", help="the year's transparency report, from real counts"
    )
    report.add_argument("--year", type=_positive, required=True, help="e.g. 2026")
    report.add_argument("--format", choices=["md", "json"], default="md", help="md or json")
    report.add_argument("--locale", default=None, help="language of the md report (default fr)")
    report.set_defaults(run=data.transparency_report)

    dump = commands.add_parser(
        "export",
        help="write the whole database to DIR: a file per table, manifest.json, README.md",
    )
    dump.add_argument("directory", type=Path, metavar="DIR", help="a new or empty directory")
    dump.add_argument(
        "--format", choices=["jsonl", "csv"], default="jsonl", help="jsonl (default) or csv"
    )
    dump.add_argument(
        "--include-contacts",
        action="store_true",
        help="write residents' contacts decrypted, in clear (default: encrypted as stored); "
        "webhook signing secrets stay encrypted either way",
    )
    dump.set_defaults(run=data.export_data)
    load = commands.add_parser(
        "import", help="load an export into this instance's empty database (then reindex)"
    )
    load.add_argument("directory", type=Path, metavar="DIR", help="a folder written by export")
    load.set_defaults(run=data.import_data)

    backup = commands.add_parser(
        "backup",
        help="a consistent copy of the database into DIR while serving (SQLite online backup, "
        "or pg_dump), with a manifest naming the instance and its keys' ids",
    )
    backup.add_argument("directory", type=Path, metavar="DIR", help="a new or empty directory")
    backup.set_defaults(run=_backup)
    restore = commands.add_parser(
        "restore",
        help="restore a backup into this instance's new, empty database, then rebuild the "
        "search index",
    )
    restore.add_argument("directory", type=Path, metavar="DIR", help="a folder written by backup")
    restore.set_defaults(run=_restore)

    reindex = commands.add_parser(
        "reindex", help="rebuild the search index from the database (with a progress bar)"
    )
    reindex.set_defaults(run=data.reindex)

    index = commands.add_parser(
        "index", help="run this host's search indexer in the foreground (until interrupted)"
    )
    index.add_argument(
        "--once", action="store_true", help="apply what the outbox holds now, then stop"
    )
    index.set_defaults(run=data.index)

    trends = commands.add_parser("trends", help="the roll-ups behind the trends")
    trends_commands = trends.add_subparsers(dest="trends_command", required=True, metavar="ACTION")
    rebuild = trends_commands.add_parser(
        "rebuild", help="recompute the roll-ups from the items (progress bar)"
    )
    rebuild.set_defaults(run=data.trends_rebuild)
    update = trends_commands.add_parser(
        "update", help="apply the outbox entries the roll-ups have not seen yet"
    )
    update.set_defaults(run=data.trends_update)

    export = commands.add_parser("export-schema", help="write graphql/schema.graphql")
    export.add_argument(
        "--check", action="store_true", help="fail if the committed schema is not current"
    )
    export.add_argument("--output", type=Path, default=SCHEMA_PATH, help="where to write it")
    export.set_defaults(run=_export_schema, writes_repository=True)

    i18n = commands.add_parser("i18n", help="message catalogs: update them, check them")
    i18n.add_argument(
        "action",
        choices=["update", "check"],
        help="update: extract new messages into every catalog; check: fail on a stale "
        "template or an incomplete catalog",
    )
    i18n.set_defaults(run=_i18n, writes_repository=True)
    return parser


def _backup(settings: Settings, args: argparse.Namespace) -> int:
    import time

    from service.backup import BackupFailed, backup

    ensure_migrated(settings)  # and the keys checked: a backup names the right ones
    started = time.monotonic()
    try:
        manifest = backup(settings, args.directory, open_checked_instance(settings))
    except BackupFailed as error:
        raise CommandFailed(f"backup failed: {error}", EXIT_CHECK_FAILED) from None
    size = sum(p.stat().st_size for p in args.directory.iterdir())
    print(
        f"backed up {redacted(settings.resolved_database_url)} (instance {manifest.instance_id}, "
        f"revision {manifest.revision}) to {args.directory}: {size:,} bytes in "
        f"{time.monotonic() - started:.1f} s"
    )
    return 0


def _restore(settings: Settings, args: argparse.Namespace) -> int:
    from service.backup import BackupFailed, restore

    ensure_reachable(settings)
    try:
        manifest = restore(settings, args.directory)
    except BackupFailed as error:
        raise CommandFailed(f"restore refused: {error}", EXIT_CHECK_FAILED) from None
    print(
        f"restored instance {manifest.instance_id} (backup of {manifest.created_at}) into "
        f"{redacted(settings.resolved_database_url)}"
    )
    migrate.upgrade(settings.resolved_database_url, cipher=configured_cipher(settings))
    open_checked_instance(settings)
    count, seconds = asyncio.run(data.run_reindex(settings))
    data.label_index(settings, manifest.instance_id)
    print(f"search index rebuilt: {count} items in {seconds:.1f} s")
    return 0


def _keys_show(settings: Settings, _: argparse.Namespace) -> int:
    from service.instance.keys import configured_key_ids
    from service.instance.rules import recorded_key_ids

    ensure_reachable(settings)
    recorded, configured = recorded_key_ids(settings), configured_key_ids(settings)
    for name, ids in (("recorded", recorded), ("configured", configured)):
        print(
            f"{name}: signing {','.join(ids.signing) or '-'}; "
            f"encryption {','.join(ids.encryption) or '-'}"
        )
    return 0


def _keys_check(settings: Settings, _: argparse.Namespace) -> int:
    ensure_migrated(settings)  # which checks the keys
    print("the configured keys can verify and decrypt what the database holds")
    return 0


def _keys_accept(settings: Settings, _: argparse.Namespace) -> int:
    from service.instance.rules import open_instance

    ensure_reachable(settings)
    if not (settings.secret_keys or settings.encryption_keys):
        raise CommandFailed("no keys are configured: set SERVICE_SECRET_KEYS", EXIT_CONFIGURATION)
    instance = open_instance(settings, accept_keys=True)
    print(f"instance {instance}: the configured keys are now those its data is held under")
    return 0


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


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    ensure_reachable(settings)
    url = settings.resolved_database_url
    cipher = configured_cipher(settings)
    migrate.upgrade(url, cipher=cipher)
    print(f"database {redacted(url)} is at revision {migrate.head_revision()}")
    if cipher is not None:
        data.warn_of_stale_contacts(url, cipher)
    if args.check:
        try:
            migrate.check(url)
        except Exception as error:  # alembic raises AutogenerateDiffsDetected and others
            print(f"migrations are not current with the models: {error}", file=sys.stderr)
            return EXIT_CHECK_FAILED
        print("migrations match the models")
    return 0


def _load_fixtures(settings: Settings, _: argparse.Namespace) -> int:
    ensure_migrated(settings)
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
    _count_metrics_across_workers(settings)  # before prometheus-client is imported
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
        ensure_migrated(settings)
    open_checked_instance(settings)  # keys that fit the data, or exit 3
    data.ensure_index_follows(settings)  # never another database's index
    log_format.configure(settings.log_level, settings.log_format)
    warn_unknown_variables()
    where = f"http://{args.host}:{args.port}"
    print(f"serving on {where}/graphql" + (" (GraphiQL enabled)" if settings.graphiql else ""))
    if args.workers == 1:
        uvicorn.run(
            create_app(settings),
            host=args.host,
            port=args.port,
            log_level=settings.log_level,
            access_log=False,  # it prints client addresses: service.access_log logs instead
            **_proxy_options(settings),
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
            **_proxy_options(settings),
        )
    return 0


def _count_metrics_across_workers(settings: Settings) -> None:
    """Every worker writes its counts under <data dir>/metrics (emptied now: counts of an
    earlier run would add up), and a scrape of any worker reads them all."""
    import os
    import shutil

    from service.private_files import make_private_folder

    folder = settings.data_dir / "metrics"
    shutil.rmtree(folder, ignore_errors=True)
    make_private_folder(folder)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder.resolve())


def _proxy_options(settings: Settings) -> dict[str, Any]:
    """Proxy headers are believed from the configured proxies only. uvicorn's own default
    believes 127.0.0.1, so a local proxy passing a client's X-Forwarded-For through would let
    anyone choose the address the per-origin limits count."""
    trusted = list(settings.forwarded_allow_ips)
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted}


def _prepare_demo(settings: Settings) -> None:
    ensure_reachable(settings)
    migrate.upgrade(settings.resolved_database_url)
    counts = asyncio.run(_run_fixture_load(settings))
    print("demo: database ready, " + ", ".join(f"{n} {table}" for table, n in counts.items()))
    started = time.monotonic()
    created, sensors, places, year = asyncio.run(_load_demo_data(settings))
    print(f"demo: {created} example reports added (invented data, see fixtures/demo)")
    print(f"demo: {sensors} example sensors added (invented data, see fixtures/demo)")
    print(f"demo: {places} example help places added (invented data, see fixtures/demo)")
    if year.items:
        print(
            f"demo: a year of {year.items} example items and {year.opinions} sensor opinions "
            f"added in {time.monotonic() - started:.1f} s (invented: SERVICE_DEMO_YEAR_ITEMS=0 "
            "leaves it out)"
        )


async def _load_demo_data(settings: Settings) -> tuple[int, int, int, Seeded]:
    from service.app import build_services
    from service.context import utc_now
    from service.demo import load_demo_reports
    from service.demo_year import seed_demo_year
    from service.help_places.demo import load_demo_help_places
    from service.sensors.demo import load_demo_sensors

    services = build_services(settings)
    try:
        await services.reload_reference()
        reports = await load_demo_reports(services, utc_now())
        sensors = await load_demo_sensors(services, utc_now())
        places = await load_demo_help_places(
            services.db, services.reference, settings.fixtures_dir, utc_now()
        )
        year = await seed_demo_year(services, utc_now(), settings.demo_year_items)
        return reports, sensors, places, year
    finally:
        await services.db.dispose()


def _forward_to_workers(settings: Settings) -> None:
    """Worker processes rebuild settings from the environment: hand them what demo changed."""
    import os

    os.environ["SERVICE_SECRET_KEYS"] = ",".join(settings.secret_keys)
    os.environ["SERVICE_GRAPHIQL"] = "true" if settings.graphiql else "false"
    os.environ["SERVICE_DATA_DIR"] = str(settings.data_dir)
