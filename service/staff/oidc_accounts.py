"""Accounts of staff who sign in through an OpenID provider: links, pre-authorisations.

- An account is found by its **link** (provider, subject), never by e-mail alone.
- A subject with no link opens nothing unless an administrator **pre-authorised** the person
  for that provider and that body: by e-mail (a verified ``email`` claim; used once), or by a
  rule on a claim the provider's settings allow (``groups`` holding a value; standing until
  withdrawn). The account gets the body and the role the administrator chose: roles never
  come from the provider. A person pre-authorised by e-mail whose e-mail is already an account
  of that body gets that account linked (the administrator named them); a rule never links an
  existing account.
- A deactivated account is refused whatever the provider says; its sessions already stopped.
- Everything is audited: sign-ins (``logged_in`` with the provider), links, unlinks,
  pre-authorisations made and withdrawn, refusals of a known account.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.errors import N_, DomainError, ValidationFailed
from service.reference import ReferenceData
from service.staff import rules
from service.staff.accounts import administered_bodies
from service.staff.errors import StaffErrorCode
from service.staff.models import (
    AuditEntry,
    Role,
    StaffOidcLink,
    StaffOidcPreauthorisation,
    StaffUser,
)
from service.staff.oidc_settings import OidcProvider
from service.staff.permissions import forbidden
from service.staff.rules import StaffIdentity

logger = logging.getLogger(__name__)
NO_PASSWORD = "!"  # no scrypt hash: a password never opens an account made by a provider


class AccountRefused(DomainError):
    """A linked account that may not sign in (deactivated, or of a body the provider no
    longer serves): the caller audits it (``audit_refusal``) once this transaction is gone."""

    def __init__(self, staff_id: int, body_code: str) -> None:
        super().__init__(
            StaffErrorCode.INACTIVE,
            N_("This account is deactivated. Ask an administrator of your body."),
        )
        self.staff_id, self.body_code = staff_id, body_code


def audit_refusal(
    session: AsyncSession, refusal: AccountRefused, provider: OidcProvider, now: datetime
) -> None:
    session.add(
        AuditEntry(
            at=now,
            staff_id=refusal.staff_id,
            body_code=refusal.body_code,
            action="sign_in_refused",
            detail=f"provider={provider.id}",
        )
    )


def not_preauthorised() -> DomainError:
    return DomainError(
        StaffErrorCode.NOT_PREAUTHORISED,
        N_(
            "You have no account here yet, and no administrator of this body has authorised "
            "you to sign in this way. Ask an administrator of your body."
        ),
    )


def provider_refused() -> DomainError:
    return DomainError(
        StaffErrorCode.PROVIDER_REFUSED,
        N_("The sign-in through your organisation failed or could not be checked. Try again."),
    )


def _claim_holds(claims: dict[str, Any], claim: str, value: str) -> bool:
    held = claims.get(claim)
    if isinstance(held, list):
        return value in [str(v) for v in held]
    return held is not None and str(held) == value


def _verified_email(claims: dict[str, Any]) -> str | None:
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email or claims.get("email_verified") is not True:
        return None
    return email.strip().lower()


async def _preauthorisation(
    session: AsyncSession, provider: OidcProvider, body_code: str, claims: dict[str, Any]
) -> StaffOidcPreauthorisation | None:
    statement = select(StaffOidcPreauthorisation).where(
        StaffOidcPreauthorisation.provider == provider.id,
        StaffOidcPreauthorisation.body_code == body_code,
        col(StaffOidcPreauthorisation.withdrawn_at).is_(None),
    )
    email = _verified_email(claims)
    rules_found = (await session.exec(statement.order_by(col(StaffOidcPreauthorisation.id)))).all()
    for rule in rules_found:  # a named person first: their administrator chose their role
        if rule.email is not None and rule.used_at is None and rule.email == email:
            return rule
    for rule in rules_found:
        if (
            rule.claim is not None
            and rule.claim in provider.claims
            and rule.claim_value is not None
            and _claim_holds(claims, rule.claim, rule.claim_value)
        ):
            return rule
    return None


async def sign_in(
    session: AsyncSession,
    provider: OidcProvider,
    body_code: str,
    claims: dict[str, Any],
    now: datetime,
) -> tuple[StaffUser, str]:
    """Open a session for the person of verified ID token ``claims``; returns the account
    and the session token, or raises a refusal (NOT_PREAUTHORISED, INACTIVE)."""
    subject = str(claims["sub"])
    statement = select(StaffOidcLink).where(
        StaffOidcLink.provider == provider.id, StaffOidcLink.subject == subject
    )
    link = (await session.exec(statement)).first()
    if link is not None:
        user = await session.get(StaffUser, link.staff_id)
        assert user is not None and user.id is not None
        if not user.active or user.body_code not in provider.bodies:
            raise AccountRefused(user.id, user.body_code)
        link.last_used_at = now
        session.add(link)
        return user, rules.open_session(session, user, now, detail=f"provider={provider.id}")
    if body_code not in provider.bodies:
        raise not_preauthorised()
    rule = await _preauthorisation(session, provider, body_code, claims)
    email = _verified_email(claims)
    if rule is None or email is None:
        logger.info("oidc sign-in of an unknown subject refused (provider %s)", provider.id)
        raise not_preauthorised()
    existing = (await session.exec(select(StaffUser).where(StaffUser.email == email))).first()
    if existing is not None and (
        rule.email is None or existing.body_code != rule.body_code or not existing.active
    ):
        logger.info("oidc sign-in refused: e-mail of another account (provider %s)", provider.id)
        raise not_preauthorised()
    user = existing or StaffUser(
        email=email,
        name=str(claims.get("name") or email)[:100],
        body_code=rule.body_code,
        role=rule.role,
        password_hash=NO_PASSWORD,
        created_at=now,
    )
    if existing is not None:
        user.role = rule.role  # the administrator chose it for this person
    session.add(user)
    await session.flush()
    assert user.id is not None
    session.add(
        StaffOidcLink(
            staff_id=user.id,
            provider=provider.id,
            subject=subject,
            created_at=now,
            last_used_at=now,
        )
    )
    if rule.email is not None:
        rule.used_at = now
        session.add(rule)
    session.add(
        AuditEntry(
            at=now,
            staff_id=user.id,
            body_code=user.body_code,
            action="oidc_linked",
            detail=f"provider={provider.id} rule={rule.id}",
        )
    )
    return user, rules.open_session(session, user, now, detail=f"provider={provider.id}")


# Administration -----------------------------------------------------------------------


def _rule_errors(
    provider: OidcProvider | None,
    body_code: str,
    bodies: frozenset[str],
    email: str,
    claim: str,
    claim_value: str,
) -> list[DomainError]:
    errors: list[DomainError] = []
    if provider is None or body_code not in bodies or body_code not in provider.bodies:
        errors.append(
            DomainError(
                StaffErrorCode.FORBIDDEN,
                N_("Choose a provider and a body it may sign people into."),
                field="provider",
            )
        )
    by_email = bool(email.strip())
    by_claim = bool(claim.strip() and claim_value.strip())
    if by_email == by_claim:
        errors.append(
            DomainError(
                StaffErrorCode.TEXT_REQUIRED,
                N_("Give either a person's e-mail address or a claim and its value."),
                field="email",
            )
        )
    elif by_email and ("@" not in email or len(email) > 254 or " " in email.strip()):
        errors.append(
            DomainError(
                StaffErrorCode.INVALID_EMAIL,
                N_("Give a work e-mail address such as name@angers.fr."),
                field="email",
            )
        )
    elif by_claim and (provider is None or claim not in provider.claims or len(claim_value) > 200):
        errors.append(
            DomainError(
                StaffErrorCode.FORBIDDEN,
                N_("This provider's settings allow rules on these claims only: %(claims)s."),
                field="claim",
                claims=", ".join(provider.claims) if provider and provider.claims else "-",
            )
        )
    return errors


async def preauthorise(
    session: AsyncSession,
    actor: StaffIdentity,
    reference: ReferenceData,
    providers: dict[str, OidcProvider],
    *,
    provider_id: str,
    body_code: str,
    role: Role,
    email: str = "",
    claim: str = "",
    claim_value: str = "",
    now: datetime,
) -> StaffOidcPreauthorisation:
    """An administrator lets a person (or a claim rule) sign in first through a provider."""
    bodies = administered_bodies(actor, reference)
    if actor.via == "token" and "staff:write" not in actor.scopes:
        raise forbidden()
    provider = providers.get(provider_id)
    errors = _rule_errors(provider, body_code, bodies, email, claim, claim_value)
    if errors:
        raise ValidationFailed(errors)
    rule = StaffOidcPreauthorisation(
        provider=provider_id,
        body_code=body_code,
        role=role.value,
        email=email.strip().lower() or None,
        claim=claim.strip() or None,
        claim_value=claim_value.strip() or None,
        created_by_id=actor.staff_id,
        created_at=now,
    )
    session.add(rule)
    await session.flush()
    session.add(
        AuditEntry(
            at=now,
            staff_id=actor.staff_id,
            body_code=actor.body_code,
            action="oidc_preauthorised",
            detail=f"rule={rule.id} provider={provider_id} body={body_code} role={role.value}",
        )
    )
    return rule


async def preauthorisations(
    session: AsyncSession, actor: StaffIdentity, reference: ReferenceData
) -> list[StaffOidcPreauthorisation]:
    """The standing pre-authorisations of the administrator's bodies, newest first."""
    bodies = administered_bodies(actor, reference)
    statement = (
        select(StaffOidcPreauthorisation)
        .where(
            col(StaffOidcPreauthorisation.body_code).in_(sorted(bodies)),
            col(StaffOidcPreauthorisation.withdrawn_at).is_(None),
            col(StaffOidcPreauthorisation.used_at).is_(None),
        )
        .order_by(col(StaffOidcPreauthorisation.id).desc())
    )
    return list((await session.exec(statement)).all())


async def withdraw(
    session: AsyncSession,
    actor: StaffIdentity,
    reference: ReferenceData,
    rule_id: int,
    now: datetime,
) -> None:
    bodies = administered_bodies(actor, reference)
    rule = await session.get(StaffOidcPreauthorisation, rule_id)
    if rule is None or rule.body_code not in bodies or rule.withdrawn_at is not None:
        raise DomainError(StaffErrorCode.NOT_FOUND, N_("There is no such pre-authorisation."))
    rule.withdrawn_at = now
    session.add(rule)
    session.add(
        AuditEntry(
            at=now,
            staff_id=actor.staff_id,
            body_code=actor.body_code,
            action="oidc_preauthorisation_withdrawn",
            detail=f"rule={rule.id}",
        )
    )


async def links_of(session: AsyncSession, staff_id: int) -> list[StaffOidcLink]:
    statement = select(StaffOidcLink).where(StaffOidcLink.staff_id == staff_id)
    return list((await session.exec(statement)).all())


async def unlink(
    session: AsyncSession,
    actor: StaffIdentity,
    reference: ReferenceData,
    link_id: int,
    now: datetime,
) -> None:
    """An administrator removes an account's link to a provider: that subject opens nothing
    any more (until pre-authorised again)."""
    bodies = administered_bodies(actor, reference)
    link = await session.get(StaffOidcLink, link_id)
    member = await session.get(StaffUser, link.staff_id) if link is not None else None
    if link is None or member is None or member.body_code not in bodies:
        raise DomainError(StaffErrorCode.NOT_FOUND, N_("There is no such link."))
    await session.delete(link)
    session.add(
        AuditEntry(
            at=now,
            staff_id=actor.staff_id,
            body_code=actor.body_code,
            action="oidc_unlinked",
            detail=f"member={member.id} provider={link.provider}",
        )
    )
