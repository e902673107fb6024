"""Tables of the service catalogue (services, typed questions, values, availability) and of
the service-specific part of a request (the item itself lives on the shared spine)."""

from __future__ import annotations

import enum

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel, UniqueConstraint


class Datatype(enum.Enum):
    """The kinds of answers a question takes (Open311 GeoReport v2 attribute datatypes)."""

    STRING = "string"
    NUMBER = "number"
    DATETIME = "datetime"
    TEXT = "text"
    SINGLEVALUELIST = "singlevaluelist"
    MULTIVALUELIST = "multivaluelist"


class LocationKind(enum.Enum):
    """Where a service happens, hence what the request must say about the place."""

    POINT = "point"  # a place in public space: a point on the map is required
    ADDRESS = "address"  # the resident's address: a commune and an address are required
    COMMUNE = "commune"  # no place: the commune is enough


class ServiceGroup(SQLModel, table=True):
    """A heading that groups services in the app (waste, digital help...)."""

    __tablename__ = "service_group"

    code: str = Field(primary_key=True, max_length=40)
    label: str = Field(max_length=200)  # English msgid, translated per request
    position: int = 0


class Service(SQLModel, table=True):
    """A municipal service residents may request, with who handles it by default."""

    __tablename__ = "service"

    code: str = Field(primary_key=True, max_length=60)
    group_code: str = Field(foreign_key="service_group.code", max_length=40)
    label: str = Field(max_length=200)  # English msgid
    description: str = Field(max_length=500)  # English msgid
    competence: str = Field(max_length=20)  # a routing Competence value
    metropole_body_code: str | None = Field(default=None, foreign_key="body.code", max_length=64)
    location: str = Field(max_length=20)  # a LocationKind value
    # Requests are at the resident's home: never public, whatever else is said.
    home_address: bool = False
    # Requests may be shown publicly (place, masked description, public answers).
    public: bool = False
    position: int = 0
    active: bool = True


class ServiceQuestion(SQLModel, table=True):
    """One typed question of a service (an Open311 attribute)."""

    __tablename__ = "service_question"
    __table_args__ = (UniqueConstraint("service_code", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    service_code: str = Field(foreign_key="service.code", max_length=60, index=True)
    code: str = Field(max_length=60)
    datatype: str = Field(max_length=20)  # a Datatype value
    required: bool = False
    position: int = 0
    label: str = Field(max_length=300)  # English msgid
    description: str | None = Field(default=None, max_length=500)  # English msgid
    # Numbers: the range of the value; datetimes: the range in days from today.
    minimum: float | None = None
    maximum: float | None = None
    # Shown in public views of public requests; other answers stay with the handling body.
    public: bool = False


class ServiceQuestionValue(SQLModel, table=True):
    """One allowed value of a list question."""

    __tablename__ = "service_question_value"
    __table_args__ = (UniqueConstraint("question_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="service_question.id", index=True)
    key: str = Field(max_length=60)
    label: str = Field(max_length=200)  # English msgid
    position: int = 0


class ServiceAvailability(SQLModel, table=True):
    """A commune where a service is offered, and who handles it there if not the default."""

    __tablename__ = "service_availability"
    __table_args__ = (UniqueConstraint("service_code", "commune_code"),)

    id: int | None = Field(default=None, primary_key=True)
    service_code: str = Field(foreign_key="service.code", max_length=60)
    commune_code: str = Field(foreign_key="commune.code", max_length=5)
    competence: str | None = Field(default=None, max_length=20)  # override, a Competence
    body_code: str | None = Field(default=None, foreign_key="body.code", max_length=64)


class ServiceRequestDetail(SQLModel, table=True):
    """What a service request adds to its item: the service and the typed answers."""

    __tablename__ = "service_request"

    item_id: int = Field(foreign_key="item.id", primary_key=True)
    service_code: str = Field(foreign_key="service.code", max_length=60, index=True)
    # {"question code": "value" | ["value", ...]}, normalised (numbers as text, ISO dates).
    answers: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    # At the resident's home (the service's nature, or the resident said so): never public.
    at_home: bool = False
