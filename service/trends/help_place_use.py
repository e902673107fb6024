"""Open data on the need for help: items submitted through an agent, per help place and
channel, in a year (Angers time), k-anonymous.

Counts of 1 to 4 items are withheld (null, ``suppressed`` true; never shown as 0), with the
smallest other cells until the withheld ones together count at least ``K``: the year's total
of assisted items can be read from ``items-by-month`` (its ``assisted_share``), so no single
small cell may be recovered by subtraction.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlmodel.ext.asyncio.session import AsyncSession

from service.help_places import use
from service.i18n.translator import LOCAL_TIMEZONE, Translator
from service.reference import ReferenceData
from service.trends.anonymity import suppressed_cells
from service.trends.rollup import ASSISTED_CHANNELS

Rows = list[dict[str, object]]


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), LOCAL_TIMEZONE)


async def items_by_help_place(
    session: AsyncSession, year: int, translator: Translator, reference: ReferenceData
) -> Rows:
    found = await use.items_by_place_and_channel(
        session, _start_of(date(year, 1, 1)), _start_of(date(year + 1, 1, 1)), ASSISTED_CHANNELS
    )
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
