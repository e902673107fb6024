"""Public queries of reports: one, a filtered page, the ones nearby."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.items import rules as items
from service.items.models import ItemKind
from service.items.types import PageInfo
from service.pagination import decode_cursor, encode_cursor, page_size
from service.reports import rules
from service.reports.errors import ReportErrorCode
from service.reports.types import (
    NearbyReport,
    NearbyReportsResult,
    ReportConnection,
    ReportEdge,
    ReportError,
    ReportFilterInput,
    ReportType,
)
from service.schema_support import After, PageSize, payload_errors
from service.territory.rules import coordinate_errors

CURSOR_KIND = "report"


def to_filter(value: ReportFilterInput | None) -> rules.ReportFilter:
    if value is None:
        return rules.ReportFilter()
    box = value.bbox
    return rules.ReportFilter(
        commune_code=str(value.commune) if value.commune else None,
        category_code=str(value.category) if value.category else None,
        statuses=frozenset(value.status) if value.status else None,
        since=value.since,
        bbox=rules.BoundingBox(box.south, box.west, box.north, box.east) if box else None,
    )


@strawberry.type
class ReportQuery:
    @strawberry.field(
        description="One report by its public reference; null if there is none.",
        metadata=field_access.public(cacheable=True),
    )
    async def report(
        self,
        info: Info[Context, None],
        reference: Annotated[str, strawberry.argument(description="E.g. ALM-2026-004217.")],
    ) -> ReportType | None:
        async with info.context.db.reading() as session:
            row = await items.get_by_reference(session, reference.strip().upper())
        if row is None or row.kind != ItemKind.REPORT.value:
            return None
        return ReportType.from_row(row, info)

    @strawberry.field(
        description="Reports, newest first, filtered, a page at a time.",
        metadata=field_access.public(cacheable=True),
    )
    async def reports(
        self,
        info: Info[Context, None],
        filter: Annotated[  # the argument's public name
            ReportFilterInput | None, strawberry.argument(description="What to keep.")
        ] = None,
        first: PageSize = 20,
        after: After = None,
    ) -> ReportConnection:
        size = page_size(first, info.context.settings.max_page_size)
        after_id = decode_cursor(after, CURSOR_KIND)
        report_filter = to_filter(filter)
        async with info.context.db.reading() as session:
            rows, has_next = await rules.list_reports(
                session, report_filter, first=size, after_id=after_id
            )
            total = await rules.count_reports(session, report_filter)
        edges = [
            ReportEdge(
                cursor=encode_cursor(CURSOR_KIND, row.id or 0), node=ReportType.from_row(row, info)
            )
            for row in rows
        ]
        return ReportConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=has_next, end_cursor=edges[-1].cursor if edges else None
            ),
            total_count=total,
        )

    @strawberry.field(
        description="Reports near a point, so the app can say « already reported: support it "
        "instead ».",
        metadata=field_access.public(cacheable=True),
    )
    async def nearby_reports(
        self,
        info: Info[Context, None],
        latitude: Annotated[float, strawberry.argument(description="Latitude (WGS 84).")],
        longitude: Annotated[float, strawberry.argument(description="Longitude (WGS 84).")],
        radius_meters: Annotated[
            int, strawberry.argument(description="How far to look, 1 to 2,000 metres.")
        ] = 250,
        category_code: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only this category (the one being reported)."),
        ] = None,
    ) -> NearbyReportsResult:
        errors = coordinate_errors(latitude, longitude) + rules.radius_errors(radius_meters)
        if errors:
            return NearbyReportsResult(
                reports=[],
                errors=payload_errors(
                    errors, info.context.translator, ReportError, ReportErrorCode
                ),
            )
        async with info.context.db.reading() as session:
            found = await rules.nearby_reports(
                session,
                latitude,
                longitude,
                radius_meters,
                str(category_code) if category_code else None,
            )
        return NearbyReportsResult(
            reports=[
                NearbyReport(report=ReportType.from_row(item, info), distance_meters=round(d))
                for item, d in found
            ],
            errors=[],
        )
