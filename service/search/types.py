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
from service.search.engine import Hit
from service.search.errors import SearchErrorCode
from service.search.highlight import Highlight
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


@strawberry.type(description="An item found, with why it was found.")
class SearchHit:
    cursor: str = strawberry.field(description="Pass it as `after` to read the hits after it.")
    reference: str = strawberry.field(description="Its public reference: open it with it.")
    kind: ItemKind = strawberry.field(description="Report, service request or sensor question.")
    score: float = strawberry.field(description="Relevance (higher is better), for this query.")
    status: Status = strawberry.field(description="Where it stands.")
    status_label: str = strawberry.field(description="The status in the caller's language.")
    created_at: datetime = strawberry.field(description="When it was received (UTC).")
    highlights: list[SearchHighlight] = strawberry.field(
        description="Up to two fragments around the matched words."
    )
    commune_code: strawberry.Private[str]
    category_code: strawberry.Private[str]

    @classmethod
    def from_hit(cls, hit: Hit, cursor: str, info: Info[Context, None]) -> SearchHit:
        status = Status(hit.status)
        return cls(
            cursor=cursor,
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

    @strawberry.field(description="The commune where it is.")
    def commune(self, info: Info[Context, None]) -> CommuneType | None:
        row = info.context.reference.communes.get(self.commune_code)
        return CommuneType.from_row(row) if row else None

    @strawberry.field(description="Its category, if it has one.")
    def category(self, info: Info[Context, None]) -> CategoryType | None:
        row = info.context.reference.categories.get(self.category_code)
        return CategoryType.from_row(row, info) if row else None


@strawberry.type(description="How many hits share a value (over all hits, not only this page).")
class FacetCount:
    value: str = strawberry.field(
        description="The value: a kind, INSEE code, category code or status."
    )
    label: str = strawberry.field(description="The value in the caller's language.")
    count: int = strawberry.field(description="How many hits have it.")


@strawberry.type(description="Counts of the hits by kind, commune, category and status.")
class SearchFacets:
    kinds: list[FacetCount] = strawberry.field(description="By kind of item.")
    communes: list[FacetCount] = strawberry.field(description="By commune.")
    categories: list[FacetCount] = strawberry.field(description="By category.")
    statuses: list[FacetCount] = strawberry.field(description="By status.")


@strawberry.type(description="A page of search results, or why the search was refused.")
class SearchResult:
    hits: list[SearchHit] = strawberry.field(description="Best first.")
    page_info: PageInfo = strawberry.field(description="How to get the next page.")
    total_count: int = strawberry.field(description="How many items match.")
    approximate: bool = strawberry.field(
        description="True when nothing matched as typed and these hits allow for typos."
    )
    facets: SearchFacets | None = strawberry.field(description="Counts of all the hits.")
    errors: list[SearchError] = strawberry.field(description="Empty unless refused.")


@strawberry.input(description="Filters of a search; all optional, combined with AND.")
class SearchFilterInput:
    kinds: list[ItemKind] | None = strawberry.field(default=None, description="Any of these kinds.")
    commune: strawberry.ID | None = strawberry.field(default=None, description="INSEE code.")
    category: strawberry.ID | None = strawberry.field(default=None, description="Category code.")
    status: list[Status] | None = strawberry.field(default=None, description="Any of these.")
    since: datetime | None = strawberry.field(default=None, description="Received from then on.")
