"""GraphQL types of search: hits with their highlights, facets, errors (an allow-list)."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry
from strawberry.types import Info

from service.context import Context
from service.items.lifecycle import Status
from service.items.models import ItemKind
from service.items.types import PageInfo, status_label
from service.routing.types import CategoryType
from service.schema_support import described_enum
from service.search.errors import SearchErrorCode
from service.search.highlight import Highlight
from service.search.interface import Hit
from service.sensors.models import SensorStatus
from service.sensors.signs import STATUS_LABELS as SENSOR_STATUS_LABELS
from service.sensors.types import SensorType
from service.territory.types import CommuneType

described_enum(
    SearchErrorCode,
    name="SearchErrorCode",
    description="Why a search was refused.",
    values={
        SearchErrorCode.QUERY_REQUIRED: "The query has no word to search for.",
        SearchErrorCode.QUERY_TOO_LONG: "The query is longer than 200 characters.",
        SearchErrorCode.TOO_DEEP: "Only the first 1,000 results can be paged through.",
    },
)


class SearchTextField(enum.Enum):
    DESCRIPTION = "description"
    ANSWER = "answer"
    STAFF = "staff"


described_enum(
    SearchTextField,
    name="SearchTextField",
    description="Which text of an item a highlighted fragment comes from.",
    values={
        SearchTextField.DESCRIPTION: "What the resident wrote (masked for the public).",
        SearchTextField.ANSWER: "A public answer of the handling body.",
        SearchTextField.STAFF: "A staff-only text: the unmasked description, a private note, "
        "what the resident added (staff searches only).",
    },
)


class SearchHitKind(enum.Enum):
    """What a hit is: an item of one of the kinds of ``ItemKind``, or a sensor of the
    register. A separate enum, so that ``ItemKind`` keeps meaning items only."""

    REPORT = "report"
    SERVICE_REQUEST = "service_request"
    SENSOR_QUESTION = "sensor_question"
    SENSOR = "sensor"


described_enum(
    SearchHitKind,
    name="SearchHitKind",
    description="What a search hit is: an item of a kind, or a sensor of the public register.",
    values={
        SearchHitKind.REPORT: "A report (an item): a `SearchHit`.",
        SearchHitKind.SERVICE_REQUEST: "A service request (an item): a `SearchHit`.",
        SearchHitKind.SENSOR_QUESTION: "A question about a sensor (an item): a `SearchHit`.",
        SearchHitKind.SENSOR: "A sensor of the public register: a `SensorSearchHit`, found "
        "only when `filter.hitKinds` names it.",
    },
)


@strawberry.type(description="Why a search was refused.")
class SearchError:
    field: str | None = strawberry.field(description="The argument at fault, if one is.")
    message: str = strawberry.field(description="What went wrong, in the caller's language.")
    code: SearchErrorCode = strawberry.field(description="Stable code for programs.")


@strawberry.type(description="Where a query's word matched in a fragment.")
class TextRange:
    start: int = strawberry.field(description="Offset of the first character (0-based).")
    length: int = strawberry.field(description="How many characters.")


@strawberry.type(description="A fragment of a text the caller may read, with the matches.")
class SearchHighlight:
    field: SearchTextField = strawberry.field(description="Which text it comes from.")
    text: str = strawberry.field(description="The fragment, plain text (not HTML).")
    matches: list[TextRange] = strawberry.field(description="Where the words matched.")

    @classmethod
    def from_highlight(cls, value: Highlight) -> SearchHighlight:
        return cls(
            field=SearchTextField(value.field),
            text=value.text,
            matches=[TextRange(start=s, length=e - s) for s, e in value.matches],
        )


@strawberry.interface(
    description="Something a search found: an item (`SearchHit`) or a sensor of the public "
    "register (`SensorSearchHit`), with why it was found."
)
class SearchMatch:
    cursor: str = strawberry.field(description="Pass it as `after` to read the hits after it.")
    hit_kind: SearchHitKind = strawberry.field(description="What it is.")
    score: float = strawberry.field(description="Relevance (higher is better), for this query.")
    highlights: list[SearchHighlight] = strawberry.field(
        description="Up to two fragments around the matched words."
    )
    status_label: str = strawberry.field(description="Its status in the caller's language.")
    created_at: datetime = strawberry.field(
        description="When it was received (an item) or entered the register (a sensor), UTC."
    )
    commune_code: strawberry.Private[str]

    @strawberry.field(description="The commune where it is.")
    def commune(self, info: Info[Context, None]) -> CommuneType | None:
        row = info.context.reference.communes.get(self.commune_code)
        return CommuneType.from_row(row) if row else None


@strawberry.type(description="An item found, with why it was found.")
class SearchHit(SearchMatch):
    reference: str = strawberry.field(description="Its public reference: open it with it.")
    kind: ItemKind = strawberry.field(description="Report, service request or sensor question.")
    status: Status = strawberry.field(description="Where it stands.")
    category_code: strawberry.Private[str]

    @classmethod
    def from_hit(cls, hit: Hit, cursor: str, info: Info[Context, None]) -> SearchHit:
        status = Status(hit.status)
        return cls(
            cursor=cursor,
            hit_kind=SearchHitKind(hit.kind),
            reference=hit.reference,
            kind=ItemKind(hit.kind),
            score=round(hit.score, 4),
            status=status,
            status_label=status_label(status, info.context.translator),
            created_at=hit.created_at,
            highlights=[SearchHighlight.from_highlight(h) for h in hit.highlights],
            commune_code=hit.commune_code,
            category_code=hit.category_code,
        )

    @strawberry.field(description="Its category, if it has one.")
    def category(self, info: Info[Context, None]) -> CategoryType | None:
        row = info.context.reference.categories.get(self.category_code)
        return CategoryType.from_row(row, info) if row else None


@strawberry.type(
    description="A sensor of the public register found by a search: by its name, its DTPR "
    "purpose or technology (in any language), its place, its description or the accountable "
    "body's reply; its body's staff also find it by residents' opinion comments."
)
class SensorSearchHit(SearchMatch):
    slug: strawberry.ID = strawberry.field(description="The sensor's slug: open it with it.")
    # Not `status`: a query selecting both kinds' statuses would have them clash (the
    # enums differ, and GraphQL refuses one response name with two types).
    sensor_status: SensorStatus = strawberry.field(description="Planned, active or removed.")
    sensor: SensorType | None = strawberry.field(
        description="Its entry in the register, as the `sensor` query gives it."
    )
    sensor_id: strawberry.Private[int]

    @classmethod
    def from_hit(
        cls, hit: Hit, cursor: str, info: Info[Context, None], sensor: SensorType | None
    ) -> SensorSearchHit:
        status = SensorStatus(hit.status)
        return cls(
            cursor=cursor,
            hit_kind=SearchHitKind.SENSOR,
            score=round(hit.score, 4),
            highlights=[SearchHighlight.from_highlight(h) for h in hit.highlights],
            commune_code=hit.commune_code,
            slug=strawberry.ID(hit.reference),
            sensor_status=status,
            status_label=info.context.translator.gettext(SENSOR_STATUS_LABELS[status]),
            created_at=hit.created_at,
            sensor=sensor,
            sensor_id=int(hit.key.rpartition(":")[2]),
        )


@strawberry.type(description="How many hits share a value (over all hits, not only this page).")
class FacetCount:
    value: str = strawberry.field(
        description="The value: a kind, INSEE code, category code or status."
    )
    label: str = strawberry.field(description="The value in the caller's language.")
    count: int = strawberry.field(description="How many hits have it.")


@strawberry.type(description="Counts of the hits by kind, commune, category and status.")
class SearchFacets:
    kinds: list[FacetCount] = strawberry.field(
        description="By kind: of item, and `sensor` when sensors are searched."
    )
    communes: list[FacetCount] = strawberry.field(description="By commune.")
    categories: list[FacetCount] = strawberry.field(description="By category.")
    statuses: list[FacetCount] = strawberry.field(description="By status.")


@strawberry.type(description="A page of search results, or why the search was refused.")
class SearchResult:
    hits: list[SearchHit] = strawberry.field(
        description="The items of this page, best first (sensors, when searched, come in "
        "`matches` only)."
    )
    matches: list[SearchMatch] = strawberry.field(
        description="Everything this page found, best first: items and, when `filter.hitKinds` "
        "names SENSOR, sensors of the register. Without sensors, the same hits as `hits`."
    )
    page_info: PageInfo = strawberry.field(description="How to get the next page.")
    total_count: int = strawberry.field(
        description="How many match (items, and sensors when they are searched)."
    )
    approximate: bool = strawberry.field(
        description="True when nothing matched as typed and these hits allow for typos."
    )
    facets: SearchFacets | None = strawberry.field(description="Counts of all the hits.")
    errors: list[SearchError] = strawberry.field(description="Empty unless refused.")


@strawberry.input(description="Filters of a search; all optional, combined with AND.")
class SearchFilterInput:
    kinds: list[ItemKind] | None = strawberry.field(
        default=None, description="Items of any of these kinds."
    )
    hit_kinds: list[SearchHitKind] | None = strawberry.field(
        default=None,
        description="Any of these kinds of hit, sensors of the register (SENSOR) included: "
        "the way to search sensors, which come in `matches`. Left out (or empty), only items "
        "are searched. With `kinds`, a hit must be of a kind both name.",
    )
    commune: strawberry.ID | None = strawberry.field(default=None, description="INSEE code.")
    category: strawberry.ID | None = strawberry.field(default=None, description="Category code.")
    status: list[Status] | None = strawberry.field(default=None, description="Any of these.")
    since: datetime | None = strawberry.field(default=None, description="Received from then on.")
