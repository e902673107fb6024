"""The item-level open dataset: one row per public report and public service request of a
year — reference, kind, category or service, commune, status, dates — and never a text, a
contact or a precise place.

Places are published as grid cells, coarse enough for k-anonymity: items are first put in
cells of ``FINE`` degrees; a cell holding 1 to 4 items gives them to the cell twice as large
around it (merging it with its neighbours), and so on up to ``LEVELS`` sizes; items still in
a cell of fewer than ``K`` at the coarsest size are published without a place. So every cell
published holds at least ``K`` items of the dataset. Items are read as they are now: an erased
or redacted item keeps its anonymous row (there is no text in it to erase)."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import and_, or_, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import table_of
from service.i18n.translator import LOCAL_TIMEZONE
from service.items.models import Item, ItemKind
from service.reference import ReferenceData
from service.service_requests.models import ServiceRequestDetail
from service.trends.anonymity import K

FINE = 0.005  # degrees: about 550 m north-south, 380 m east-west in Angers
LEVELS = 5  # 0.005, 0.01, 0.02, 0.04, 0.08 degrees

Cell = tuple[int, int, int]  # level, row, column


def _cell(latitude: float, longitude: float, level: int) -> Cell:
    size = FINE * 2**level
    return level, math.floor(latitude / size), math.floor(longitude / size)


def _parent(cell: Cell) -> Cell:
    level, row, column = cell
    return level + 1, row // 2, column // 2


def publishable_cells(points: dict[int, tuple[float, float]]) -> dict[int, Cell | None]:
    """The cell each item is published in (None: no place), every cell holding ≥ K items."""
    placed: dict[int, Cell] = {key: _cell(*point, 0) for key, point in points.items()}
    found: dict[int, Cell | None] = {}
    for _ in range(LEVELS):
        members: dict[Cell, list[int]] = defaultdict(list)
        for key, cell in placed.items():
            members[cell].append(key)
        placed = {}
        for cell, keys in members.items():
            if len(keys) >= K:
                found.update(dict.fromkeys(keys, cell))
            elif cell[0] + 1 < LEVELS:
                placed.update(dict.fromkeys(keys, _parent(cell)))
            else:
                found.update(dict.fromkeys(keys, None))
    return found


def cell_centre(cell: Cell) -> tuple[float, float, float]:
    """(latitude, longitude, size in degrees) of a cell's centre."""
    level, row, column = cell
    size = FINE * 2**level
    return round((row + 0.5) * size, 6), round((column + 0.5) * size, 6), size


def _day(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(LOCAL_TIMEZONE).date().isoformat()


async def item_rows(
    session: AsyncSession, year: int, reference: ReferenceData
) -> list[dict[str, Any]]:
    """The rows of ``year`` (Angers days of submission), oldest first."""
    start = datetime.combine(date(year, 1, 1), time(), LOCAL_TIMEZONE)
    end = datetime.combine(date(year + 1, 1, 1), time(), LOCAL_TIMEZONE)
    detail = table_of(ServiceRequestDetail)
    item = table_of(Item)
    public_services = [code for code, s in reference.services.services.items() if s.public]
    statement = (
        select(
            item.c.id,
            item.c.reference,
            item.c.kind,
            item.c.category_code,
            detail.c.service_code,
            item.c.commune_code,
            item.c.status,
            item.c.latitude,
            item.c.longitude,
            item.c.created_at,
            item.c.acknowledged_at,
            item.c.resolved_at,
        )
        .select_from(item.outerjoin(detail, detail.c.item_id == item.c.id))
        .where(
            col(item.c.created_at) >= start.astimezone(UTC),
            col(item.c.created_at) < end.astimezone(UTC),
            or_(
                item.c.kind == ItemKind.REPORT.value,
                and_(
                    item.c.kind == ItemKind.SERVICE_REQUEST.value,
                    detail.c.service_code.in_(public_services),
                    detail.c.at_home.is_(False),
                ),
            ),
        )
        .order_by(item.c.created_at, item.c.id)
    )
    rows = (await session.exec(statement)).all()  # type: ignore[call-overload]
    points = {
        row.id: (row.latitude, row.longitude)
        for row in rows
        if row.latitude is not None and row.longitude is not None
    }
    cells = publishable_cells(points)
    found = []
    for row in rows:
        cell = cells.get(row.id)
        latitude, longitude, size = cell_centre(cell) if cell is not None else (None, None, None)
        found.append(
            {
                "reference": row.reference,
                "kind": row.kind,
                "category": row.service_code or row.category_code or "",
                "commune": row.commune_code,
                "status": row.status,
                "submitted_on": _day(row.created_at),
                "acknowledged_on": _day(row.acknowledged_at),
                "resolved_on": _day(row.resolved_at),
                "cell_latitude": latitude,
                "cell_longitude": longitude,
                "cell_size_degrees": size,
            }
        )
    return found
