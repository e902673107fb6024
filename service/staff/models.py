"""Tables of staff: accounts, browser sessions, personal access tokens."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel, UniqueConstraint

from service.items.models import utc_datetime


class Role(enum.Enum):
    AGENT = "agent"  # works the items of their body
    SUPERVISOR = "supervisor"  # also assigns, re-routes, manages answer templates
    ADMIN = "admin"  # manages staff, bodies, routes, categories
    COUNCIL = "council"  # reads trends only: no items, no personal data


class StaffUser(SQLModel, table=True):
    """A staff member of one body: their work e-mail (the login), name, role and password
    hash (never the password)."""

    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)  # stored lower-case
    name: str = Field(max_length=100)
    body_code: str = Field(foreign_key="body.code", max_length=64, index=True)
    role: str = Field(max_length=20)  # a Role value
    # scrypt (memory-hard), with its parameters and salt: see service.staff.passwords.
    password_hash: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    # The daily e-mail digest (service.mail.staff_digest): opt-in, off by default; when the
    # last one was planned (at most one a day).
    mail_digest: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    mail_digest_at: datetime | None = Field(default=None, sa_column=utc_datetime())


class StaffSession(SQLModel, table=True):
    """A browser session: the cookie carries a random token, only its hash is stored."""

    __tablename__ = "staff_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    staff_id: int = Field(foreign_key="staff_user.id", index=True)
    created_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    expires_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=utc_datetime())


class AccessToken(SQLModel, table=True):
    """A personal access token for scripts: shown once, stored hashed, scoped, revocable."""

    __tablename__ = "staff_access_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    staff_id: int = Field(foreign_key="staff_user.id", index=True)
    name: str = Field(max_length=100)
    scopes: str = Field(max_length=200)  # space-separated
    created_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    last_used_at: datetime | None = Field(default=None, sa_column=utc_datetime())
    revoked_at: datetime | None = Field(default=None, sa_column=utc_datetime())


class AuditEntry(SQLModel, table=True):
    """One staff action: who, when, what, on which item, why. Never personal data itself."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=utc_datetime(nullable=False))
    staff_id: int = Field(foreign_key="staff_user.id", index=True)
    body_code: str = Field(max_length=64, index=True)  # the actor's body when acting
    action: str = Field(max_length=40)
    item_id: int | None = Field(default=None, foreign_key="item.id", index=True)
    detail: str | None = Field(default=None, max_length=500)


class AnswerTemplate(SQLModel, table=True):
    """A reusable public answer of a body, in one language (the same code in several
    languages lets the resident read it in theirs)."""

    __tablename__ = "answer_template"
    __table_args__ = (UniqueConstraint("body_code", "code", "language"),)

    id: int | None = Field(default=None, primary_key=True)
    body_code: str = Field(foreign_key="body.code", max_length=64, index=True)
    code: str = Field(max_length=60)  # e.g. "pothole-scheduled"
    language: str = Field(max_length=5)  # a supported locale
    title: str = Field(max_length=120)  # what staff pick it by
    text: str = Field(sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    updated_by_id: int = Field(foreign_key="staff_user.id")


class InvitationPurpose(enum.Enum):
    INVITE = "invite"  # a new account: the link sets its first password
    RESET = "reset"  # an administrator reset the password: the link sets a new one


class StaffInvitation(SQLModel, table=True):
    """A link that lets one staff member set their password: random, shown once to the
    administrator who made it, stored as its SHA-256 only; single use, valid 48 hours."""

    __tablename__ = "staff_invitation"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    staff_id: int = Field(foreign_key="staff_user.id", index=True)
    purpose: str = Field(max_length=10)  # an InvitationPurpose value
    created_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    expires_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    # Set when used, or when a newer link or a deactivation replaced it.
    used_at: datetime | None = Field(default=None, sa_column=utc_datetime())


class StaffOidcLink(SQLModel, table=True):
    """A staff account signed in through an OpenID provider: linked by the provider's
    subject (``sub``), never by e-mail. One subject of one provider opens one account."""

    __tablename__ = "staff_oidc_link"
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff_user.id", index=True)
    provider: str = Field(max_length=40)  # an OidcProvider id (SERVICE_OIDC_PROVIDERS)
    subject: str = Field(max_length=255)
    created_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    last_used_at: datetime | None = Field(default=None, sa_column=utc_datetime())


class StaffOidcPreauthorisation(SQLModel, table=True):
    """An administrator's leave for a first sign-in through a provider: a person (their
    e-mail, used once) or a rule (a claim holding a value, e.g. ``groups`` holding
    ``signalements``, standing until withdrawn), with the body and role the account gets."""

    __tablename__ = "staff_oidc_preauthorisation"

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=40)
    body_code: str = Field(foreign_key="body.code", max_length=64, index=True)
    role: str = Field(max_length=20)  # a Role value, chosen by the administrator
    email: str | None = Field(default=None, max_length=254)  # lower-case
    claim: str | None = Field(default=None, max_length=60)
    claim_value: str | None = Field(default=None, max_length=200)
    created_by_id: int = Field(foreign_key="staff_user.id")
    created_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=utc_datetime())
    withdrawn_at: datetime | None = Field(default=None, sa_column=utc_datetime())


class StaffSecondFactor(SQLModel, table=True):
    """A local-password account's TOTP (RFC 6238) secret, encrypted at rest, and the last
    time step accepted (a code is never accepted twice)."""

    __tablename__ = "staff_second_factor"

    staff_id: int = Field(foreign_key="staff_user.id", primary_key=True)
    secret: str = Field(max_length=300)  # FieldCipher-encrypted base32 secret
    enrolled_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    last_step: int = 0


class StaffRecoveryCode(SQLModel, table=True):
    """A single-use recovery code of a second factor: shown once, stored as its SHA-256."""

    __tablename__ = "staff_recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff_user.id", index=True)
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = Field(default=None, sa_column=utc_datetime())


class BodySignInPolicy(SQLModel, table=True):
    """How a body's staff sign in: whether a local password needs a second factor."""

    __tablename__ = "body_sign_in_policy"

    body_code: str = Field(foreign_key="body.code", max_length=64, primary_key=True)
    second_factor_required: bool = False
    updated_at: datetime = Field(sa_column=utc_datetime(nullable=False))
    updated_by_id: int | None = Field(default=None, foreign_key="staff_user.id")
