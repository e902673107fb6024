"""GraphQL types of integrations: API clients (for admins)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from service.integrations import changes
from service.integrations.changes import ChangeKind
from service.integrations.errors import IntegrationErrorCode
from service.integrations.models import ApiClient
from service.integrations.rules import ApiScope
from service.items.rules import as_utc
from service.schema_support import described_enum

described_enum(
    ApiScope,
    name="ApiScope",
    description="What an API client may do.",
    values={
        ApiScope.PUBLIC_READ: "Read public data: communes, categories, public items, sensors.",
        ApiScope.ITEMS_WRITE: "Submit reports, service requests, sensor opinions and questions.",
        ApiScope.ITEMS_FOLLOW: "Follow an item with its tracking token, add information, rate.",
        ApiScope.WEBHOOKS_MANAGE: "Subscribe to events with webhooks and read deliveries.",
        ApiScope.OPENDATA_READ: "Read the change feed of public items.",
    },
)

described_enum(
    IntegrationErrorCode,
    name="IntegrationErrorCode",
    description="Why an integration request was refused.",
    values={
        IntegrationErrorCode.NOT_AUTHENTICATED: "Log in (or send a key) first.",
        IntegrationErrorCode.FORBIDDEN: "The caller may not do this.",
        IntegrationErrorCode.INVALID_NAME: "The client name is not valid.",
        IntegrationErrorCode.NAME_TAKEN: "Another client has this name.",
        IntegrationErrorCode.INVALID_SCOPE: "A scope is unknown, or none was given.",
        IntegrationErrorCode.NOT_FOUND: "There is no such client or webhook.",
        IntegrationErrorCode.INVALID_URL: "The webhook URL is not an https URL.",
        IntegrationErrorCode.INVALID_EVENT_TYPE: "An event type is unknown.",
        IntegrationErrorCode.TOO_MANY_WEBHOOKS: "The client has too many webhooks.",
        IntegrationErrorCode.INVALID_CURSOR: "The cursor was not given by this service.",
        IntegrationErrorCode.PAGE_TOO_LARGE: "The page asked for is larger than allowed.",
    },
)


@strawberry.type(description="An error of an integration request.")
class IntegrationError:
    field: str | None = strawberry.field(description="The input at fault, if one is.")
    message: str = strawberry.field(description="What went wrong, in the caller's language.")
    code: IntegrationErrorCode = strawberry.field(description="Stable code for programs.")


@strawberry.type(name="ApiClient", description="An integrator's API client (never its key).")
class ApiClientType:
    name: str = strawberry.field(description="Its name; its items carry channel api:<name>.")
    channel: str = strawberry.field(description="The channel of the items it submits.")
    key_prefix: str = strawberry.field(description="The key's first characters, to recognise it.")
    scopes: list[ApiScope] = strawberry.field(description="What it may do.")
    trusted_documents_only: bool = strawberry.field(
        description="Whether it may only run the published operations (by documentId)."
    )
    created_at: datetime = strawberry.field(description="When it was created.")
    revoked_at: datetime | None = strawberry.field(description="When its key was revoked.")

    @classmethod
    def from_row(cls, row: ApiClient) -> ApiClientType:
        return cls(
            name=row.name,
            channel=f"api:{row.name}",
            key_prefix=row.key_prefix,
            scopes=[ApiScope(s) for s in row.scopes.split() if s in ApiScope._value2member_map_],
            trusted_documents_only=row.trusted_documents_only,
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )


@strawberry.input(description="A new API client.")
class ApiClientCreateInput:
    name: str = strawberry.field(description="Short name, e.g. vivre-a-angers.")
    scopes: list[ApiScope] = strawberry.field(description="What it may do.")
    trusted_documents_only: bool = strawberry.field(
        default=False, description="Allow only the published operations (by documentId)."
    )


@strawberry.type(description="The new client and its key, shown this once.")
class ApiClientCreatePayload:
    api_client: ApiClientType | None = strawberry.field(description="The client.")
    key: str | None = strawberry.field(
        description="Its key: give it to the integrator now; only a hash is kept."
    )
    errors: list[IntegrationError] = strawberry.field(description="Why it was refused.")


@strawberry.type(description="The revoked client.")
class ApiClientRevokePayload:
    api_client: ApiClientType | None = strawberry.field(description="The client, revoked.")
    errors: list[IntegrationError] = strawberry.field(description="Why it was refused.")


described_enum(
    ChangeKind,
    name="ChangeKind",
    description="What happened to a public item.",
    values={
        ChangeKind.CREATED: "It was submitted.",
        ChangeKind.STATUS_CHANGED: "Its status changed.",
        ChangeKind.ANSWERED: "Staff published an answer.",
        ChangeKind.MERGED: "It was marked a duplicate of another item.",
        ChangeKind.REROUTED: "Its category, commune or handling body changed.",
        ChangeKind.REDACTED: "Its free text was erased (the resident's request or retention): "
        "drop any copy of it.",
    },
)

@strawberry.type(description="One public change of a public item.")
class Change:
    cursor: str = strawberry.field(description="Resume after this change (opaque).")
    kind: ChangeKind = strawberry.field(description="What happened.")
    reference: str = strawberry.field(description="The item's public reference.")
    item_kind: str = strawberry.field(description="report or service_request.")
    status: str | None = strawberry.field(
        description="The status after the change, for status changes and merges."
    )
    commune_code: str = strawberry.field(description="INSEE code of the item's commune.")
    category_code: str | None = strawberry.field(description="The item's category, if any.")
    occurred_at: datetime = strawberry.field(description="When it happened.")

    @classmethod
    def from_change(cls, change: changes.Change) -> Change:
        return cls(
            cursor=changes.encode_cursor(change.position),
            kind=change.kind,
            reference=change.reference,
            item_kind=change.item_kind,
            status=change.status,
            commune_code=change.commune_code,
            category_code=change.category_code,
            occurred_at=as_utc(change.occurred_at),
        )


@strawberry.type(description="A page of the change feed.")
class ChangePage:
    changes: list[Change] = strawberry.field(description="Oldest first.")
    cursor: str = strawberry.field(
        description="Opaque: pass it as `since` next time (the same one when nothing was new)."
    )
    has_more: bool = strawberry.field(description="Whether more changes are ready now.")
