"""GraphQL types of integrations: API clients (for admins)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from service.integrations import changes
from service.integrations.changes import ChangeKind
from service.integrations.errors import IntegrationErrorCode
from service.integrations.models import ApiClient, Webhook, WebhookDelivery
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
        "drop any copy of it. Also when moderation hides, holds or edits it: read the item "
        "again for what the public may read.",
        ChangeKind.REPUBLISHED: "Moderation published its text again: read the item again.",
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


@strawberry.type(name="Webhook", description="A subscription of the calling API client.")
class WebhookType:
    id: strawberry.ID = strawberry.field(description="Its id.")
    url: str = strawberry.field(description="Where deliveries are POSTed.")
    event_types: list[ChangeKind] = strawberry.field(description="The kinds it receives.")
    created_at: datetime = strawberry.field(description="When it was created.")
    active: bool = strawberry.field(description="False once disabled.")
    failures_in_a_row: int = strawberry.field(description="Failed attempts since a success.")
    disabled_at: datetime | None = strawberry.field(description="When it was disabled.")
    disabled_reason: str | None = strawberry.field(
        description="Why it was disabled (persistent failures); re-enable with webhookEnable."
    )

    @classmethod
    def from_row(cls, row: Webhook) -> WebhookType:
        return cls(
            id=strawberry.ID(str(row.id)),
            url=row.url,
            event_types=[ChangeKind(k) for k in row.event_types.split()],
            created_at=as_utc(row.created_at),
            active=row.disabled_at is None,
            failures_in_a_row=row.failures_in_a_row,
            disabled_at=as_utc(row.disabled_at) if row.disabled_at else None,
            disabled_reason=row.disabled_reason,
        )


@strawberry.type(name="WebhookDelivery", description="One delivery of a webhook: the log.")
class WebhookDeliveryType:
    delivery_id: str = strawberry.field(description="The X-ALM-Delivery-Id header sent.")
    event_type: ChangeKind = strawberry.field(description="What it announced.")
    status: str = strawberry.field(description="pending, delivered or failed.")
    attempts: int = strawberry.field(description="Attempts so far.")
    last_error: str | None = strawberry.field(description="What the last failure was.")
    next_attempt_at: datetime | None = strawberry.field(description="When it is tried next.")
    created_at: datetime = strawberry.field(description="When it was planned.")
    delivered_at: datetime | None = strawberry.field(description="When the receiver took it.")
    body: str = strawberry.field(description="The JSON body that was signed and sent.")

    @classmethod
    def from_row(cls, row: WebhookDelivery) -> WebhookDeliveryType:
        return cls(
            delivery_id=row.delivery_uid,
            event_type=ChangeKind(row.event_type),
            status=row.status,
            attempts=row.attempts,
            last_error=row.last_error,
            next_attempt_at=as_utc(row.next_attempt_at) if row.status == "pending" else None,
            created_at=as_utc(row.created_at),
            delivered_at=as_utc(row.delivered_at) if row.delivered_at else None,
            body=row.body,
        )


@strawberry.input(description="A new webhook.")
class WebhookCreateInput:
    url: str = strawberry.field(description="An https URL on a public host.")
    event_types: list[ChangeKind] = strawberry.field(description="The kinds to receive.")


@strawberry.type(description="The new webhook and its signing secret, shown this once.")
class WebhookCreatePayload:
    webhook: WebhookType | None = strawberry.field(description="The webhook.")
    signing_secret: str | None = strawberry.field(
        description="Verify X-ALM-Signature with it (see the README); keep it secret."
    )
    errors: list[IntegrationError] = strawberry.field(description="Why it was refused.")


@strawberry.type(description="A webhook after a change.")
class WebhookPayload:
    webhook: WebhookType | None = strawberry.field(description="The webhook.")
    errors: list[IntegrationError] = strawberry.field(description="Why it was refused.")
