"""Store a new item exactly once per idempotency key: the one code path every kind of
submission (report, service request...) takes after its own validation and routing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import Database
from service.errors import ValidationFailed
from service.invariants import required, required_row
from service.items import rules as items
from service.items.models import Item
from service.privacy import rules as privacy
from service.privacy.crypto import FieldCipher

# What a kind of item stores beside the spine, in the same transaction (its own table).
StoreExtra = Callable[[AsyncSession, Item], Awaitable[None]]


@dataclass(frozen=True)
class Submitted:
    item: Item
    replayed: bool  # True when an earlier submission with the same key was returned


async def store_once(
    db: Database,
    new: items.NewItem,
    *,
    contact: privacy.ContactRequest | None,
    now: datetime,
    cipher: FieldCipher | None = None,
    store_extra: StoreExtra | None = None,
) -> Submitted:
    """Insert the item, its history, its outbox entry, its consented contact (encrypted with
    ``cipher``) and whatever ``store_extra`` adds, in one write transaction; or return the
    earlier item of the same idempotency key (a retry), refusing it when the content differs.

    Concurrent retries cannot create two items: SQLite serialises writers (BEGIN IMMEDIATE),
    and on PostgreSQL the unique key makes the loser re-read.
    """
    try:
        async with db.writing() as session:
            item = await items.insert_item(session, new, now)
            if item is None:
                existing = await items.find_by_idempotency_key(
                    session, new.idempotency_scope, new.idempotency_key
                )
                # The key is taken, inside this very transaction.
                return _replay(
                    required_row(existing, "item", "idempotency key"), new.request_fingerprint
                )
            assert item.id is not None
            if contact is not None:
                # A contact is stored encrypted: the caller passes the cipher.
                sealing = required(cipher, "the cipher contacts are stored with")
                await privacy.store_contact(
                    session, item.id, contact, channel=new.channel, now=now, cipher=sealing
                )
            if store_extra is not None:
                await store_extra(session, item)
            return Submitted(item, replayed=False)
    except IntegrityError:
        async with db.reading() as session:
            existing = await items.find_by_idempotency_key(
                session, new.idempotency_scope, new.idempotency_key
            )
        if existing is None:
            raise
        return _replay(existing, new.request_fingerprint)


def _replay(existing: Item, fingerprint: str) -> Submitted:
    if existing.request_fingerprint != fingerprint:
        raise ValidationFailed([items.reused_key()])
    return Submitted(existing, replayed=True)
