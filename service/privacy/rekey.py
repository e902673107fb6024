"""Bring every stored contact under the newest key: encrypt rows written before encryption
(plaintext, no key id) and re-encrypt rows of older keys after a rotation.

Synchronous SQL on a connection, so the same code runs inside the alembic migration that
introduced encryption and from ``python -m service rekey``.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, or_, select, update

from service.db import table_of
from service.privacy.crypto import FieldCipher
from service.privacy.models import Contact
from service.privacy.rules import open_contact, sealed_values

BATCH = 500


def contacts_to_reseal(connection: Connection, cipher: FieldCipher) -> int:
    """How many contacts are in plaintext or under an older key."""
    table = table_of(Contact)
    stale = or_(table.c.key_id.is_(None), table.c.key_id != cipher.current_key_id)
    return len(connection.execute(select(table.c.id).where(stale)).all())


def reseal_contacts(
    connection: Connection,
    cipher: FieldCipher,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Re-encrypt stale contacts with the newest key, in batches; returns how many.

    A row whose key is no longer configured raises UndecryptableValue: nothing is lost, the
    operator puts the old key back in the list and runs it again.
    """
    table = table_of(Contact)
    stale = or_(table.c.key_id.is_(None), table.c.key_id != cipher.current_key_id)
    done = 0
    last_id = 0
    while True:
        rows = connection.execute(
            select(
                table.c.id,
                table.c.item_id,
                table.c.name,
                table.c.email,
                table.c.phone,
                table.c.key_id,
            )
            .where(stale, table.c.id > last_id)
            .order_by(table.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return done
        for row in rows:
            values = sealed_values(open_contact(row, cipher), cipher)
            connection.execute(update(table).where(table.c.id == row.id).values(**values))
            last_id = row.id
        done += len(rows)
        if progress is not None:
            progress(len(rows))
