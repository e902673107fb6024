"""Sensors of the public register in the index: one document per sensor, source "sensor".

What the public may find: the sensor's name (French, as its body wrote it) and its DTPR
purpose and technology labels in every language there is (titles); its commune and place;
its description and anonymisation (the register's public texts); the accountable body's
public reply (an answer). Residents' opinion comments are anonymous but never published
(``SensorOpinionCreateInput.comment``: "read by the accountable body"): they are staff
texts, found only by the staff of the accountable body. The register announces every change
(entry, reply, opinion, purge of comments) through the outbox (``service.sensors.changes``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.items.rules import as_utc
from service.search.documents import BuildContext, SearchDocument, register_source
from service.sensors import rules as sensors
from service.sensors.changes import SEARCH_SOURCE
from service.sensors.models import DtprElement, DtprTranslation, Sensor, SensorOpinion

SENSOR_KIND = "sensor"
# The DTPR categories that name what a sensor is: searched as titles.
TITLE_CATEGORIES = ("purpose", "tech")
# The newest comments of a sensor that are searchable (a sign read by hundreds of residents
# would otherwise make one huge document); older ones are kept until purged, unsearched.
MAX_COMMENTS = 500
# The register is written in French by ALM's bodies.
REGISTER_LANGUAGE = "fr"


async def _labels(session: AsyncSession, sensor_ids: list[int]) -> dict[int, dict[str, list[str]]]:
    """The purpose and technology labels of each sensor's sign, by language."""
    chosen = await sensors.elements_of(session, sensor_ids)
    wanted = {
        (e.category_id, e.element_id)
        for rows in chosen.values()
        for e in rows
        if e.category_id in TITLE_CATEGORIES
    }
    names: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    if wanted:
        statement = select(DtprElement).where(col(DtprElement.category_id).in_(TITLE_CATEGORIES))
        for element in (await session.exec(statement)).all():
            key = (element.category_id, element.id)
            if key in wanted:
                names[key].update(
                    {k: v for k, v in (("fr", element.name_fr), ("en", element.name_en)) if v}
                )
        translated = select(
            DtprTranslation.category_id,
            DtprTranslation.element_id,
            DtprTranslation.language,
            DtprTranslation.name,
        ).where(col(DtprTranslation.category_id).in_(TITLE_CATEGORIES))
        for category_id, element_id, language, name in (await session.exec(translated)).all():
            if (category_id, element_id) in wanted:
                names[(category_id, element_id)][language] = name
    found: dict[int, dict[str, list[str]]] = {}
    for sensor_id, rows in chosen.items():
        by_language: dict[str, list[str]] = defaultdict(list)
        for row in rows:
            for language, name in names.get((row.category_id, row.element_id), {}).items():
                by_language[language].append(name)
        found[sensor_id] = by_language
    return found


async def _comments(session: AsyncSession, sensor_ids: list[int]) -> dict[int, list[str]]:
    """The opinion comments of each sensor (stored masked), newest first."""
    found: dict[int, list[str]] = {i: [] for i in sensor_ids}
    statement = (
        select(SensorOpinion.sensor_id, SensorOpinion.comment)
        .where(
            col(SensorOpinion.sensor_id).in_(sensor_ids),
            col(SensorOpinion.comment).is_not(None),
        )
        .order_by(col(SensorOpinion.updated_at).desc(), col(SensorOpinion.id).desc())
    )
    for sensor_id, comment in (await session.exec(statement)).all():
        if comment and len(found[sensor_id]) < MAX_COMMENTS:
            found[sensor_id].append(comment)
    return found


@dataclass(frozen=True)
class SensorSourceBuilder:
    """Builds the documents of sensors from their ids; lists them for a rebuild."""

    async def build_ids(
        self, session: AsyncSession, ids: Sequence[int], context: BuildContext
    ) -> list[SearchDocument]:
        if not ids:
            return []
        rows = (await session.exec(select(Sensor).where(col(Sensor.id).in_(list(ids))))).all()
        found = [row.id for row in rows if row.id is not None]
        labels = await _labels(session, found)
        comments = await _comments(session, found)
        documents = []
        for row in rows:
            assert row.id is not None
            titles = {
                language: " ".join(names) for language, names in labels.get(row.id, {}).items()
            }
            titles[REGISTER_LANGUAGE] = " ".join(
                t for t in (row.name, titles.get(REGISTER_LANGUAGE, "")) if t
            )
            commune = context.reference.communes.get(row.commune_code)
            public_texts = [t for t in (row.description, row.anonymisation or "") if t]
            documents.append(
                SearchDocument(
                    source=SEARCH_SOURCE,
                    entity_id=row.id,
                    kind=SENSOR_KIND,
                    reference=row.slug,
                    language=REGISTER_LANGUAGE,
                    body_code=row.accountable_body_code,
                    commune_code=row.commune_code,
                    category_code="",
                    status=row.status,
                    created_at=as_utc(row.created_at),
                    public=True,  # the register is public, removed sensors included
                    titles=titles,
                    place=" ".join(
                        p for p in (commune.name if commune else "", row.place_name) if p
                    ),
                    public_text="\n".join(public_texts),
                    public_answers=[row.public_reply] if row.public_reply else [],
                    staff_texts=comments.get(row.id, []),
                    staff_read_public_text=True,
                )
            )
        return documents

    async def ids_after(self, session: AsyncSession, after: int, limit: int) -> list[int]:
        statement = (
            select(Sensor.id).where(col(Sensor.id) > after).order_by(col(Sensor.id)).limit(limit)
        )
        return [i for i in (await session.exec(statement)).all() if i is not None]


register_source(SEARCH_SOURCE, SensorSourceBuilder())
