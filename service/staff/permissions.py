"""Who may do what: roles, token scopes, and the bodies a staff member's work covers."""

from __future__ import annotations

from service.errors import N_, DomainError
from service.reference import ReferenceData
from service.staff.errors import StaffErrorCode
from service.staff.models import Role
from service.staff.rules import StaffIdentity

ITEM_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
ASSIGNING_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


def covered_bodies(identity: StaffIdentity, reference: ReferenceData) -> frozenset[str]:
    """The staff member's body and the bodies under it (ALM's staff cover its directorates).

    Never another commune's town hall: a commune's items, notes and contacts stay with it.
    """
    covered = {identity.body_code}
    covered |= {
        code for code, body in reference.bodies.items() if body.parent_code == identity.body_code
    }
    return frozenset(covered)


def forbidden() -> DomainError:
    return DomainError(
        StaffErrorCode.FORBIDDEN, N_("Your role or your access token does not allow this.")
    )


def not_authenticated() -> DomainError:
    return DomainError(
        StaffErrorCode.NOT_AUTHENTICATED, N_("Please log in as a staff member first.")
    )


def require_item_work(identity: StaffIdentity | None, scope: str) -> StaffIdentity:
    """The identity, if it may work items with this token scope; else a DomainError."""
    if identity is None:
        raise not_authenticated()
    if identity.role not in ITEM_ROLES or scope not in identity.scopes:
        raise forbidden()
    return identity
