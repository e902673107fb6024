"""What an API client's scopes open: each root field of the schema needs one scope.

Checked before execution, on the parsed document (parses are cached), so a client without
the scope gets one typed refusal and nothing runs. Root fields no scope lists (staff work,
the audit log, API client management) are closed to every client: an integrator never
reaches staff operations, notes, contacts or the audit log, whatever its scopes.
"""

from __future__ import annotations

from service.errors import N_, DomainError
from service.integrations.errors import IntegrationErrorCode
from service.integrations.rules import ClientIdentity
from service.selections import fragments, parsed, selected_names, selected_operation
from service.staff.models import Role
from service.staff.permissions import forbidden, not_authenticated
from service.staff.rules import StaffIdentity

ROOT_FIELD_SCOPES: dict[str, str] = {
    **dict.fromkeys(
        (
            "communes",
            "commune",
            "communeAt",
            "bodies",
            "body",
            "categories",
            "report",
            "reports",
            "nearbyReports",
            "dtprTaxonomy",
            "sensor",
            "sensors",
            "sensorPlaceOpinions",
            "sensorQuestion",
            "services",
            "service",
            "serviceRequest",
            "processingRegister",
            "search",
            "helpPlaces",
            "helpPlace",
        ),
        "public:read",
    ),
    **dict.fromkeys(
        (
            "reportCreate",
            "reportSupport",
            "itemFlag",
            "sensorOpinionCreate",
            "sensorQuestionCreate",
            "serviceRequestCreate",
            # Not an item, but it makes the service write to an address: limited the same.
            "subscriptionCreate",
        ),
        "items:write",
    ),
    **dict.fromkeys(
        (
            "tracked",
            "trackedByCode",
            "trackedAddInformation",
            "trackedFeedback",
            "consentWithdraw",
            "myDataExport",
            "myDataErase",
        ),
        "items:follow",
    ),
    **dict.fromkeys(
        (
            "webhooks",
            "webhookDeliveries",
            "webhookCreate",
            "webhookDelete",
            "webhookEnable",
        ),
        "webhooks:manage",
    ),
    "changes": "opendata:read",
    "trends": "opendata:read",  # the public aggregates only, as for anonymous callers
}


def root_fields(query: str, operation_name: str | None) -> frozenset[str] | None:
    """The root field names the operation selects (through fragments too), or None when
    the document cannot be read (execution then reports why)."""
    document = parsed(query)
    operation = selected_operation(document, operation_name) if document else None
    if document is None or operation is None:
        return None
    return selected_names([operation.selection_set], fragments(document))


SUBMISSION_FIELDS = frozenset(f for f, s in ROOT_FIELD_SCOPES.items() if s == "items:write")


def submits(query: object, operation_name: object) -> bool:
    """Whether the operation submits something (counted against the submission limits)."""
    if not isinstance(query, str) or not isinstance(operation_name, str | None):
        return False
    fields = root_fields(query, operation_name)
    return fields is not None and not fields.isdisjoint(SUBMISSION_FIELDS)


def missing_scopes(fields: frozenset[str], scopes: frozenset[str]) -> list[str]:
    """Root fields the scopes do not open (introspection and __typename are always open)."""
    return sorted(
        name
        for name in fields
        if not name.startswith("__") and ROOT_FIELD_SCOPES.get(name) not in scopes
    )


# API clients act across the 29 communes: only ALM's own admins manage them.
METROPOLE_BODY = "alm"


def require_client_admin(identity: StaffIdentity | None) -> StaffIdentity:
    if identity is None:
        raise not_authenticated()
    if (
        identity.role is not Role.ADMIN
        or identity.body_code != METROPOLE_BODY
        or "staff:read" not in identity.scopes
    ):
        raise forbidden()
    return identity


def require_client(client: ClientIdentity | None) -> ClientIdentity:
    """The calling API client (webhooks belong to one); anyone else is not authenticated."""
    if client is None:
        raise DomainError(
            IntegrationErrorCode.NOT_AUTHENTICATED,
            N_("Send your API client's key as Authorization: Bearer."),
        )
    return client
