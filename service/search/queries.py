"""The ``search`` query: public items for everyone, the bodies' items with staff texts for
their staff."""

from __future__ import annotations

import asyncio
from typing import Annotated

import strawberry
from sqlmodel import col, select
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.errors import N_
from service.items.lifecycle import Status
from service.items.models import ItemKind
from service.items.types import PageInfo, status_label
from service.pagination import decode_cursor, encode_cursor, page_size
from service.schema_support import After, PageSize, payload_errors
from service.search import rules
from service.search.engine import Hit, SearchFilter, SearchRequest
from service.search.errors import SearchErrorCode
from service.search.sensor_source import SENSOR_KIND
from service.search.types import (
    FacetCount,
    SearchError,
    SearchFacets,
    SearchFilterInput,
    SearchHit,
    SearchMatch,
    SearchResult,
    SensorSearchHit,
)
from service.selections import selected_names
from service.sensors.models import Sensor, SensorStatus
from service.sensors.queries import sensor_views
from service.sensors.signs import STATUS_LABELS as SENSOR_STATUS_LABELS
from service.sensors.types import SensorType
from service.staff.permissions import ITEM_ROLES, covered_bodies

CURSOR_KIND = "search"  # a search cursor holds the offset of the next hit

KIND_LABELS = {
    ItemKind.REPORT.value: N_("Report"),
    ItemKind.SERVICE_REQUEST.value: N_("Service request"),
    ItemKind.SENSOR_QUESTION.value: N_("Question about a sensor"),
    SENSOR_KIND: N_("Sensor"),
}
# Matches no kind: what is left when `kinds` and `hitKinds` name none in common.
NO_KIND = "-"


def _kinds(value: SearchFilterInput) -> frozenset[str]:
    """The kinds a filter asks for (empty: any kind not excluded)."""
    items = frozenset(k.value for k in value.kinds or [])
    hits = frozenset(k.value for k in value.hit_kinds or [])
    if items and hits:
        return (items & hits) or frozenset([NO_KIND])
    return items or hits


def _filter(value: SearchFilterInput | None) -> SearchFilter:
    # Sensors only when asked for by name: the hits of searches written before sensors were
    # indexed stay items, whose fields (reference, kind, status) a sensor could not fill.
    excluded = frozenset([SENSOR_KIND])
    if value is None:
        return SearchFilter(excluded_kinds=excluded)
    return SearchFilter(
        kinds=_kinds(value),
        excluded_kinds=excluded,
        communes=frozenset([str(value.commune)]) if value.commune else frozenset(),
        categories=frozenset([str(value.category)]) if value.category else frozenset(),
        statuses=frozenset(s.value for s in value.status or []),
        since=value.since,
    )


def _staff_bodies(context: Context) -> frozenset[str] | None:
    """Staff who work items search their bodies' items with staff texts; everyone else
    (anonymous callers, integrators, council members) the public items."""
    identity = context.caller.staff
    if identity is None or identity.role not in ITEM_ROLES or "items:read" not in identity.scopes:
        return None
    return covered_bodies(identity, context.reference)


def _wants_facets(info: Info[Context, None]) -> bool:
    """Facets cost a pass over every hit: computed only when selected, directly or through
    fragments. (Not with strawberry's ``info.selected_fields``, which expands every fragment
    spread where it stands: exponential in a document of fragments spreading each other.)"""
    raw = info._raw_info
    selections = [node.selection_set for node in raw.field_nodes if node.selection_set]
    return "facets" in selected_names(selections, raw.fragments)


def _facets(raw: dict[str, dict[str, int]], context: Context) -> SearchFacets:
    reference, translator = context.reference, context.translator

    def counts(name: str, label: object) -> list[FacetCount]:
        found = [
            FacetCount(value=value, label=label(value), count=count)  # type: ignore[operator]
            for value, count in raw.get(name, {}).items()
        ]
        return sorted(found, key=lambda f: (-f.count, f.label))

    def commune(code: str) -> str:
        row = reference.communes.get(code)
        return row.name if row else code

    def category(code: str) -> str:
        row = reference.categories.get(code)
        return translator.gettext(row.label) if row else code

    def kind(value: str) -> str:
        return translator.gettext(KIND_LABELS[value]) if value in KIND_LABELS else value

    def status(value: str) -> str:
        if value in SENSOR_STATUSES:
            return translator.gettext(SENSOR_STATUS_LABELS[SensorStatus(value)])
        return status_label(Status(value), translator)

    return SearchFacets(
        kinds=counts("kind", kind),
        communes=counts("commune", commune),
        categories=counts("category", category),
        statuses=counts("status", status),
    )


SENSOR_STATUSES = frozenset(s.value for s in SensorStatus)


async def _sensors(info: Info[Context, None], hits: list[Hit]) -> dict[int, SensorType]:
    """The register entries of the sensors among the hits, in three statements in all."""
    ids = [int(hit.key.rpartition(":")[2]) for hit in hits if hit.kind == SENSOR_KIND]
    if not ids:
        return {}
    async with info.context.db.reading() as session:
        rows = list((await session.exec(select(Sensor).where(col(Sensor.id).in_(ids)))).all())
    return {view.sensor_id: view for view in await sensor_views(info, rows)}


def _match(
    hit: Hit, cursor: str, info: Info[Context, None], sensors: dict[int, SensorType]
) -> SearchMatch:
    if hit.kind == SENSOR_KIND:
        sensor_id = int(hit.key.rpartition(":")[2])
        return SensorSearchHit.from_hit(hit, cursor, info, sensors.get(sensor_id))
    return SearchHit.from_hit(hit, cursor, info)


def _refused(errors: list[SearchError]) -> SearchResult:
    return SearchResult(
        hits=[],
        matches=[],
        page_info=PageInfo(has_next_page=False, end_cursor=None),
        total_count=0,
        approximate=False,
        facets=None,
        errors=errors,
    )


@strawberry.type
class SearchQuery:
    @strawberry.field(
        description="Full-text search over items, best first. Words are found whatever their "
        "accents, plural or elision (« eclairage » finds « l'éclairage »), with typo "
        "tolerance when nothing matches exactly. Anonymous callers and integrators search "
        "public items and their public texts (personal data masked); staff who work items "
        "search their bodies' items, private notes included. With `filter.hitKinds` naming "
        "SENSOR it also searches the sensors of the public register (in `matches`); their "
        "accountable body's staff also find them by residents' opinion comments. Hits show "
        "within about a second of a change.",
        metadata=field_access.public(),
    )
    async def search(
        self,
        info: Info[Context, None],
        query: Annotated[str, strawberry.argument(description="The words to look for.")],
        filter: Annotated[  # the argument's public name
            SearchFilterInput | None, strawberry.argument(description="What to keep.")
        ] = None,
        first: PageSize = 20,
        after: After = None,
    ) -> SearchResult:
        context = info.context
        offset = decode_cursor(after, CURSOR_KIND) or 0
        errors = rules.query_errors(query) + rules.offset_errors(offset)
        if errors:
            return _refused(
                payload_errors(errors, context.translator, SearchError, SearchErrorCode)
            )
        size = page_size(first, context.settings.max_page_size)
        request = SearchRequest(
            text=query,
            filter=_filter(filter),
            staff_bodies=_staff_bodies(context),
            offset=offset,
            limit=size,
            facets=_wants_facets(info),
        )
        found = await asyncio.to_thread(context.services.search_engine.search, request)
        sensors = await _sensors(info, found.hits)
        matches = [
            _match(hit, encode_cursor(CURSOR_KIND, offset + position + 1), info, sensors)
            for position, hit in enumerate(found.hits)
        ]
        return SearchResult(
            hits=[match for match in matches if isinstance(match, SearchHit)],
            matches=matches,
            page_info=PageInfo(
                has_next_page=offset + len(matches) < found.total,
                end_cursor=matches[-1].cursor if matches else None,
            ),
            total_count=found.total,
            approximate=found.approximate,
            facets=_facets(found.facets, context) if request.facets else None,
            errors=[],
        )
