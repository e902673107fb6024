"""Alembic environment: the service's metadata, on SQLite (batch mode) or PostgreSQL."""

from __future__ import annotations

from alembic import context

from service.db import create_sync_engine, metadata
from service.models import import_all_models
from service.settings import Settings

import_all_models()
config = context.config


def run_migrations() -> None:
    # Set by service.migrate; when the alembic CLI runs, from the service's own settings.
    url = config.get_main_option("sqlalchemy.url") or Settings.from_environ().resolved_database_url
    engine = create_sync_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                # SQLite cannot ALTER most things: batch mode copies the table instead.
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:  # a migration that raises must not leave pooled connections open
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations()
