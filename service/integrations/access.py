"""What an API client's scopes open: each root field of the schema needs one scope.

Each root field declares the scope that opens it (``service.field_access``); the scopes are
checked before execution, on the parsed document (parses are cached), so a client without
the scope gets one typed refusal and nothing runs. Root fields that name no scope (staff work,
the audit log, API client management) are closed to every client: an integrator never
reaches staff operations, notes, contacts or the audit log, whatever its scopes.
"""

from __future__ import annotations

from service.errors import N_, DomainError
from service.integrations.errors import IntegrationErrorCode
from service.integrations.rules import ClientIdentity
from service.selections import fragments, parsed, selected_names, selected_operation
from service.staff.permissions import CLIENT_ADMINISTRATION
from service.staff.rules import StaffIdentity


def root_fields(query: str, operation_name: str | None) -> frozenset[str] | None:
    """The root field names the operation selects (through fragments too), or None when
    the document cannot be read (execution then reports why)."""
    document = parsed(query)
    operation = selected_operation(document, operation_name) if document else None
    if document is None or operation is None:
        return None
    return selected_names([operation.selection_set], fragments(document))


def require_client_admin(identity: StaffIdentity | None) -> StaffIdentity:
    """ALM's own administrators (API clients act across the 29 communes)."""
    return CLIENT_ADMINISTRATION.require(identity)


def require_client(client: ClientIdentity | None) -> ClientIdentity:
    """The calling API client (webhooks belong to one); anyone else is not authenticated."""
    if client is None:
        raise DomainError(
            IntegrationErrorCode.NOT_AUTHENTICATED,
            N_("Send your API client's key as Authorization: Bearer."),
        )
    return client
