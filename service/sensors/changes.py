"""How the register tells others that a sensor changed: an outbox entry in the writing
transaction, naming the sensor by id (never one of its texts), so the search index rebuilds
its document from the database. Sensors are not items: the entries carry no ``item_id``, so
no delivery to a body and no change-feed entry is planned for them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from service.outbox import rules as outbox

# The name the search index knows sensors' documents by (service/search/sensor_source.py).
SEARCH_SOURCE = "sensor"
SENSOR_CHANGED = "sensor.changed"


def announce(session: AsyncSession, sensor_ids: Iterable[int | None], now: datetime) -> None:
    """One outbox entry per sensor whose entry, reply or opinion comments changed."""
    for sensor_id in sorted({i for i in sensor_ids if i is not None}):
        outbox.append(
            session,
            SENSOR_CHANGED,
            item_id=None,
            now=now,
            payload={"search": {"source": SEARCH_SOURCE, "id": sensor_id}},
        )
