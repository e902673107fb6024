"""What every command shares: exit codes, failures, database checks, the clock, the cipher."""

from __future__ import annotations

import asyncio
from datetime import datetime

from service import migrate
from service.db import Database, DatabaseUnavailable
from service.privacy.crypto import FieldCipher, cipher_for
from service.settings import Settings

EXIT_CHECK_FAILED = 1
EXIT_CONFIGURATION = 3
EXIT_DATABASE = 4


class CommandFailed(Exception):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def ensure_reachable(settings: Settings) -> None:
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


def configured_cipher(settings: Settings) -> FieldCipher | None:
    """The cipher of the configured keys; None when there are none (development)."""
    if not (settings.encryption_keys or settings.secret_keys):
        return None
    return cipher_for(settings.encryption_keys, settings.secret_keys)


def now() -> datetime:
    from service.context import utc_now

    return utc_now()


def ensure_migrated(settings: Settings) -> None:
    ensure_reachable(settings)
    current = migrate.current_revision(settings.resolved_database_url)
    if current != migrate.head_revision():
        raise CommandFailed(
            f"the database is at revision {current}, not {migrate.head_revision()}: "
            "run `python -m service migrate` first",
            EXIT_DATABASE,
        )
    open_checked_instance(settings)


def open_checked_instance(settings: Settings) -> str:
    """The instance id, once the configured keys are known to fit the database's data
    (refused with exit 3 and one line saying what to do otherwise)."""
    from service.instance.keys import KeysMismatch
    from service.instance.rules import open_instance

    try:
        return open_instance(settings)
    except KeysMismatch as error:
        raise CommandFailed(f"configuration: {error}", EXIT_CONFIGURATION) from None
