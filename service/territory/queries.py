"""Public queries of the territory."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.schema_support import payload_errors
from service.territory import rules
from service.territory.types import BodyType, CommuneAtResult, CommuneType, TerritoryError


@strawberry.type
class TerritoryQuery:
    @strawberry.field(
        description="The 29 communes of Angers Loire Métropole, by name.",
        metadata=field_access.public(cacheable=True),
    )
    def communes(self, info: Info[Context, None]) -> list[CommuneType]:
        return [CommuneType.from_row(row) for row in info.context.reference.communes_by_name()]

    @strawberry.field(
        description="One commune by its INSEE code; null if it is not in ALM.",
        metadata=field_access.public(cacheable=True),
    )
    def commune(
        self,
        info: Info[Context, None],
        code: Annotated[strawberry.ID, strawberry.argument(description="INSEE code, e.g. 49007.")],
    ) -> CommuneType | None:
        row = info.context.reference.communes.get(str(code))
        return CommuneType.from_row(row) if row else None

    @strawberry.field(
        description="The commune containing a point (WGS 84); null outside Angers Loire Métropole.",
        metadata=field_access.public(cacheable=True),
    )
    def commune_at(
        self,
        info: Info[Context, None],
        latitude: Annotated[
            float, strawberry.argument(description="Latitude in degrees (WGS 84).")
        ],
        longitude: Annotated[
            float, strawberry.argument(description="Longitude in degrees (WGS 84).")
        ],
    ) -> CommuneAtResult:
        errors = rules.coordinate_errors(latitude, longitude)
        if errors:
            return CommuneAtResult(
                commune=None,
                errors=payload_errors(errors, info.context.translator, TerritoryError),
            )
        reference = info.context.reference
        code = reference.locator.locate(latitude, longitude)
        row = reference.communes.get(code) if code else None
        return CommuneAtResult(commune=CommuneType.from_row(row) if row else None, errors=[])

    @strawberry.field(
        description="Every body that handles items: ALM, its directorates, town halls.",
        metadata=field_access.public(cacheable=True),
    )
    def bodies(self, info: Info[Context, None]) -> list[BodyType]:
        return [BodyType.from_row(row) for row in info.context.reference.bodies_in_order()]

    @strawberry.field(
        description="One body by its code; null if there is none.",
        metadata=field_access.public(cacheable=True),
    )
    def body(
        self,
        info: Info[Context, None],
        code: Annotated[
            strawberry.ID, strawberry.argument(description="Body code, e.g. mairie-49007.")
        ],
    ) -> BodyType | None:
        row = info.context.reference.bodies.get(str(code))
        return BodyType.from_row(row) if row else None
