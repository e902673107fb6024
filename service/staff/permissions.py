"""Who may do what: roles, token scopes, and the bodies a staff member's work covers."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class StaffPermission:
    """Who among staff may do one kind of action: their roles, the scope an access token
    must hold, and the one body they must belong to (if any). GraphQL fields declare the
    permission their resolver checks (``service.field_access``); the console's pages call
    the same ``require``."""

    roles: frozenset[Role]
    token_scope: str | None = None
    body_code: str | None = None

    def allows(self, identity: StaffIdentity | None) -> bool:
        return (
            identity is not None
            and identity.role in self.roles
            and (self.token_scope is None or self.token_scope in identity.scopes)
            and (self.body_code is None or identity.body_code == self.body_code)
        )

    def require(self, identity: StaffIdentity | None) -> StaffIdentity:
        """The identity, if it holds the permission: else NOT_AUTHENTICATED or FORBIDDEN."""
        if identity is None:
            raise not_authenticated()
        if not self.allows(identity):
            raise forbidden()
        return identity


ANY_STAFF = StaffPermission(frozenset(Role))
ITEM_READ = StaffPermission(ITEM_ROLES, "items:read")
ITEM_WRITE = StaffPermission(ITEM_ROLES, "items:write")
# Administrators: staff accounts of their bodies, the audit log.
ADMINISTRATION = StaffPermission(frozenset({Role.ADMIN}), "staff:read")
# API clients act across the 29 communes: only ALM's own administrators manage them.
METROPOLE_BODY = "alm"
CLIENT_ADMINISTRATION = StaffPermission(frozenset({Role.ADMIN}), "staff:read", METROPOLE_BODY)


def require_item_work(identity: StaffIdentity | None, scope: str) -> StaffIdentity:
    """The identity, if it may work items with this token scope; else a DomainError."""
    return StaffPermission(ITEM_ROLES, scope).require(identity)
