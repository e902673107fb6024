"""API clients in GraphQL: metropolitan admins list them."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.inputs import id_number
from service.integrations import changes, rules, webhooks
from service.integrations.access import require_client, require_client_admin
from service.integrations.changes import ChangeKind
from service.integrations.types import (
    ApiClientType,
    Change,
    ChangePage,
    WebhookDeliveryType,
    WebhookType,
)
from service.pagination import page_size
from service.staff.permissions import CLIENT_ADMINISTRATION

MAX_CHANGES = 500
MAX_DELIVERIES = 100


@strawberry.type
class ApiClientQuery:
    @strawberry.field(
        description="Every API client, revoked ones included (ALM admins only).",
        metadata=field_access.staff(CLIENT_ADMINISTRATION),
    )
    async def api_clients(self, info: Info[Context, None]) -> list[ApiClientType]:
        require_client_admin(info.context.caller.staff)
        async with info.context.db.reading() as session:
            rows = await rules.list_api_clients(session)
        return [ApiClientType.from_row(row) for row in rows]


@strawberry.type
class ChangeQuery:
    @strawberry.field(
        description="Public changes of public items (reports, public service requests), oldest "
        "first, from a cursor: sync without gaps or duplicates, erasures included. Public: "
        "anonymous callers read it, and API clients with public:read or opendata:read.",
        # The change feed holds public changes of public items, read by anyone without a
        # key: a key that reads public data must not read less (public:read, in every default
        # key); opendata:read keeps opening it for the keys made for it.
        metadata=field_access.public(scope="opendata:read", also="public:read"),
    )
    async def changes(
        self,
        info: Info[Context, None],
        since: Annotated[
            str | None,
            strawberry.argument(
                description="The cursor of the last page (opaque); none: from the start."
            ),
        ] = None,
        kinds: Annotated[
            list[ChangeKind] | None, strawberry.argument(description="Only these kinds.")
        ] = None,
        first: Annotated[int, strawberry.argument(description="Page size (at most 500).")] = 100,
    ) -> ChangePage:
        context = info.context
        after = changes.decode_cursor(since)
        size = page_size(first, MAX_CHANGES)
        async with context.db.reading() as session:
            page = await changes.read_changes(
                session,
                context.reference,
                after,
                size,
                kinds,
                postgres=not context.db.is_sqlite,
            )
        return ChangePage(
            changes=[Change.from_change(c) for c in page.changes],
            cursor=changes.encode_cursor(page.position),
            has_more=page.has_more,
        )


@strawberry.type
class WebhookQuery:
    @strawberry.field(
        description="The calling API client's webhooks (scope webhooks:manage).",
        metadata=field_access.client("webhooks:manage"),
    )
    async def webhooks(self, info: Info[Context, None]) -> list[WebhookType]:
        client = require_client(info.context.caller.client)
        async with info.context.db.reading() as session:
            rows = await webhooks.webhooks_of(session, client.client_id)
        return [WebhookType.from_row(row) for row in rows]

    @strawberry.field(
        description="The delivery log of one of the caller's webhooks, newest first.",
        metadata=field_access.client("webhooks:manage"),
    )
    async def webhook_deliveries(
        self,
        info: Info[Context, None],
        webhook_id: Annotated[strawberry.ID, strawberry.argument(description="The webhook.")],
        first: Annotated[int, strawberry.argument(description="How many (at most 100).")] = 50,
    ) -> list[WebhookDeliveryType]:
        client = require_client(info.context.caller.client)
        identifier = id_number(webhook_id)
        size = page_size(first, MAX_DELIVERIES)
        async with info.context.db.reading() as session:
            webhook = await webhooks.webhook_of(session, client.client_id, identifier)
            rows = await webhooks.deliveries_of(session, webhook.id or 0, size)
        return [WebhookDeliveryType.from_row(row) for row in rows]
