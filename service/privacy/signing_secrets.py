"""Webhook signing secrets encrypted at rest, like contacts (service.privacy.crypto).

A signing secret is an HMAC key the service must use again at every delivery, so it cannot be
hashed: it is encrypted with the contacts' cipher, the column bound as associated data, and
the id of the key that encrypted it is stored next to it. A database dump alone then does not
let anyone forge deliveries to a commune or an integrator. A row without a key id holds its
secret in plaintext (written before revision 0015, or by hand): it is read as it is until
``migrate`` or ``rekey`` encrypts it.

Synchronous SQL on a connection for the bulk work, so the same code runs inside the alembic
migration and from ``python -m service rekey``; it names its own tables rather than the
models, so that later changes to the models do not change what revision 0015 does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from service.privacy.crypto import FieldCipher, UndecryptableValue

ROUTE_SECRET_COLUMN = "route.signing_secret"
WEBHOOK_SECRET_COLUMN = "webhook.signing_secret"
# The tables holding a signing secret, with the column bound as associated data.
SECRET_TABLES = {"route": ROUTE_SECRET_COLUMN, "webhook": WEBHOOK_SECRET_COLUMN}
KEY_ID = "signing_secret_key_id"
BATCH = 500


@dataclass(frozen=True)
class SealedSecret:
    """What is stored: the ciphertext and the id of the key that made it."""

    value: str
    key_id: str


def seal_secret(secret: str, column: str, cipher: FieldCipher) -> SealedSecret:
    """A secret encrypted with the newest key, bound to ``column`` ("table.column")."""
    value = cipher.encrypt(secret, column)
    assert value is not None  # narrowing: encrypt returns None for None only
    return SealedSecret(value, cipher.current_key_id)


def open_secret(
    stored: str | None, key_id: str | None, column: str, cipher: FieldCipher | None
) -> str | None:
    """The secret in clear; a row without a key id (plaintext) is read as it is."""
    if stored is None or key_id is None:
        return stored
    if cipher is None:
        raise UndecryptableValue(f"an encrypted {column} needs the cipher")
    return cipher.decrypt(stored, column)


def _table(name: str) -> sa.TableClause:
    return sa.table(
        name,
        sa.column("id", sa.Integer),
        sa.column("signing_secret", sa.Text),
        sa.column(KEY_ID, sa.String),
    )


def _stale(table: sa.TableClause, cipher: FieldCipher) -> sa.ColumnElement[bool]:
    key = table.c[KEY_ID]
    return sa.and_(
        table.c.signing_secret.is_not(None), sa.or_(key.is_(None), key != cipher.current_key_id)
    )


def secrets_to_reseal(connection: Connection, cipher: FieldCipher) -> int:
    """How many signing secrets are in plaintext or under an older key."""
    total = 0
    for name in SECRET_TABLES:
        table = _table(name)
        statement = sa.select(sa.func.count()).select_from(table).where(_stale(table, cipher))
        total += connection.scalar(statement) or 0
    return total


def reseal_secrets(
    connection: Connection,
    cipher: FieldCipher,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Encrypt every stale signing secret with the newest key; returns how many.

    A secret whose key is no longer configured raises UndecryptableValue: nothing is lost, the
    operator puts the old key back in the list and runs it again."""
    done = 0
    for name, column in SECRET_TABLES.items():
        table = _table(name)
        for rows in _batches(connection, table, _stale(table, cipher)):
            for row in rows:
                secret = open_secret(row.signing_secret, row.key_id, column, cipher)
                assert secret is not None  # narrowing: the column is NOT NULL
                sealed = seal_secret(secret, column, cipher)
                connection.execute(
                    sa.update(table)
                    .where(table.c.id == row.id)
                    .values({"signing_secret": sealed.value, KEY_ID: sealed.key_id})
                )
            done += len(rows)
            if progress is not None:
                progress(len(rows))
    return done


def unseal_secrets(connection: Connection, cipher: FieldCipher | None) -> int:
    """Back to plaintext (a downgrade below 0015); refuses without the cipher rather than
    leave ciphertext that older code would use as the HMAC key. Returns how many."""
    done = 0
    for name, column in SECRET_TABLES.items():
        table = _table(name)
        for rows in _batches(connection, table, table.c[KEY_ID].is_not(None)):
            if cipher is None:
                raise RuntimeError(
                    "encrypted webhook signing secrets: downgrade with the cipher "
                    "(python -m service, with SERVICE_ENCRYPTION_KEYS or SERVICE_SECRET_KEYS)"
                )
            for row in rows:
                secret = open_secret(row.signing_secret, row.key_id, column, cipher)
                connection.execute(
                    sa.update(table)
                    .where(table.c.id == row.id)
                    .values({"signing_secret": secret, KEY_ID: None})
                )
            done += len(rows)
    return done


def _batches(
    connection: Connection, table: sa.TableClause, where: sa.ColumnElement[bool]
) -> Iterator[list[Any]]:
    """Rows in id order, a batch at a time (each batch is updated before the next is read,
    so the filter is evaluated again: ``last_id`` keeps it moving forward)."""
    last_id = 0
    while True:
        rows = list(
            connection.execute(
                sa.select(table.c.id, table.c.signing_secret, table.c[KEY_ID].label("key_id"))
                .where(where, table.c.id > last_id)
                .order_by(table.c.id)
                .limit(BATCH)
            ).all()
        )
        if not rows:
            return
        yield rows
        last_id = rows[-1].id
