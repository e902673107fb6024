"""Alembic environment: the service's metadata, on SQLite (batch mode) or PostgreSQL."""

from __future__ import annotations

from alembic import context

from service.db import create_sync_engine, metadata
from service.models import import_all_models
from service.settings import Settings

import_all_models()
config = context.config
# Indexes with a descending column: alembic's comparison reads them back without the order
# and would always report them changed. Their migration makes them; tests/test_db.py checks
# that they are there.
ORDERED_INDEXES = frozenset({"ix_item_body_support"})


def include_object(
    obj: object, name: str | None, kind: str, reflected: bool, other: object
) -> bool:
    return not (kind == "index" and name in ORDERED_INDEXES)


def run_migrations() -> None:
    # Set by service.migrate; when the alembic CLI runs, from the service's own settings.
    url = config.get_main_option("sqlalchemy.url") or Settings.from_environ().resolved_database_url
    engine = create_sync_engine(url)
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # Batch mode rebuilds a table (copy, drop, rename): with foreign keys on, the
                # drop fails once other tables point at its rows (deliveries at their route).
                # Off for the migration (SQLite ignores this pragma inside a transaction, so
                # on the driver's connection, before BEGIN), and checked before the commit.
                connection.connection.driver_connection.execute(  # type: ignore[union-attr]
                    "PRAGMA foreign_keys=OFF"
                )
            context.configure(
                connection=connection,
                target_metadata=metadata,
                # SQLite cannot ALTER most things: batch mode copies the table instead.
                render_as_batch=sqlite,
                compare_type=True,
                include_object=include_object,
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
    finally:  # a migration that raises must not leave pooled connections open
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations()
