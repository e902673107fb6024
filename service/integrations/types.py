"""GraphQL types of integrations: API clients (for admins)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from service.integrations.errors import IntegrationErrorCode
from service.integrations.models import ApiClient
from service.integrations.rules import ApiScope
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
