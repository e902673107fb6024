"""GraphQL types of routing: the category picker."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from service.context import Context
from service.routing.models import Category, CategoryGroup, Competence
from service.schema_support import described_enum

described_enum(
    Competence,
    name="Competence",
    description="Who is competent for a category.",
    values={
        Competence.METROPOLE: "Angers Loire Métropole (water, sanitation, waste, lighting, roads).",
        Competence.COMMUNE: "The commune where the place lies.",
        Competence.OPERATOR: "An operator to which the competence is delegated.",
    },
)


@strawberry.type(name="CategoryGroup", description="A group of categories in the picker.")
class CategoryGroupType:
    code: strawberry.ID = strawberry.field(description="Stable code, e.g. lighting.")
    label: str = strawberry.field(description="Name in the caller's language.")
    categories: list[CategoryType] = strawberry.field(description="Its categories, in order.")


@strawberry.type(name="Category", description="A kind of problem a resident can report.")
class CategoryType:
    code: strawberry.ID = strawberry.field(description="Stable code, e.g. light_out.")
    label: str = strawberry.field(description="Name in the caller's language.")
    competence: Competence = strawberry.field(description="Who handles it by default.")
    group_code: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: Category, info: Info[Context, None]) -> CategoryType:
        return cls(
            code=strawberry.ID(row.code),
            label=info.context.translator.gettext(row.label),
            competence=Competence(row.competence),
            group_code=row.group_code,
        )

    @strawberry.field(description="The group it belongs to.")
    def group(self, info: Info[Context, None]) -> CategoryGroupType | None:
        row = info.context.reference.groups.get(self.group_code)
        if row is None:
            return None
        return CategoryGroupType(
            code=strawberry.ID(row.code),
            label=info.context.translator.gettext(row.label),
            categories=[],
        )


@strawberry.type(description="The category picker, with a version to cache it by.")
class CategoryCatalog:
    version: str = strawberry.field(
        description="Changes whenever what the picker shows in this language changes."
    )
    language: str = strawberry.field(description="The language of the labels.")
    groups: list[CategoryGroupType] = strawberry.field(description="Groups, in order.")
    categories: list[CategoryType] = strawberry.field(description="Every category, in order.")


def group_row_to_type(
    row: CategoryGroup, categories: list[CategoryType], info: Info[Context, None]
) -> CategoryGroupType:
    return CategoryGroupType(
        code=strawberry.ID(row.code),
        label=info.context.translator.gettext(row.label),
        categories=[c for c in categories if c.group_code == row.code],
    )
