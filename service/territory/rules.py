"""Business rules of the territory: coordinates, communes, bodies, and their reference data."""

from __future__ import annotations

import csv
import json
import math
import unicodedata
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from service.errors import N_, DomainError
from service.territory.errors import TerritoryErrorCode
from service.territory.models import Body, BodyKind, Commune, CommuneBoundary


def coordinate_errors(
    latitude: float, longitude: float, *, field_prefix: str = ""
) -> list[DomainError]:
    """Why a (latitude, longitude) pair is not a point on Earth, if it is not."""
    errors: list[DomainError] = []
    if not (math.isfinite(latitude) and -90 <= latitude <= 90):
        errors.append(
            DomainError(
                TerritoryErrorCode.LATITUDE_OUT_OF_RANGE,
                N_("The latitude must be a number between -90 and 90 degrees."),
                field=f"{field_prefix}latitude",
            )
        )
    if not (math.isfinite(longitude) and -180 <= longitude <= 180):
        errors.append(
            DomainError(
                TerritoryErrorCode.LONGITUDE_OUT_OF_RANGE,
                N_("The longitude must be a number between -180 and 180 degrees."),
                field=f"{field_prefix}longitude",
            )
        )
    return errors


def unknown_commune(commune_code: str) -> DomainError:
    """A commune code that is none of ALM's (each domain's payload maps the code by name)."""
    return DomainError(
        TerritoryErrorCode.UNKNOWN_COMMUNE,
        N_("There is no commune %(commune)s in Angers Loire Métropole."),
        field="commune",
        commune=commune_code[:10],
    )


def name_sort_key(name: str) -> str:
    """Sort French names as a person expects: Écouflant beside Ecuillé, not after Z."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


async def load_territory_fixtures(session: AsyncSession, fixtures_dir: Path) -> dict[str, int]:
    """Insert or update communes, boundaries and bodies from ``fixtures/territory``.

    Idempotent: running it again updates the rows in place. Returns counts per table.
    """
    folder = fixtures_dir / "territory"
    features = json.loads((folder / "communes.geojson").read_text(encoding="utf-8"))["features"]
    sirens = {f["properties"]["code"]: f["properties"].get("siren", "") for f in features}
    with (folder / "communes.csv").open(encoding="utf-8", newline="") as handle:
        communes = list(csv.DictReader(handle))
    for row in communes:
        await session.merge(
            Commune(
                code=row["code"],
                name=row["nom"],
                siren=sirens.get(row["code"], ""),
                postal_codes=row["codes_postaux"],
                population=int(row["population"]),
            )
        )
    await session.flush()
    for feature in features:
        await session.merge(
            CommuneBoundary(
                commune_code=feature["properties"]["code"],
                geometry=json.dumps(feature["geometry"], separators=(",", ":")),
            )
        )
    await session.flush()  # parents before the bodies that refer to them
    with (folder / "bodies.csv").open(encoding="utf-8", newline="") as handle:
        bodies = list(csv.DictReader(handle))
    for row in bodies:
        BodyKind(row["kind"])  # refuse a fixture with an unknown kind
        await session.merge(
            Body(
                code=row["code"],
                name=row["name"],
                kind=row["kind"],
                commune_code=row["commune_code"] or None,
                parent_code=row["parent_code"] or None,
            )
        )
        await session.flush()
    return {"communes": len(communes), "boundaries": len(features), "bodies": len(bodies)}
