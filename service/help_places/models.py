"""The table of the directory of places that help residents with digital procedures."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from service.items.models import utc_datetime


class PlaceKind(enum.Enum):
    """What kind of place it is."""

    TOWN_HALL = "town_hall"
    CCAS = "ccas"  # centre communal d'action sociale
    FRANCE_SERVICES = "france_services"
    LIBRARY = "library"
    ASSOCIATION = "association"
    THIRD_PLACE = "third_place"  # tiers-lieu
    SOCIAL_CENTRE = "social_centre"


class Offer(enum.Enum):
    """What a resident finds there."""

    FREE_COMPUTER = "free_computer"
    WIFI = "wifi"
    DIGITAL_MEDIATOR = "digital_mediator"
    PROCEDURE_HELP = "procedure_help"
    PRINTING = "printing"
    LANGUAGE_HELP = "language_help"  # in the languages of ``HelpPlace.languages``
    REDUCED_MOBILITY = "reduced_mobility"


class HelpPlace(SQLModel, table=True):
    """A place that helps residents with digital procedures, kept by one body.

    Only a service's professional contact is held (a desk's phone, a service mailbox), never
    a person's: the directory is public."""

    __tablename__ = "help_place"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)  # its stable public name, e.g. "mairie-49007"
    name: str = Field(max_length=200)
    kind: str = Field(max_length=30)  # a PlaceKind value
    body_code: str = Field(foreign_key="body.code", max_length=64, index=True)  # who keeps it
    commune_code: str = Field(foreign_key="commune.code", max_length=5, index=True)
    address: str = Field(max_length=300)
    latitude: float
    longitude: float
    offers: str = Field(default="", max_length=300)  # space-separated Offer values
    languages: str = Field(default="", max_length=60)  # space-separated language codes
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=254)
    booking_url: str | None = Field(default=None, max_length=300)
    website: str | None = Field(default=None, max_length=300)
    # The opening hours as JSON (service.help_places.hours): the week and its exceptions.
    hours: str = Field(sa_column=Column(Text, nullable=False))
    # A place of the demo, invented: shown as an example wherever it is shown.
    example: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    updated_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    updated_by_id: int | None = Field(default=None, foreign_key="staff_user.id")


class ItemHelpPlace(SQLModel, table=True):
    """The help place an assisted submission was made at (optional, one per item): how the
    communes size the help they fund. Apart from the item, so the spine stays as it is.

    ``place_id`` becomes null when the place leaves the directory: the item is still counted,
    as made at a place no longer listed."""

    __tablename__ = "item_help_place"

    item_id: int = Field(foreign_key="item.id", primary_key=True)
    place_id: int | None = Field(default=None, foreign_key="help_place.id", index=True)
