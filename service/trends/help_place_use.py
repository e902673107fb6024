"""Open data on the need for help: items submitted through an agent, per help place and
channel, in a year (Angers time), k-anonymous.

Counts of 1 to 4 items are withheld (null, ``suppressed`` true; never shown as 0), with the
smallest other cells until the withheld ones together count at least ``K``: the year's total
of assisted items can be read from ``items-by-month`` (its ``assisted_share``), so no single
small cell may be recovered by subtraction.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from service.help_places import use
from service.i18n.translator import LOCAL_TIMEZONE, Translator
from service.reference import ReferenceData
from service.trends.anonymity import suppressed_cells
from service.trends.models import TrendsDaily
from service.trends.rollup import ASSISTED_CHANNELS

Rows = list[dict[str, object]]


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), LOCAL_TIMEZONE)


async def assisted_by_commune(session: AsyncSession, year: int) -> dict[tuple[str, str], int]:
    """Items submitted through an agent in the year, by commune and channel (the roll-ups:
    the same totals as ``items-by-month``'s ``assisted_share``)."""
    query = (
        select(
            col(TrendsDaily.commune_code), col(TrendsDaily.channel), func.sum(TrendsDaily.created)
        )
        .where(
            col(TrendsDaily.day) >= date(year, 1, 1),
            col(TrendsDaily.day) <= date(year, 12, 31),
            col(TrendsDaily.channel).in_(ASSISTED_CHANNELS),
        )
        .group_by(col(TrendsDaily.commune_code), col(TrendsDaily.channel))
    )
    rows = await session.exec(query)  # type: ignore[call-overload]
    return {(commune, channel): int(n or 0) for commune, channel, n in rows.all()}


async def items_by_help_place(
    session: AsyncSession, year: int, translator: Translator, reference: ReferenceData
) -> Rows:
    placed = await use.items_made_at_places(
        session, _start_of(date(year, 1, 1)), _start_of(date(year + 1, 1, 1)), ASSISTED_CHANNELS
    )
    # The items made at no place: the commune's assisted items less those made at a place
    # (read from the small side table, so a year costs no scan of the items).
    found: Counter[tuple[str, str, str]] = Counter()
    at_places: Counter[tuple[str, str]] = Counter()
    for (slug, commune, item_commune, channel), count in placed.items():
        found[(slug, commune, channel)] += count
        at_places[(item_commune, channel)] += count
    for (commune, channel), total in (await assisted_by_commune(session, year)).items():
        if (rest := total - at_places[(commune, channel)]) > 0:
            found[("", commune, channel)] += rest
    keys = sorted(found)
    hidden = suppressed_cells([found[k] for k in keys])
    communes = reference.communes
    return [
        {
            "year": year,
            "help_place": slug,
            "commune": commune,
            "commune_name": communes[commune].name if commune in communes else "",
            "channel": channel,
            "items": None if hide else found[(slug, commune, channel)],
            "suppressed": hide,
        }
        for (slug, commune, channel), hide in zip(keys, hidden, strict=True)
    ]
