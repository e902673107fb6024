"""Append to the outbox in the caller's transaction; let consumers read it in order."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from service.outbox.models import ConsumerPosition, OutboxEntry

# Changes only this service's own consumers (trends) hear about: never delivered to bodies'
# routes (a delivery failure sent to the route that failed would loop).
FEEDBACK = "item.feedback"
DELIVERY_STATE = "item.delivery_state"
INTERNAL_TOPICS = (FEEDBACK, DELIVERY_STATE)


def append(
    session: AsyncSession,
    topic: str,
    *,
    item_id: int | None,
    now: datetime,
    payload: dict[str, Any] | None = None,
) -> None:
    """Record a change for the consumers, in the same transaction as the change itself."""
    session.add(
        OutboxEntry(
            topic=topic,
            item_id=item_id,
            payload=json.dumps(payload or {}, separators=(",", ":")),
            created_at=now,
        )
    )


async def position_of(session: AsyncSession, consumer: str) -> int:
    row = await session.get(ConsumerPosition, consumer)
    return row.position if row else 0


async def advance(session: AsyncSession, consumer: str, position: int) -> None:
    row = await session.get(ConsumerPosition, consumer)
    if row is None:
        session.add(ConsumerPosition(name=consumer, position=position))
    else:
        row.position = max(row.position, position)
        session.add(row)
