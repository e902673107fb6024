"""« My items » on a device, without an account.

The app keeps the tracking token of each item it submitted; a resident who reinstalls it, or
follows from the web, has nothing. A device may therefore register its items (opt-in, one by
one, each proven by its tracking token) under two secrets it made itself: its ``deviceKey``
(the one it already sends with opinions and « me too ») and a ``proof`` it sends nowhere
else. The service keeps only a digest of the pair: a leaked device key alone lists nothing,
and nothing stored leads back to the device.

The digest is a plain SHA-256 of two random secrets (at least 128 bits together), not a
keyed hash: rotating the service's secret keys must not lose the residents' lists, and
guessing a random 128-bit value is out of reach whatever the hash. Listing is rate-limited
per origin and per device all the same (``MY_ITEMS_PER_MINUTE``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.errors import N_, DomainError
from service.items.models import Item
from service.tracking.errors import MyItemsErrorCode
from service.tracking.models import DeviceItem

# The device key: the rule of every device key (opinions, supports).
DEVICE_KEY = re.compile(r"^[A-Za-z0-9._:\-]{8,100}$")
# The proof: 22 to 100 URL-safe characters (22 base64 characters hold 128 bits).
PROOF = re.compile(r"^[A-Za-z0-9_\-]{22,100}$")
# A device lists at most this many items (the newest first); an app needs far fewer.
MAX_ITEMS_PER_DEVICE = 200
# Listing, keeping and forgetting, per minute: per origin (an address's pseudonym; many
# phones share one behind a carrier's NAT) and per device (an app lists on start and on
# refresh; a burst of ten is plenty).
MY_ITEMS_PER_MINUTE = 120
MY_ITEMS_PER_DEVICE_MINUTE = 10


def credential_errors(device_key: str, proof: str) -> list[DomainError]:
    errors = []
    if not DEVICE_KEY.match(device_key):
        errors.append(
            DomainError(
                MyItemsErrorCode.INVALID_DEVICE_KEY,
                N_("The device key must be 8 to 100 letters, digits or . _ : -"),
                field="deviceKey",
            )
        )
    if not PROOF.match(proof):
        errors.append(
            DomainError(
                MyItemsErrorCode.INVALID_PROOF,
                N_(
                    "The proof must be 22 to 100 letters, digits, - or _, made at random by "
                    "the device and kept with its key."
                ),
                field="proof",
            )
        )
    return errors


def device_hash(device_key: str, proof: str) -> str:
    """What is stored for a device: a digest of both secrets, never either of them."""
    return hashlib.sha256(f"my-items:{device_key}\n{proof}".encode()).hexdigest()


async def register(session: AsyncSession, digest: str, item: Item, now: datetime) -> bool:
    """Keep ``item`` under the device; False when it already was (registering is
    idempotent). Raises ``DomainError`` when the device holds the maximum already."""
    assert item.id is not None
    existing = await session.exec(
        select(DeviceItem.id).where(DeviceItem.device_hash == digest, DeviceItem.item_id == item.id)
    )
    if existing.first() is not None:
        return False
    held = await session.exec(
        select(func.count()).select_from(DeviceItem).where(DeviceItem.device_hash == digest)
    )
    if held.one() >= MAX_ITEMS_PER_DEVICE:
        raise DomainError(
            MyItemsErrorCode.TOO_MANY_ITEMS,
            N_("This device already keeps %(limit)s items: forget some first."),
            field="token",
            limit=MAX_ITEMS_PER_DEVICE,
        )
    session.add(DeviceItem(device_hash=digest, item_id=item.id, created_at=now))
    return True


async def forget(session: AsyncSession, digest: str, reference: str) -> bool:
    """Stop keeping an item under the device; False when it kept no such item."""
    item_ids = select(Item.id).where(Item.reference == reference.strip().upper())
    result = await session.exec(
        delete(DeviceItem).where(
            col(DeviceItem.device_hash) == digest, col(DeviceItem.item_id).in_(item_ids)
        )
    )
    return bool(result.rowcount)


@dataclass(frozen=True)
class KeptItem:
    """What a device's list shows of an item: no text, no place, nothing personal."""

    reference: str
    kind: str
    status: str
    created_at: datetime
    updated_at: datetime


async def items_of(session: AsyncSession, digest: str) -> list[KeptItem]:
    """The device's items, the most recently changed first (one statement, five columns: a
    whole item row costs ten times more to read, measured)."""
    statement = (
        sa_select(
            col(Item.reference),
            col(Item.kind),
            col(Item.status),
            col(Item.created_at),
            col(Item.updated_at),
        )
        .join(DeviceItem, col(DeviceItem.item_id) == col(Item.id))
        .where(col(DeviceItem.device_hash) == digest)
        .order_by(col(Item.updated_at).desc(), col(Item.id).desc())
        .limit(MAX_ITEMS_PER_DEVICE)
    )
    rows = (await session.exec(statement)).all()  # type: ignore[call-overload]
    return [KeptItem(*row) for row in rows]


async def forget_items(session: AsyncSession, item_ids: list[int]) -> None:
    """Every device forgets these items (their resident's data is erased or expired)."""
    await session.exec(delete(DeviceItem).where(col(DeviceItem.item_id).in_(item_ids)))
