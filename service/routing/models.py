"""Tables of routing: categories, per-commune competence overrides, and routes to bodies."""

from __future__ import annotations

import enum
from datetime import date

import sqlalchemy as sa
from sqlmodel import Field, SQLModel, UniqueConstraint


class Competence(enum.Enum):
    """Who is competent for a category: ALM, the commune, or a delegated operator."""

    METROPOLE = "metropole"
    COMMUNE = "commune"
    OPERATOR = "operator"


class RouteKind(enum.Enum):
    """How a body receives items."""

    WEBHOOK = "webhook"
    EMAIL = "email"
    TRIAGE = "triage"  # its agents work the queue in this service


class CategoryGroup(SQLModel, table=True):
    """A heading that groups categories in the app (roads, cleanliness, lighting...)."""

    __tablename__ = "category_group"

    code: str = Field(primary_key=True, max_length=40)
    label: str = Field(max_length=200)  # English msgid, translated per request
    position: int = 0


class Category(SQLModel, table=True):
    """A kind of problem a resident recognises, with who handles it by default."""

    __tablename__ = "category"

    code: str = Field(primary_key=True, max_length=60)
    group_code: str = Field(foreign_key="category_group.code", max_length=40)
    label: str = Field(max_length=200)  # English msgid
    competence: str = Field(max_length=20)  # a Competence value
    # The ALM directorate in charge when the competence is metropolitan.
    metropole_body_code: str | None = Field(default=None, foreign_key="body.code", max_length=64)
    position: int = 0


class CompetenceOverride(SQLModel, table=True):
    """A commune's exception to a category's default competence, from a date on."""

    __tablename__ = "competence_override"
    __table_args__ = (UniqueConstraint("category_code", "commune_code", "effective_from"),)

    id: int | None = Field(default=None, primary_key=True)
    category_code: str = Field(foreign_key="category.code", max_length=60)
    commune_code: str = Field(foreign_key="commune.code", max_length=5)
    competence: str = Field(max_length=20)
    # The operator (or any body) that takes over; required for the operator competence.
    body_code: str | None = Field(default=None, foreign_key="body.code", max_length=64)
    effective_from: date


class Route(SQLModel, table=True):
    """How one body receives its items. A body without an active route keeps them in triage."""

    __tablename__ = "route"

    id: int | None = Field(default=None, primary_key=True)
    body_code: str = Field(foreign_key="body.code", max_length=64, index=True)
    kind: str = Field(max_length=20)  # a RouteKind value
    url: str | None = Field(default=None, max_length=500)
    # Shared with the receiver to sign deliveries (HMAC-SHA256); never exposed by the API.
    # Encrypted at rest (service.privacy.signing_secrets): `<key id>:<base64>`, or plaintext
    # when signing_secret_key_id is null (set by hand, encrypted by the next rekey).
    signing_secret: str | None = Field(default=None, sa_type=sa.Text)
    signing_secret_key_id: str | None = Field(default=None, max_length=16)
    email: str | None = Field(default=None, max_length=254)
    active: bool = True


class DueSubject(enum.Enum):
    """What a target time is set for: a category of report, or a service of the catalogue."""

    CATEGORY = "category"
    SERVICE = "service"


class DueTarget(SQLModel, table=True):
    """How long a body has to handle an item of a category or a service, from its receipt.

    The row without a body is ALM's default; a row with a body overrides it for that body.
    """

    __tablename__ = "due_target"
    __table_args__ = (UniqueConstraint("subject", "code", "body_code"),)

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=20)  # a DueSubject value
    code: str = Field(max_length=60)  # the category's or the service's code
    # Empty for the default of every body (an empty string, not NULL: the unique key holds).
    body_code: str = Field(default="", max_length=64)
    hours: int
