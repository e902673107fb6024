"""Public queries of routing."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.routing import rules
from service.routing.types import CategoryCatalog, CategoryType, group_row_to_type


@strawberry.type
class RoutingQuery:
    @strawberry.field(
        description="The categories a resident can report, grouped, in the caller's language.",
        metadata=field_access.public(cacheable=True),
    )
    def categories(self, info: Info[Context, None]) -> CategoryCatalog:
        groups = info.context.reference.groups_in_order()
        categories = info.context.reference.categories_in_order()
        exposed = [CategoryType.from_row(row, info) for row in categories]
        exposed_groups = [group_row_to_type(row, exposed, info) for row in groups]
        language = info.context.translator.locale
        entries: list[tuple[str, ...]] = [(language,)]
        entries += [(str(g.code), g.label) for g in exposed_groups]
        entries += [(str(c.code), c.label, c.group_code, c.competence.value) for c in exposed]
        return CategoryCatalog(
            version=rules.catalog_version(entries),
            language=language,
            groups=exposed_groups,
            categories=exposed,
        )
