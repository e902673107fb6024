"""Staff accounts in the API: the directory of my bodies, and the administrators' operations
(invite, change role, deactivate, reset password) — thin: who acts, one rules call, a payload."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, TypeVar
from urllib.parse import urlencode

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.errors import DomainError, ValidationFailed
from service.inputs import id_number
from service.items.rules import as_utc
from service.reference import ReferenceData
from service.schema_support import payload_errors
from service.staff import accounts
from service.staff.errors import StaffErrorCode
from service.staff.models import Role, StaffUser
from service.staff.permissions import (
    ADMINISTRATION,
    ITEM_READ,
    covered_bodies,
    not_authenticated,
    require_item_work,
)
from service.staff.rules import StaffIdentity
from service.staff.types import ROLE_LABELS, StaffError
from service.territory.types import BodyType

StaffId = Annotated[strawberry.ID, strawberry.argument(description="The staff member's id.")]
T = TypeVar("T")


@strawberry.type(description="A staff member, as their colleagues and administrators see them.")
class StaffMember:
    id: strawberry.ID = strawberry.field(description="Their staff id.")
    name: str = strawberry.field(description="Their name.")
    role: Role = strawberry.field(description="Their role.")
    active: bool = strawberry.field(description="False once deactivated.")
    email: str | None = strawberry.field(
        description="Their work e-mail (their login): for administrators only, else null."
    )
    created_at: datetime = strawberry.field(description="When the account was made (UTC).")
    body_code: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: StaffUser, *, show_email: bool) -> StaffMember:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            role=Role(row.role),
            active=row.active,
            email=row.email if show_email else None,
            created_at=as_utc(row.created_at),
            body_code=row.body_code,
        )

    @strawberry.field(description="The body they work for.")
    def body(self, info: Info[Context, None]) -> BodyType:
        return BodyType.from_row(info.context.reference.bodies[self.body_code])

    @strawberry.field(description="Their role, in the caller's language.")
    def role_label(self, info: Info[Context, None]) -> str:
        return info.context.translator.gettext(ROLE_LABELS[self.role])


@strawberry.type(description="A link that lets one staff member set their password.")
class StaffInvitationLink:
    url: str = strawberry.field(
        description="The link to hand to the member, shown this once (only its hash is kept). "
        "Single use; a newer link or a deactivation voids it."
    )
    expires_at: datetime = strawberry.field(description="When it stops working (48 hours).")


@strawberry.type(description="The result of an invitation or a password reset.")
class StaffInvitationPayload:
    staff_member: StaffMember | None = strawberry.field(description="The account; null on errors.")
    invitation: StaffInvitationLink | None = strawberry.field(
        description="The link that sets the password; null on errors."
    )
    errors: list[StaffError] = strawberry.field(description="Empty on success.")


@strawberry.type(description="The result of an operation on a staff account.")
class StaffMemberPayload:
    staff_member: StaffMember | None = strawberry.field(
        description="The account after the operation; null on errors."
    )
    errors: list[StaffError] = strawberry.field(description="Empty on success.")


@strawberry.type(description="The result of setting one's password from a link.")
class StaffInvitationAcceptPayload:
    done: bool = strawberry.field(description="True once the password is set: log in with it.")
    errors: list[StaffError] = strawberry.field(description="Empty on success.")


@strawberry.input(description="A new staff account.")
class StaffInviteInput:
    email: str = strawberry.field(description="Their work e-mail address (their login).")
    name: str = strawberry.field(description="Their name, as colleagues know it.")
    body_code: strawberry.ID = strawberry.field(description="The body they work for.")
    role: Role = strawberry.field(description="What they may do.")


def invitation_url(info: Info[Context, None], token: str) -> str:
    """Where the member sets their password: the console page, the secret in the query
    (never in a path), served with Referrer-Policy: no-referrer."""
    base = info.context.settings.public_url
    request = info.context.request
    if not base and request is not None:
        base = str(request.base_url).rstrip("/")
    return f"{base}{accounts.INVITATION_PATH}?{urlencode({'token': token})}"


def _errors(errors: list[DomainError], info: Info[Context, None]) -> list[StaffError]:
    return payload_errors(errors, info.context.translator, StaffError, StaffErrorCode)


async def _administering(
    info: Info[Context, None],
    operation: Callable[[AsyncSession, StaffIdentity, ReferenceData], Awaitable[T]],
) -> T | list[StaffError]:
    """Run ``operation`` (which checks the caller administers accounts) in a write
    transaction; its result, or the typed errors."""
    context = info.context
    try:
        identity = context.caller.staff
        if identity is None:
            raise not_authenticated()
        async with context.db.writing() as session:
            return await operation(session, identity, context.reference)
    except ValidationFailed as failed:
        return _errors(failed.errors, info)
    except DomainError as error:
        return _errors([error], info)


def _invitation_payload(
    info: Info[Context, None], outcome: accounts.Invitation | list[StaffError]
) -> StaffInvitationPayload:
    if isinstance(outcome, list):
        return StaffInvitationPayload(staff_member=None, invitation=None, errors=outcome)
    return StaffInvitationPayload(
        staff_member=StaffMember.from_row(outcome.staff, show_email=True),
        invitation=StaffInvitationLink(
            url=invitation_url(info, outcome.token), expires_at=as_utc(outcome.expires_at)
        ),
        errors=[],
    )


def _member_payload(outcome: StaffUser | list[StaffError]) -> StaffMemberPayload:
    if isinstance(outcome, list):
        return StaffMemberPayload(staff_member=None, errors=outcome)
    return StaffMemberPayload(
        staff_member=StaffMember.from_row(outcome, show_email=True), errors=[]
    )


@strawberry.type
class StaffAccountQuery:
    @strawberry.field(
        description="The staff of my bodies, by body then name: colleagues to assign for item "
        "workers; every account they manage (e-mails, deactivated ones) for administrators.",
        metadata=field_access.staff(ITEM_READ),
    )
    async def staff_directory(
        self,
        info: Info[Context, None],
        include_inactive: Annotated[
            bool,
            strawberry.argument(description="Also deactivated accounts (administrators)."),
        ] = False,
    ) -> list[StaffMember]:
        context = info.context
        identity = context.caller.staff
        if identity is not None and identity.role is Role.ADMIN:
            bodies = accounts.administered_bodies(identity, context.reference)
            admin = True
        else:
            identity = require_item_work(identity, "items:read")
            bodies, admin = covered_bodies(identity, context.reference), False
        async with context.db.reading() as session:
            rows = await accounts.staff_directory(
                session, bodies, include_inactive=include_inactive and admin
            )
        return [StaffMember.from_row(r, show_email=admin) for r in rows]


@strawberry.type
class StaffAccountMutation:
    @strawberry.mutation(
        description="Create a staff account of one of my bodies (administrators; ALM's for "
        "every body) and the link, valid 48 hours, with which its member sets a password.",
        metadata=field_access.staff(ADMINISTRATION),
    )
    async def staff_invite(
        self,
        info: Info[Context, None],
        input: Annotated[StaffInviteInput, strawberry.argument(description="The account.")],
    ) -> StaffInvitationPayload:
        now = info.context.now
        outcome = await _administering(
            info,
            lambda s, who, reference: accounts.invite(
                s,
                who,
                reference,
                email=input.email,
                name=input.name,
                body_code=str(input.body_code),
                role=input.role,
                now=now,
            ),
        )
        return _invitation_payload(info, outcome)

    @strawberry.mutation(
        description="Change the role of a staff member of my bodies.",
        metadata=field_access.staff(ADMINISTRATION),
    )
    async def staff_role_change(
        self,
        info: Info[Context, None],
        id: StaffId,
        role: Annotated[Role, strawberry.argument(description="The new role.")],
    ) -> StaffMemberPayload:
        now, staff_id = info.context.now, id_number(id)
        outcome = await _administering(
            info,
            lambda s, who, ref: accounts.change_role(s, who, ref, staff_id, role, now),
        )
        return _member_payload(outcome)

    @strawberry.mutation(
        description="Deactivate a staff member of my bodies: their sessions, access tokens and "
        "pending links stop at once.",
        metadata=field_access.staff(ADMINISTRATION),
    )
    async def staff_deactivate(
        self,
        info: Info[Context, None],
        id: StaffId,
    ) -> StaffMemberPayload:
        now, staff_id = info.context.now, id_number(id)
        outcome = await _administering(
            info, lambda s, who, reference: accounts.deactivate(s, who, reference, staff_id, now)
        )
        return _member_payload(outcome)

    @strawberry.mutation(
        description="Make a new link (48 hours, single use) with which a staff member of my "
        "bodies sets a new password; older links stop working.",
        metadata=field_access.staff(ADMINISTRATION),
    )
    async def staff_password_reset(
        self,
        info: Info[Context, None],
        id: StaffId,
    ) -> StaffInvitationPayload:
        now, staff_id = info.context.now, id_number(id)
        outcome = await _administering(
            info,
            lambda s, who, ref: accounts.reset_password(s, who, ref, staff_id, now),
        )
        return _invitation_payload(info, outcome)

    @strawberry.mutation(
        description="Set one's password with the link an administrator gave (no login needed).",
        metadata=field_access.public(scope=None),
    )
    async def staff_invitation_accept(
        self,
        info: Info[Context, None],
        token: Annotated[str, strawberry.argument(description="The link's token parameter.")],
        password: Annotated[str, strawberry.argument(description="The new password.")],
    ) -> StaffInvitationAcceptPayload:
        context = info.context
        try:
            async with context.db.writing() as session:
                await accounts.accept_invitation(session, token, password, context.now)
        except ValidationFailed as failed:
            return StaffInvitationAcceptPayload(done=False, errors=_errors(failed.errors, info))
        except DomainError as error:
            return StaffInvitationAcceptPayload(done=False, errors=_errors([error], info))
        return StaffInvitationAcceptPayload(done=True, errors=[])
