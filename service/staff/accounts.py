"""Staff accounts, managed by administrators: list, invite, change role, deactivate, reset.

An administrator manages the accounts of their bodies (their body and the bodies under it);
ALM's administrators manage every body's. A new account gets no password: the administrator
hands its member an **invitation link** (e-mail, chat, on paper) that sets it; a reset makes a
new link the same way. A link is random, shown once, stored as its SHA-256 only (a copy of the
database opens nothing), valid 48 hours, used once; a newer link or a deactivation voids the
older ones. Deactivating stops the member's sessions and access tokens at once (they are
revoked, and every request checks the account is active). Every operation is audited.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.errors import N_, DomainError, ValidationFailed
from service.inputs import first_refusal
from service.reference import ReferenceData
from service.staff import passwords, second_factor
from service.staff.errors import StaffErrorCode
from service.staff.models import (
    AccessToken,
    AuditEntry,
    InvitationPurpose,
    Role,
    StaffInvitation,
    StaffSession,
    StaffUser,
)
from service.staff.permissions import covered_bodies, forbidden, not_authenticated
from service.staff.rules import StaffIdentity, token_hash
from service.territory.models import BodyKind

INVITATION_LIFETIME = timedelta(hours=48)
# The console page where a member sets their password (the secret goes in its query).
INVITATION_PATH = "/console/invitation"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
MAX_NAME = 100
MAX_EMAIL = 254


@dataclass(frozen=True)
class Invitation:
    """A link's secret, in clear this once, and when it stops working."""

    staff: StaffUser
    token: str
    expires_at: datetime


def administered_bodies(identity: StaffIdentity | None, reference: ReferenceData) -> frozenset[str]:
    """The bodies whose accounts this administrator manages; refuses anyone else.

    ALM's own administrators manage every body (they run the service for the 29 communes);
    another body's administrators manage theirs and the bodies under it.
    """
    if identity is None:
        raise not_authenticated()
    if identity.role is not Role.ADMIN or "staff:read" not in identity.scopes:
        raise forbidden()
    body = reference.bodies.get(identity.body_code)
    if body is not None and body.kind == BodyKind.METROPOLE.value:
        return frozenset(reference.bodies)
    return covered_bodies(identity, reference)


def _administering(actor: StaffIdentity, reference: ReferenceData) -> frozenset[str]:
    """The check of every operation on accounts, inside it (whichever door calls it): an
    administrator's bodies; with an access token, one that holds staff:write."""
    bodies = administered_bodies(actor, reference)
    if actor.via == "token" and "staff:write" not in actor.scopes:
        raise forbidden()
    return bodies


def password_errors(password: str, field: str = "password") -> list[DomainError]:
    if MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        return []
    return [
        DomainError(
            StaffErrorCode.WEAK_PASSWORD,
            N_("Choose a password of %(minimum)s to %(maximum)s characters."),
            field=field,
            minimum=MIN_PASSWORD_LENGTH,
            maximum=MAX_PASSWORD_LENGTH,
        )
    ]


def passwords_differ() -> DomainError:
    return DomainError(
        StaffErrorCode.WEAK_PASSWORD,
        N_("The two passwords differ: type the same one twice."),
        field="confirmation",
    )


def _member_errors(email: str, name: str) -> list[DomainError]:
    errors: list[DomainError] = []
    for field, value in (("email", email), ("name", name)):
        refusal = first_refusal(value, field)
        if refusal is not None:
            errors.append(refusal.error())
    address = email.strip()
    local, _, domain = address.partition("@")
    if not local or "." not in domain or len(address) > MAX_EMAIL or " " in address:
        errors.append(
            DomainError(
                StaffErrorCode.INVALID_EMAIL,
                N_("Give a work e-mail address such as name@angers.fr."),
                field="email",
            )
        )
    if not name.strip() or len(name) > MAX_NAME:
        errors.append(
            DomainError(
                StaffErrorCode.TEXT_REQUIRED,
                N_("Give a name of at most %(limit)s characters."),
                field="name",
                limit=MAX_NAME,
            )
        )
    return errors


def _audit(
    session: AsyncSession,
    actor: StaffIdentity,
    action: str,
    member: StaffUser,
    now: datetime,
    more: str = "",
) -> None:
    # The detail names the account by id and role, never by e-mail: the log holds no address.
    session.add(
        AuditEntry(
            at=now,
            staff_id=actor.staff_id,
            body_code=actor.body_code,
            action=action,
            detail=f"staff:{member.id} {member.role} {member.body_code} {more}".strip(),
        )
    )


def _unknown_member() -> DomainError:
    return DomainError(
        StaffErrorCode.NOT_FOUND, N_("There is no staff member with this id in your bodies.")
    )


async def staff_directory(
    session: AsyncSession, bodies: frozenset[str], *, include_inactive: bool = False
) -> list[StaffUser]:
    """The staff of these bodies, by body then name."""
    statement = select(StaffUser).where(col(StaffUser.body_code).in_(sorted(bodies)))
    if not include_inactive:
        statement = statement.where(col(StaffUser.active).is_(True))
    statement = statement.order_by(col(StaffUser.body_code), col(StaffUser.name), col(StaffUser.id))
    return list((await session.exec(statement)).all())


async def member_in_scope(
    session: AsyncSession, staff_id: int, bodies: frozenset[str]
) -> StaffUser:
    member = await session.get(StaffUser, staff_id)
    if member is None or member.body_code not in bodies:
        raise _unknown_member()
    return member


async def _new_invitation(
    session: AsyncSession,
    member: StaffUser,
    purpose: InvitationPurpose,
    created_by: int | None,
    now: datetime,
) -> Invitation:
    assert member.id is not None
    await _void_invitations(session, member.id, now)
    token = secrets.token_urlsafe(32)
    expires = now + INVITATION_LIFETIME
    session.add(
        StaffInvitation(
            token_hash=token_hash(token),
            staff_id=member.id,
            purpose=purpose.value,
            created_by_id=created_by,
            created_at=now,
            expires_at=expires,
        )
    )
    return Invitation(member, token, expires)


async def _void_invitations(session: AsyncSession, staff_id: int, now: datetime) -> None:
    await session.exec(
        update(StaffInvitation)
        .where(col(StaffInvitation.staff_id) == staff_id, col(StaffInvitation.used_at).is_(None))
        .values(used_at=now)
    )


async def invite(
    session: AsyncSession,
    actor: StaffIdentity,
    reference: ReferenceData,
    *,
    email: str,
    name: str,
    body_code: str,
    role: Role,
    now: datetime,
) -> Invitation:
    """Create an account without a usable password, and the link that sets one."""
    bodies = _administering(actor, reference)
    errors = _member_errors(email, name)
    if body_code not in bodies:
        errors.append(
            DomainError(
                StaffErrorCode.NOT_FOUND,
                N_("You do not manage the accounts of this body."),
                field="bodyCode",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    address = email.strip().lower()
    taken = (await session.exec(select(StaffUser.id).where(StaffUser.email == address))).first()
    if taken is not None:
        raise _email_taken()
    member = StaffUser(
        email=address,
        name=name.strip(),
        body_code=body_code,
        role=role.value,
        # A random password nobody knows (hashed like any: a login attempt on an invited
        # account takes as long as on any other, so timing tells nothing).
        password_hash=passwords.hash_password(secrets.token_urlsafe(32)),
        created_at=now,
    )
    session.add(member)
    try:
        await session.flush()
    except IntegrityError:
        raise _email_taken() from None
    _audit(session, actor, "staff_invited", member, now)
    return await _new_invitation(session, member, InvitationPurpose.INVITE, actor.staff_id, now)


def _email_taken() -> DomainError:
    return DomainError(
        StaffErrorCode.EMAIL_TAKEN,
        N_("This e-mail address already has an account."),
        field="email",
    )


def _not_oneself(actor: StaffIdentity, member: StaffUser) -> None:
    # An administrator cannot demote or lock out themselves: another administrator must.
    if member.id == actor.staff_id:
        raise DomainError(
            StaffErrorCode.NOT_ONESELF,
            N_("Ask another administrator to change your own account."),
            field="id",
        )


async def change_role(
    session: AsyncSession,
    actor: StaffIdentity,
    reference: ReferenceData,
    staff_id: int,
    role: Role,
    now: datetime,
) -> StaffUser:
    bodies = _administering(actor, reference)
    member = await member_in_scope(session, staff_id, bodies)
    _not_oneself(actor, member)
    if member.role != role.value:
        before = member.role
        member.role = role.value
        session.add(member)
        _audit(session, actor, "staff_role_changed", member, now, f"from {before}")
    return member


async def deactivate(
    session: AsyncSession,
    actor: StaffIdentity,
    reference: ReferenceData,
    staff_id: int,
    now: datetime,
) -> StaffUser:
    """Stop an account: its sessions, access tokens and pending links stop at once."""
    bodies = _administering(actor, reference)
    member = await member_in_scope(session, staff_id, bodies)
    _not_oneself(actor, member)
    if member.active:
        member.active = False
        session.add(member)
        await session.exec(
            update(StaffSession)
            .where(col(StaffSession.staff_id) == staff_id, col(StaffSession.revoked_at).is_(None))
            .values(revoked_at=now)
        )
        await session.exec(
            update(AccessToken)
            .where(col(AccessToken.staff_id) == staff_id, col(AccessToken.revoked_at).is_(None))
            .values(revoked_at=now)
        )
        await _void_invitations(session, staff_id, now)
        _audit(session, actor, "staff_deactivated", member, now)
    return member


async def reset_password(
    session: AsyncSession,
    actor: StaffIdentity,
    reference: ReferenceData,
    staff_id: int,
    now: datetime,
) -> Invitation:
    """A new link that sets a new password (the old password keeps working until then)."""
    bodies = _administering(actor, reference)
    member = await member_in_scope(session, staff_id, bodies)
    if not member.active:
        raise DomainError(
            StaffErrorCode.INACTIVE,
            N_("This account is deactivated."),
            field="id",
        )
    _audit(session, actor, "staff_password_reset", member, now)
    return await _new_invitation(session, member, InvitationPurpose.RESET, actor.staff_id, now)


def invalid_invitation() -> DomainError:
    return DomainError(
        StaffErrorCode.INVALID_INVITATION,
        N_(
            "This link is not valid: it was already used, replaced by a newer one or is more "
            "than 48 hours old. Ask your administrator for a new one."
        ),
        field="token",
    )


async def invitation_member(
    session: AsyncSession, token: str, now: datetime
) -> tuple[StaffInvitation, StaffUser]:
    """The pending link with this secret and its account; INVALID_INVITATION otherwise."""
    statement = (
        select(StaffInvitation, StaffUser)
        .join(StaffUser, StaffUser.id == StaffInvitation.staff_id)  # type: ignore[arg-type]
        .where(StaffInvitation.token_hash == token_hash(token))
    )
    row = (await session.exec(statement)).first()
    if row is None:
        raise invalid_invitation()
    invitation, member = row
    expires = invitation.expires_at
    expires = expires if expires.tzinfo else expires.replace(tzinfo=now.tzinfo)
    if invitation.used_at is not None or expires <= now or not member.active:
        raise invalid_invitation()
    return invitation, member


async def accept_invitation(
    session: AsyncSession, token: str, password: str, now: datetime
) -> StaffUser:
    """Set the password a link was made for; the link is spent, the member's other sessions
    stop (a reset is often a lost or leaked password)."""
    invitation, member = await invitation_member(session, token, now)
    errors = password_errors(password)
    if errors:
        raise ValidationFailed(errors)
    member.password_hash = passwords.hash_password(password)
    session.add(member)
    invitation.used_at = now
    session.add(invitation)
    assert member.id is not None
    await session.exec(
        update(StaffSession)
        .where(col(StaffSession.staff_id) == member.id, col(StaffSession.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    removed = ""
    if invitation.purpose == InvitationPurpose.RESET.value:
        # A reset is also how a member who lost the phone of their second factor (and its
        # recovery codes) gets back in: the factor goes with the old password; where the body
        # requires one, the next sign-in sets a new one up.
        if await second_factor.remove(session, member.id):
            removed = " second_factor_removed"
    session.add(
        AuditEntry(
            at=now,
            staff_id=member.id,
            body_code=member.body_code,
            action="staff_password_set",
            detail=f"staff:{member.id} {invitation.purpose}{removed}",
        )
    )
    return member
