"""Tables of the territory: communes, their boundaries, and the bodies that handle items."""

from __future__ import annotations

import enum

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel


class BodyKind(enum.Enum):
    """What kind of public body handles items."""

    METROPOLE = "metropole"
    DIRECTORATE = "directorate"
    COMMUNE = "commune"
    OPERATOR = "operator"


class Commune(SQLModel, table=True):
    """A commune of ALM, from the official geographic code (INSEE)."""

    __tablename__ = "commune"

    code: str = Field(primary_key=True, max_length=5)  # INSEE code, e.g. 49007
    name: str = Field(max_length=100)
    siren: str = Field(max_length=9)
    # ';'-joined: a portable column for a short list that is only ever read whole.
    postal_codes: str = Field(max_length=100)
    population: int


class CommuneBoundary(SQLModel, table=True):
    """A commune's outline as GeoJSON geometry, apart so lists of communes stay light."""

    __tablename__ = "commune_boundary"

    commune_code: str = Field(primary_key=True, foreign_key="commune.code", max_length=5)
    geometry: str = Field(sa_column=Column(Text, nullable=False))


class Body(SQLModel, table=True):
    """A public body that receives items: ALM, one of its directorates, a town hall..."""

    __tablename__ = "body"

    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=20)  # a BodyKind value
    commune_code: str | None = Field(
        default=None, foreign_key="commune.code", max_length=5, index=True
    )
    parent_code: str | None = Field(default=None, foreign_key="body.code", max_length=64)
