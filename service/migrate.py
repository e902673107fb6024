"""Schema migrations with Alembic, driven from code (no alembic.ini needed to run them)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import create_sync_engine, sync_url
from service.privacy.crypto import FieldCipher

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # '%' must be doubled for configparser; URLs may carry percent-encoded passwords.
    config.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, cipher: FieldCipher | None = None, revision: str = "head") -> None:
    """Bring the database to the newest revision (creating it if it is empty).

    ``cipher`` lets data migrations encrypt personal fields (0011 encrypts plaintext contacts,
    0015 webhook signing secrets).
    """
    config = alembic_config(database_url)
    config.attributes["contact_cipher"] = cipher
    command.upgrade(config, revision)


def downgrade(database_url: str, revision: str, cipher: FieldCipher | None = None) -> None:
    config = alembic_config(database_url)
    config.attributes["contact_cipher"] = cipher
    command.downgrade(config, revision)


def check(database_url: str) -> None:
    """Raise if the models hold changes that no migration describes (``alembic check``)."""
    command.check(alembic_config(database_url))


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def current_revision(database_url: str) -> str | None:
    engine = create_sync_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


async def current_revision_async(session: AsyncSession) -> str | None:
    return await session.run_sync(
        lambda sync: MigrationContext.configure(sync.connection()).get_current_revision()
    )
