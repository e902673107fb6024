"""Public queries of sensor transparency: the taxonomy, the register, opinions, questions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.items import rules as items
from service.items.models import ItemKind
from service.items.types import PageInfo
from service.pagination import decode_cursor, encode_cursor, page_size
from service.schema_support import After, PageSize, payload_errors
from service.sensors import opinions, rules
from service.sensors.errors import SensorErrorCode
from service.sensors.models import Sensor
from service.sensors.signs import translation_note
from service.sensors.types import (
    DtprCategoryType,
    DtprTaxonomy,
    OpinionSummaryType,
    PlaceOpinions,
    SensorConnection,
    SensorEdge,
    SensorError,
    SensorFilterInput,
    SensorQuestionType,
    SensorType,
)


def to_filter(value: SensorFilterInput | None) -> rules.SensorFilter:
    if value is None:
        return rules.SensorFilter()
    near = value.near
    return rules.SensorFilter(
        commune_code=str(value.commune) if value.commune else None,
        purpose=str(value.purpose) if value.purpose else None,
        tech=str(value.tech) if value.tech else None,
        statuses=frozenset(value.status) if value.status else rules.SensorFilter().statuses,
        near=rules.Near(near.latitude, near.longitude, near.radius_meters) if near else None,
        place_name=value.place_name.strip() if value.place_name else None,
    )


async def sensor_views(info: Info[Context, None], sensors: list[Sensor]) -> list[SensorType]:
    """Views of several sensors with their DTPR signs, in two statements whatever their number."""
    async with info.context.db.reading() as session:
        taxonomy = await rules.load_taxonomy(session, info.context.translator.locale)
        elements = await rules.elements_of(session, [s.id for s in sensors if s.id is not None])
    return [SensorType.from_row(s, elements[s.id or 0], taxonomy, info) for s in sensors]


@strawberry.type
class SensorQuery:
    @strawberry.field(
        description="The DTPR device taxonomy (8 categories, 124 elements) in the caller's "
        "language: French and English from DTPR (OFFICIAL), Spanish, German and Arabic "
        "translated by ALM (ADAPTED); a language without a text falls back to French.",
        metadata=field_access.public(),
    )
    async def dtpr_taxonomy(self, info: Info[Context, None]) -> DtprTaxonomy:
        translator = info.context.translator
        async with info.context.db.reading() as session:
            taxonomy = await rules.load_taxonomy(session, translator.locale)
        categories = [
            DtprCategoryType.from_row(c, taxonomy, translator.locale) for c in taxonomy.categories
        ]
        sources = [c.translation for c in categories]
        sources += [e.translation for c in categories for e in c.elements]
        return DtprTaxonomy(
            categories=categories,
            translation_note=translation_note(rules.least_official_of(sources), translator),
            attribution=rules.DTPR_ATTRIBUTION,
            license=rules.DTPR_LICENSE,
            license_url=rules.DTPR_LICENSE_URL,
            source_url=rules.DTPR_SOURCE_URL,
        )

    @strawberry.field(
        description="One sensor by the slug on its sign; null if there is none.",
        metadata=field_access.public(),
    )
    async def sensor(
        self,
        info: Info[Context, None],
        slug: Annotated[str, strawberry.argument(description="E.g. fraternite-parking-01.")],
    ) -> SensorType | None:
        async with info.context.db.reading() as session:
            row = await rules.get_sensor(session, slug)
        if row is None:
            return None
        return (await sensor_views(info, [row]))[0]

    @strawberry.field(
        description="The public sensor register, filtered, a page at a time.",
        metadata=field_access.public(),
    )
    async def sensors(
        self,
        info: Info[Context, None],
        filter: Annotated[  # the argument's public name
            SensorFilterInput | None, strawberry.argument(description="What to keep.")
        ] = None,
        first: PageSize = 20,
        after: After = None,
    ) -> SensorConnection:
        sensor_filter = to_filter(filter)
        if sensor_filter.near is not None and (errors := rules.near_errors(sensor_filter.near)):
            return SensorConnection(
                edges=[],
                page_info=PageInfo(has_next_page=False, end_cursor=None),
                total_count=0,
                errors=payload_errors(
                    errors, info.context.translator, SensorError, SensorErrorCode
                ),
            )
        # Nearest first pages by position, else by id: each order has its own cursors.
        kind = "sensor-near" if sensor_filter.near else "sensor-id"
        size = page_size(first, info.context.settings.max_page_size)
        start = decode_cursor(after, kind)
        async with info.context.db.reading() as session:
            page = await rules.list_sensors(session, sensor_filter, first=size, after=start)
        views = await sensor_views(info, [s for s, _ in page.rows])
        edges: list[SensorEdge] = []
        for index, (view, (row, distance)) in enumerate(zip(views, page.rows, strict=True)):
            position = (row.id or 0) if distance is None else (start or 0) + index + 1
            edges.append(
                SensorEdge(
                    cursor=encode_cursor(kind, position),
                    node=view,
                    distance_meters=round(distance) if distance is not None else None,
                )
            )
        return SensorConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None
            ),
            total_count=page.total,
            errors=[],
        )

    @strawberry.field(
        description="What residents think of the sensors of one place (e.g. place de la "
        "Fraternité), over a period; counts under 5 withheld. Null for an unknown place.",
        metadata=field_access.public(),
    )
    async def sensor_place_opinions(
        self,
        info: Info[Context, None],
        place_name: Annotated[str, strawberry.argument(description="The place, as registered.")],
        since: Annotated[datetime | None, strawberry.argument(description="From.")] = None,
        until: Annotated[datetime | None, strawberry.argument(description="Until.")] = None,
    ) -> PlaceOpinions | None:
        async with info.context.db.reading() as session:
            sensor_ids = await opinions.sensor_ids_at(session, place_name.strip())
            if not sensor_ids:
                return None
            summary = await opinions.summarise(session, sensor_ids, since=since, until=until)
        return PlaceOpinions(
            place_name=place_name.strip(),
            sensor_count=len(sensor_ids),
            opinions=OpinionSummaryType.of(summary),
        )

    @strawberry.field(
        description="A question about a sensor by its reference, with answers.",
        metadata=field_access.public(),
    )
    async def sensor_question(
        self,
        info: Info[Context, None],
        reference: Annotated[str, strawberry.argument(description="E.g. ALM-2026-004217.")],
    ) -> SensorQuestionType | None:
        async with info.context.db.reading() as session:
            row = await items.get_by_reference(session, reference.strip().upper())
        if row is None or row.kind != ItemKind.SENSOR_QUESTION.value:
            return None
        return SensorQuestionType.from_row(row, info)
