"""Staff rules: accounts, logging in and out, sessions, personal access tokens.

Secrets handed to a browser or a script (session tokens, access tokens) are random; only
their SHA-256 is stored, so a copy of the database opens nothing. Revoking is a timestamp,
checked on every request: it takes effect at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.errors import N_, DomainError, ValidationFailed
from service.items.rules import as_utc
from service.origins import origin_of
from service.privacy.crypto import FieldCipher
from service.privacy.rules import keyed_hash
from service.staff import passwords, second_factor
from service.staff.errors import StaffErrorCode
from service.staff.models import AccessToken, AuditEntry, Role, StaffSession, StaffUser
from service.staff.throttle import LoginThrottle

SESSION_COOKIE = "alm_staff"
SESSION_LIFETIME = timedelta(hours=8)
ACCESS_TOKEN_PREFIX = "alm_pat_"
# What a personal access token may do; the staff member's role still applies on top.
# staff:write lets an administrator's script manage accounts (service.staff.accounts).
TOKEN_SCOPES = frozenset({"items:read", "items:write", "staff:read", "staff:write"})
MAX_TOKEN_NAME = 100


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class StaffIdentity:
    """Who a staff request comes from, and through what."""

    staff_id: int
    name: str
    body_code: str
    role: Role
    via: str  # "session" or "token"
    session_id: int | None = None
    scopes: frozenset[str] = TOKEN_SCOPES

    @property
    def actor(self) -> str:
        """How the item history names this staff member."""
        return f"staff:{self.staff_id}"


async def create_staff(
    session: AsyncSession,
    *,
    email: str,
    name: str,
    body_code: str,
    role: Role,
    password: str,
    now: datetime,
) -> StaffUser:
    user = StaffUser(
        email=email.strip().lower(),
        name=name.strip(),
        body_code=body_code,
        role=role.value,
        password_hash=passwords.hash_password(password),
        created_at=now,
    )
    session.add(user)
    await session.flush()
    return user


def login_keys(secret_key: str, host: str, email: str) -> tuple[str, str]:
    """The throttle's keys of a login attempt, as keyed hashes (neither the address nor the
    e-mail is kept): the network origin (an IPv6 address's /64) and the account. The API's
    login and the console's count in the same buckets."""
    return (
        keyed_hash(secret_key, "login-origin", origin_of(host)),
        keyed_hash(secret_key, "login-account", email.strip().lower()),
    )


def invalid_credentials() -> DomainError:
    # One message for a wrong e-mail and a wrong password: it must not tell which.
    return DomainError(
        StaffErrorCode.INVALID_CREDENTIALS,
        N_("The e-mail address or the password is not right."),
        field="password",
    )


async def check_password(
    session: AsyncSession,
    throttle: LoginThrottle,
    *,
    email: str,
    password: str,
    origin_key: str,
    account_key: str,
) -> StaffUser:
    """The active account these credentials open (the first factor), else a refusal; every
    failure counts in the login throttle."""
    if throttle.blocked(account_key, origin_key):
        raise too_many_attempts()
    statement = select(StaffUser).where(StaffUser.email == email.strip().lower())
    user = (await session.exec(statement)).first()
    # An account without a password (made by an identity provider, or waiting for its
    # invitation) is checked against the dummy hash too: the timing tells nothing.
    usable = user is not None and user.password_hash.startswith("scrypt$")
    valid = passwords.verify_password(
        password, user.password_hash if user and usable else passwords.DUMMY_HASH
    )
    if user is None or not usable or not valid or not user.active:
        throttle.failed(account_key, origin_key)
        raise invalid_credentials()
    return user


def too_many_attempts() -> DomainError:
    return DomainError(
        StaffErrorCode.TOO_MANY_ATTEMPTS,
        N_("Too many failed attempts. Please wait a few minutes before trying again."),
        field="password",
    )


async def second_factor_step(session: AsyncSession, user: StaffUser) -> str | None:
    """What a password sign-in still needs: "verify" (the account has a second factor),
    "enrol" (its body requires one and it has none yet), or None."""
    assert user.id is not None
    if await second_factor.factor_of(session, user.id) is not None:
        return "verify"
    if await second_factor.required_for(session, user.body_code):
        return "enrol"
    return None


def open_session(
    session: AsyncSession, user: StaffUser, now: datetime, detail: str | None = None
) -> str:
    """A new browser session of ``user`` (audited); returns its token, in clear this once."""
    token = secrets.token_urlsafe(32)
    assert user.id is not None
    session.add(
        AuditEntry(
            at=now, staff_id=user.id, body_code=user.body_code, action="logged_in", detail=detail
        )
    )
    session.add(
        StaffSession(
            token_hash=token_hash(token),
            staff_id=user.id,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    return token


async def log_in(
    session: AsyncSession,
    throttle: LoginThrottle,
    *,
    email: str,
    password: str,
    origin_key: str,
    account_key: str,
    now: datetime,
    cipher: FieldCipher,
    code: str | None = None,
) -> tuple[StaffUser, str]:
    """Check the credentials (and the second factor's ``code`` when the account has one) and
    open a session; returns the user and the session token."""
    user = await check_password(
        session,
        throttle,
        email=email,
        password=password,
        origin_key=origin_key,
        account_key=account_key,
    )
    step = await second_factor_step(session, user)
    if step == "enrol":
        raise DomainError(
            StaffErrorCode.SECOND_FACTOR_ENROLMENT_REQUIRED,
            N_("Your body requires a second factor: set it up in the staff console first."),
            field="code",
        )
    if step == "verify":
        if not code:
            raise DomainError(
                StaffErrorCode.SECOND_FACTOR_REQUIRED,
                N_("Type the code of your authenticator app, or a recovery code."),
                field="code",
            )
        if not await second_factor.verify(session, cipher, user, code, now):
            throttle.failed(account_key, origin_key)
            raise second_factor.invalid_code()
    throttle.succeeded(account_key, origin_key)
    return user, open_session(session, user, now)


async def identity_for_session(
    session: AsyncSession, token: str, now: datetime
) -> StaffIdentity | None:
    statement = (
        select(StaffSession, StaffUser)
        .join(StaffUser, StaffUser.id == StaffSession.staff_id)  # type: ignore[arg-type]
        .where(StaffSession.token_hash == token_hash(token))
    )
    row = (await session.exec(statement)).first()
    if row is None:
        return None
    staff_session, user = row
    if (
        staff_session.revoked_at is not None
        or as_utc(staff_session.expires_at) <= now
        or not user.active
    ):
        return None
    return identity_of(user, "session", session_id=staff_session.id)


async def identity_for_token(
    session: AsyncSession, token: str, now: datetime
) -> StaffIdentity | None:
    if not token.startswith(ACCESS_TOKEN_PREFIX):
        return None
    statement = (
        select(AccessToken, StaffUser)
        .join(StaffUser, StaffUser.id == AccessToken.staff_id)  # type: ignore[arg-type]
        .where(AccessToken.token_hash == token_hash(token))
    )
    row = (await session.exec(statement)).first()
    if row is None:
        return None
    access, user = row
    if access.revoked_at is not None or not user.active:
        return None
    return identity_of(user, "token", scopes=frozenset(access.scopes.split()))


def identity_of(
    user: StaffUser,
    via: str,
    *,
    session_id: int | None = None,
    scopes: frozenset[str] = TOKEN_SCOPES,
) -> StaffIdentity:
    assert user.id is not None
    return StaffIdentity(
        staff_id=user.id,
        name=user.name,
        body_code=user.body_code,
        role=Role(user.role),
        via=via,
        session_id=session_id,
        scopes=scopes,
    )


async def log_out(session: AsyncSession, identity: StaffIdentity, now: datetime) -> None:
    if identity.session_id is None:
        return
    staff_session = await session.get(StaffSession, identity.session_id)
    if staff_session is not None and staff_session.revoked_at is None:
        staff_session.revoked_at = now
        session.add(staff_session)
        session.add(
            AuditEntry(
                at=now,
                staff_id=identity.staff_id,
                body_code=identity.body_code,
                action="logged_out",
            )
        )


def scope_errors(scopes: list[str]) -> list[DomainError]:
    unknown = sorted(set(scopes) - TOKEN_SCOPES)
    if scopes and not unknown:
        return []
    return [
        DomainError(
            StaffErrorCode.INVALID_SCOPE,
            N_("Choose scopes among: %(scopes)s."),
            field="scopes",
            scopes=", ".join(sorted(TOKEN_SCOPES)),
        )
    ]


def token_name_errors(name: str) -> list[DomainError]:
    if name.strip() and len(name) <= MAX_TOKEN_NAME:
        return []
    return [
        DomainError(
            StaffErrorCode.TEXT_REQUIRED,
            N_("Give the token a name of at most %(limit)s characters."),
            field="name",
            limit=MAX_TOKEN_NAME,
        )
    ]


async def create_access_token(
    session: AsyncSession, staff_id: int, name: str, scopes: list[str], now: datetime
) -> tuple[AccessToken, str]:
    """A new token, returned in clear this once; only its hash is kept. Its scopes and name
    are checked here (``ValidationFailed``), for the API and the console alike."""
    errors = scope_errors(scopes) + token_name_errors(name)
    if errors:
        raise ValidationFailed(errors)
    token = ACCESS_TOKEN_PREFIX + secrets.token_urlsafe(32)
    access = AccessToken(
        token_hash=token_hash(token),
        staff_id=staff_id,
        name=name.strip(),
        scopes=" ".join(sorted(set(scopes))),
        created_at=now,
    )
    session.add(access)
    await session.flush()
    return access, token


async def access_tokens_of(session: AsyncSession, staff_id: int) -> list[AccessToken]:
    """One's access tokens, newest first, the revoked ones too (without their secrets)."""
    statement = (
        select(AccessToken)
        .where(AccessToken.staff_id == staff_id)
        .order_by(col(AccessToken.id).desc())
    )
    return list((await session.exec(statement)).all())


async def revoke_access_token(
    session: AsyncSession, staff_id: int, token_id: int, now: datetime
) -> AccessToken:
    access = await session.get(AccessToken, token_id)
    if access is None or access.staff_id != staff_id:  # another's token is "not found"
        raise DomainError(
            StaffErrorCode.NOT_FOUND, N_("There is no such access token."), field="id"
        )
    if access.revoked_at is None:
        access.revoked_at = now
        session.add(access)
    return access
