"""GraphQL types of staff: who I am, logging in, access tokens."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from service.context import Context
from service.errors import N_
from service.items.rules import as_utc
from service.schema_support import described_enum
from service.staff.errors import StaffErrorCode
from service.staff.models import AccessToken, Role, StaffUser
from service.staff.rules import StaffIdentity
from service.territory.types import BodyType

described_enum(
    Role,
    name="StaffRole",
    description="What a staff member may do.",
    values={
        Role.AGENT: "Works the items of their body.",
        Role.SUPERVISOR: "Also assigns, re-routes and manages answer templates.",
        Role.ADMIN: "Manages staff, bodies, routes and categories.",
        Role.COUNCIL: "Reads trends only: no items, no personal data.",
    },
)
described_enum(
    StaffErrorCode,
    name="StaffErrorCode",
    description="Why a staff action was refused.",
    values={
        StaffErrorCode.INVALID_CREDENTIALS: "The e-mail address or the password is not right.",
        StaffErrorCode.TOO_MANY_ATTEMPTS: "Too many failed logins: wait before trying again.",
        StaffErrorCode.NOT_AUTHENTICATED: "This needs a staff session or access token.",
        StaffErrorCode.FORBIDDEN: "The caller's role or scopes do not allow this.",
        StaffErrorCode.INVALID_SCOPE: "An unknown scope was asked for.",
        StaffErrorCode.NOT_FOUND: "Nothing of the caller's has this id.",
        StaffErrorCode.TEXT_REQUIRED: "A required text is empty.",
        StaffErrorCode.TEXT_TOO_LONG: "A text is longer than its limit.",
        StaffErrorCode.INVALID_TRANSITION: "The item cannot go from its status to that one.",
        StaffErrorCode.NO_CONTACT: "No contact was left, or the consent was withdrawn.",
        StaffErrorCode.UNKNOWN_CATEGORY: "No category has this code.",
        StaffErrorCode.OUTSIDE_ALM: "The point is outside the 29 communes of ALM.",
        StaffErrorCode.LATITUDE_OUT_OF_RANGE: "The latitude is not between -90 and 90.",
        StaffErrorCode.LONGITUDE_OUT_OF_RANGE: "The longitude is not between -180 and 180.",
        StaffErrorCode.INVALID_TEMPLATE_CODE: "A template code is not lower-case letters, "
        "digits and dashes.",
        StaffErrorCode.UNSUPPORTED_LANGUAGE: "The language is not one of fr, en, es, de, ar.",
        StaffErrorCode.TEXT_TWICE: "Both a typed answer and a template were given.",
        StaffErrorCode.WEAK_PASSWORD: "The password is shorter or longer than allowed.",
        StaffErrorCode.INVALID_EMAIL: "The e-mail address is not one.",
        StaffErrorCode.EMAIL_TAKEN: "The e-mail address already has an account.",
        StaffErrorCode.NOT_ONESELF: "Administrators cannot change or deactivate their own account.",
        StaffErrorCode.INACTIVE: "The account is deactivated.",
        StaffErrorCode.INVALID_INVITATION: "The invitation link is unknown, used, replaced or "
        "expired.",
        StaffErrorCode.SECOND_FACTOR_REQUIRED: "The account has a second factor: give its "
        "one-time code (or a recovery code) too.",
        StaffErrorCode.SECOND_FACTOR_INVALID: "The one-time code or recovery code is not right, "
        "or was already used.",
        StaffErrorCode.SECOND_FACTOR_ENROLMENT_REQUIRED: "The body requires a second factor: "
        "set it up in the staff console first.",
        StaffErrorCode.NOT_PREAUTHORISED: "No administrator pre-authorised this person to sign "
        "in through this identity provider.",
        StaffErrorCode.PROVIDER_REFUSED: "The sign-in through the identity provider failed or "
        "could not be verified.",
    },
)


@strawberry.type(description="Why a staff action was refused.")
class StaffError:
    field: str | None = strawberry.field(description="The input at fault, if one is.")
    message: str = strawberry.field(description="What went wrong, in the caller's language.")
    code: StaffErrorCode = strawberry.field(description="Stable code for programs.")


ROLE_LABELS = {
    Role.AGENT: N_("Agent"),
    Role.SUPERVISOR: N_("Supervisor"),
    Role.ADMIN: N_("Administrator"),
    Role.COUNCIL: N_("Council member"),
}


@strawberry.type(description="The staff member making the request.")
class Me:
    id: strawberry.ID = strawberry.field(
        description="Their staff id (as in the staff directory, assignments, the audit log)."
    )
    name: str = strawberry.field(description="Their name.")
    role: Role = strawberry.field(description="Their role.")
    signed_in_with: str = strawberry.field(
        description="« session » (browser cookie) or « token » (personal access token)."
    )
    csrf_token: str | None = strawberry.field(
        description="For a browser session: send it as the X-CSRF-Token header with every "
        "mutation. Null for access tokens, which need none."
    )
    body_code: strawberry.Private[str]

    @strawberry.field(
        description="Whether I receive the daily e-mail digest (meMailDigestSet turns it on)."
    )
    async def mail_digest(self, info: Info[Context, None]) -> bool:
        async with info.context.db.reading() as session:
            row = await session.get(StaffUser, int(self.id))
        return bool(row and row.mail_digest)

    @classmethod
    def from_identity(cls, identity: StaffIdentity, csrf_token: str | None) -> Me:
        return cls(
            id=strawberry.ID(str(identity.staff_id)),
            name=identity.name,
            role=identity.role,
            signed_in_with=identity.via,
            csrf_token=csrf_token,
            body_code=identity.body_code,
        )

    @strawberry.field(description="The body they work for.")
    def body(self, info: Info[Context, None]) -> BodyType:
        return BodyType.from_row(info.context.reference.bodies[self.body_code])

    @strawberry.field(description="Their role, in the caller's language.")
    def role_label(self, info: Info[Context, None]) -> str:
        return info.context.translator.gettext(ROLE_LABELS[self.role])


@strawberry.type(description="The result of a login.")
class StaffLoginPayload:
    me: Me | None = strawberry.field(description="Who is now signed in; null on errors.")
    errors: list[StaffError] = strawberry.field(description="Empty on success.")


@strawberry.type(description="The result of a logout.")
class StaffLogoutPayload:
    done: bool = strawberry.field(description="True once the session no longer opens anything.")


@strawberry.type(name="AccessToken", description="A personal access token, without its secret.")
class AccessTokenType:
    id: strawberry.ID = strawberry.field(description="Its identifier, to revoke it.")
    name: str = strawberry.field(description="What it is for.")
    scopes: list[str] = strawberry.field(description="What it may do.")
    created_at: datetime = strawberry.field(description="When it was created (UTC).")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked (UTC).")

    @classmethod
    def from_row(cls, row: AccessToken) -> AccessTokenType:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            scopes=row.scopes.split(),
            created_at=as_utc(row.created_at),
            revoked_at=as_utc(row.revoked_at) if row.revoked_at else None,
        )


@strawberry.type(description="A new personal access token.")
class AccessTokenCreatePayload:
    access_token: AccessTokenType | None = strawberry.field(description="The token's record.")
    secret: str | None = strawberry.field(
        description="The token itself, shown this once: send it as « Authorization: Bearer "
        "<secret> ». Only its hash is kept."
    )
    errors: list[StaffError] = strawberry.field(description="Empty on success.")


@strawberry.type(description="The result of revoking an access token.")
class AccessTokenRevokePayload:
    access_token: AccessTokenType | None = strawberry.field(description="The revoked token.")
    errors: list[StaffError] = strawberry.field(description="Empty on success.")
