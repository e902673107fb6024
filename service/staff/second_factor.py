"""A second factor for local passwords: TOTP (RFC 6238) and single-use recovery codes.

- The secret is made here, shown once (as text and an ``otpauth://`` URI for an
  authenticator app), kept encrypted at rest (``FieldCipher``), and enrolled only when the
  member types a right code from it.
- A code is 6 digits of a 30-second step; the step before and after are accepted (clock
  drift), and **never a step already used**: the last accepted step is stored, and raised by
  a conditional UPDATE, so two requests racing with one code cannot both pass.
- Ten recovery codes are made at enrolment, shown once, stored as SHA-256 (they are random,
  50 bits each: a slow hash adds nothing), each good once.
- A body's administrators may require a second factor for its local-password accounts
  (``BodySignInPolicy``); accounts of an OpenID provider rely on the provider's own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.errors import N_, DomainError
from service.privacy.crypto import FieldCipher
from service.staff.errors import StaffErrorCode
from service.staff.models import (
    AuditEntry,
    BodySignInPolicy,
    StaffRecoveryCode,
    StaffSecondFactor,
    StaffUser,
)

STEP_SECONDS = 30
DRIFT_STEPS = 1  # the step before and the step after are accepted too
RECOVERY_CODES = 10
ISSUER = "ALM Signalements"
SECRET_COLUMN = "staff_second_factor.secret"


def new_secret() -> str:
    """A fresh base32 secret of 160 bits (RFC 4226's recommended length)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads (by QR code or pasted)."""
    return pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(
        name=email, issuer_name=ISSUER
    )


def _step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str, now: datetime, after: int) -> int | None:
    """The time step ``code`` belongs to (now, or one step either side), if later than
    ``after``; compared in constant time."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    current = _step(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if step > after and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _recovery_hash(code: str) -> str:
    normalised = code.strip().lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(normalised.encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def invalid_code() -> DomainError:
    return DomainError(
        StaffErrorCode.SECOND_FACTOR_INVALID,
        N_("The code is not right, or was already used. Type the code your app shows now."),
        field="code",
    )


async def factor_of(session: AsyncSession, staff_id: int) -> StaffSecondFactor | None:
    return await session.get(StaffSecondFactor, staff_id)


async def required_for(session: AsyncSession, body_code: str) -> bool:
    """Whether the body requires a second factor of its local-password accounts."""
    policy = await session.get(BodySignInPolicy, body_code)
    return policy is not None and policy.second_factor_required


async def set_required(
    session: AsyncSession, body_code: str, required: bool, actor_id: int, now: datetime
) -> None:
    """Record a body's policy (the caller has checked the actor administers the body)."""
    policy = await session.get(BodySignInPolicy, body_code)
    if policy is None:
        policy = BodySignInPolicy(body_code=body_code, updated_at=now)
    policy.second_factor_required = required
    policy.updated_at, policy.updated_by_id = now, actor_id
    session.add(policy)
    action = "second_factor_required" if required else "second_factor_optional"
    session.add(AuditEntry(at=now, staff_id=actor_id, body_code=body_code, action=action))


async def enrol(
    session: AsyncSession,
    cipher: FieldCipher,
    user: StaffUser,
    secret: str,
    code: str,
    now: datetime,
) -> list[str]:
    """Enrol ``secret`` when ``code`` comes from it; returns the recovery codes, in clear this
    once. Enrolling again replaces the secret and the recovery codes."""
    assert user.id is not None
    step = matching_step(secret, code, now, after=0)
    if step is None:
        raise invalid_code()
    factor = await factor_of(session, user.id)
    encrypted = cipher.encrypt(secret, SECRET_COLUMN)
    assert encrypted is not None
    if factor is None:
        factor = StaffSecondFactor(staff_id=user.id, secret=encrypted, enrolled_at=now)
    factor.secret, factor.enrolled_at, factor.last_step = encrypted, now, step
    session.add(factor)
    await session.exec(delete(StaffRecoveryCode).where(col(StaffRecoveryCode.staff_id) == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    for recovery in codes:
        session.add(StaffRecoveryCode(staff_id=user.id, code_hash=_recovery_hash(recovery)))
    session.add(
        AuditEntry(
            at=now, staff_id=user.id, body_code=user.body_code, action="second_factor_enrolled"
        )
    )
    return codes


async def verify(
    session: AsyncSession, cipher: FieldCipher, user: StaffUser, code: str, now: datetime
) -> bool:
    """Whether ``code`` is a right, unused TOTP code or an unused recovery code of
    ``user``'s factor; using it marks it used (in this transaction)."""
    assert user.id is not None
    factor = await factor_of(session, user.id)
    if factor is None:
        return False
    secret = cipher.decrypt(factor.secret, SECRET_COLUMN)
    assert secret is not None
    step = matching_step(secret, code, now, after=factor.last_step)
    if step is not None:
        raised = await session.exec(
            update(StaffSecondFactor)
            .where(col(StaffSecondFactor.staff_id) == user.id)
            .where(col(StaffSecondFactor.last_step) < step)
            .values(last_step=step)
        )
        return bool(raised.rowcount == 1)
    used = await session.exec(
        update(StaffRecoveryCode)
        .where(col(StaffRecoveryCode.staff_id) == user.id)
        .where(col(StaffRecoveryCode.code_hash) == _recovery_hash(code))
        .where(col(StaffRecoveryCode.used_at).is_(None))
        .values(used_at=now)
    )
    if used.rowcount != 1:
        return False
    session.add(
        AuditEntry(at=now, staff_id=user.id, body_code=user.body_code, action="recovery_code_used")
    )
    return True


async def recovery_codes_left(session: AsyncSession, staff_id: int) -> int:
    statement = select(StaffRecoveryCode).where(
        StaffRecoveryCode.staff_id == staff_id, col(StaffRecoveryCode.used_at).is_(None)
    )
    return len((await session.exec(statement)).all())


async def remove(session: AsyncSession, staff_id: int) -> bool:
    """Remove a member's second factor and recovery codes (a password reset); whether there
    was one."""
    factor = await factor_of(session, staff_id)
    await session.exec(delete(StaffRecoveryCode).where(col(StaffRecoveryCode.staff_id) == staff_id))
    if factor is None:
        return False
    await session.delete(factor)
    return True
