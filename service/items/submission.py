"""Store a new item exactly once per idempotency key: the one code path every kind of
submission (report, service request...) takes after its own validation and routing.

The spine imports neither routing nor privacy (they build on its models): the routing
decision comes in as a value, the consented contact as a writer from
``service.privacy.rules.contact_writer``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import Database
from service.errors import ValidationFailed
from service.invariants import required_row
from service.items import rules as items
from service.items.models import Item

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
    now: datetime,
    store_contact: StoreExtra | None = None,
    store_extra: StoreExtra | None = None,
) -> Submitted:
    """Insert the item, its history, its outbox entry, its consented contact (what
    ``store_contact`` writes) and whatever ``store_extra`` adds, in one write transaction; or
    return the earlier item of the same idempotency key (a retry), refusing it when the
    content differs.

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
            if store_contact is not None:
                await store_contact(session, item)
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
