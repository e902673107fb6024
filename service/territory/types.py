"""GraphQL types of the territory: an explicit allow-list of what the public may read."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from service.context import Context
from service.schema_support import described_enum
from service.territory.errors import TerritoryErrorCode
from service.territory.models import Body, BodyKind, Commune

described_enum(
    BodyKind,
    name="BodyKind",
    description="What kind of public body handles items.",
    values={
        BodyKind.METROPOLE: "Angers Loire Métropole itself.",
        BodyKind.DIRECTORATE: "A directorate of ALM in charge of one of its competences.",
        BodyKind.COMMUNE: "The town hall of one of the 29 communes.",
        BodyKind.OPERATOR: "An operator to which a competence is delegated.",
    },
)

described_enum(
    TerritoryErrorCode,
    name="TerritoryErrorCode",
    description="Why a territory input was refused.",
    values={
        TerritoryErrorCode.LATITUDE_OUT_OF_RANGE: "The latitude is not between -90 and 90.",
        TerritoryErrorCode.LONGITUDE_OUT_OF_RANGE: "The longitude is not between -180 and 180.",
        TerritoryErrorCode.UNKNOWN_COMMUNE: "No commune of ALM has this INSEE code.",
    },
)


@strawberry.type(name="Commune", description="One of the 29 communes of Angers Loire Métropole.")
class CommuneType:
    code: strawberry.ID = strawberry.field(description="Official geographic code (INSEE).")
    name: str = strawberry.field(description="Official name, e.g. « Les Ponts-de-Cé ».")
    postal_codes: list[str] = strawberry.field(description="Postal codes serving the commune.")
    population: int = strawberry.field(description="Municipal population (INSEE).")

    @classmethod
    def from_row(cls, row: Commune) -> CommuneType:
        return cls(
            code=strawberry.ID(row.code),
            name=row.name,
            postal_codes=[code for code in row.postal_codes.split(";") if code],
            population=row.population,
        )

    @strawberry.field(description="The town hall of this commune.")
    def town_hall(self, info: Info[Context, None]) -> BodyType | None:
        body = info.context.reference.town_halls.get(str(self.code))
        return BodyType.from_row(body) if body else None


@strawberry.type(name="Body", description="A public body that handles residents' items.")
class BodyType:
    code: strawberry.ID = strawberry.field(description="Stable identifier, e.g. mairie-49007.")
    name: str = strawberry.field(description="Name as residents know it.")
    kind: BodyKind = strawberry.field(description="What kind of body this is.")
    commune_code: strawberry.Private[str | None]
    parent_code: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, row: Body) -> BodyType:
        return cls(
            code=strawberry.ID(row.code),
            name=row.name,
            kind=BodyKind(row.kind),
            commune_code=row.commune_code,
            parent_code=row.parent_code,
        )

    @strawberry.field(description="The commune of a town hall; null for metropolitan bodies.")
    def commune(self, info: Info[Context, None]) -> CommuneType | None:
        if self.commune_code is None:
            return None
        row = info.context.reference.communes.get(self.commune_code)
        return CommuneType.from_row(row) if row else None

    @strawberry.field(description="The body this one belongs to (ALM for its directorates).")
    def parent(self, info: Info[Context, None]) -> BodyType | None:
        if self.parent_code is None:
            return None
        row = info.context.reference.bodies.get(self.parent_code)
        return BodyType.from_row(row) if row else None


@strawberry.type(name="TerritoryError", description="Why a territory input was refused.")
class TerritoryError:
    field: str | None = strawberry.field(description="The argument at fault, if one is.")
    message: str = strawberry.field(description="What went wrong, in the caller's language.")
    code: TerritoryErrorCode = strawberry.field(description="Stable code for programs.")


@strawberry.type(description="The commune found at a point, or why the point was refused.")
class CommuneAtResult:
    commune: CommuneType | None = strawberry.field(
        description="The commune containing the point; null outside Angers Loire Métropole."
    )
    errors: list[TerritoryError] = strawberry.field(
        description="Empty unless the coordinates are invalid."
    )
