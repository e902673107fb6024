"""API clients in GraphQL: metropolitan admins create and revoke them."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy.exc import IntegrityError
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.errors import N_, DomainError
from service.inputs import id_number
from service.integrations import rules, webhooks
from service.integrations.access import require_client, require_client_admin
from service.integrations.errors import IntegrationErrorCode
from service.integrations.types import (
    ApiClientCreateInput,
    ApiClientCreatePayload,
    ApiClientRevokePayload,
    ApiClientType,
    IntegrationError,
    WebhookCreateInput,
    WebhookCreatePayload,
    WebhookPayload,
    WebhookType,
)
from service.schema_support import payload_errors
from service.staff.permissions import CLIENT_ADMINISTRATION


def integration_errors(
    errors: list[DomainError], info: Info[Context, None]
) -> list[IntegrationError]:
    return payload_errors(errors, info.context.translator, IntegrationError, IntegrationErrorCode)


@strawberry.type
class ApiClientMutation:
    @strawberry.mutation(
        description="Create an API client for an integrator (ALM admins only); its key is "
        "returned this once and only a hash is kept.",
        metadata=field_access.staff(CLIENT_ADMINISTRATION),
    )
    async def api_client_create(
        self,
        info: Info[Context, None],
        input: Annotated[  # the argument's public name
            ApiClientCreateInput, strawberry.argument(description="The client.")
        ],
    ) -> ApiClientCreatePayload:
        context = info.context
        scopes = [scope.value for scope in input.scopes]
        try:
            require_client_admin(context.caller.staff)
        except DomainError as error:
            return ApiClientCreatePayload(
                api_client=None, key=None, errors=integration_errors([error], info)
            )
        errors = rules.client_errors(input.name, scopes)
        if errors:
            return ApiClientCreatePayload(
                api_client=None, key=None, errors=integration_errors(errors, info)
            )
        taken = DomainError(
            IntegrationErrorCode.NAME_TAKEN,
            N_("There is already an API client named %(name)s."),
            field="name",
            name=input.name,
        )
        try:
            async with context.db.writing() as session:
                if await rules.name_taken(session, input.name):
                    raise taken
                client, key = await rules.create_api_client(
                    session,
                    input.name,
                    context.now,
                    scopes,
                    trusted_documents_only=input.trusted_documents_only,
                )
        except IntegrityError:  # created by someone else at the same moment
            return ApiClientCreatePayload(
                api_client=None, key=None, errors=integration_errors([taken], info)
            )
        except DomainError as error:
            return ApiClientCreatePayload(
                api_client=None, key=None, errors=integration_errors([error], info)
            )
        return ApiClientCreatePayload(api_client=ApiClientType.from_row(client), key=key, errors=[])

    @strawberry.mutation(
        description="Revoke an API client's key (ALM admins only): refused from the next request.",
        metadata=field_access.staff(CLIENT_ADMINISTRATION),
    )
    async def api_client_revoke(
        self,
        info: Info[Context, None],
        name: Annotated[str, strawberry.argument(description="The client's name.")],
    ) -> ApiClientRevokePayload:
        context = info.context
        try:
            require_client_admin(context.caller.staff)
            async with context.db.writing() as session:
                if not await rules.revoke_api_client(session, name, context.now):
                    raise DomainError(
                        IntegrationErrorCode.NOT_FOUND,
                        N_("There is no active API client named %(name)s."),
                        field="name",
                        name=name[:60],
                    )
                client = await rules.client_by_name(session, name)
        except DomainError as error:
            return ApiClientRevokePayload(api_client=None, errors=integration_errors([error], info))
        return ApiClientRevokePayload(
            api_client=ApiClientType.from_row(client) if client else None, errors=[]
        )


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(
        description="Subscribe the calling API client to public changes (scope webhooks:manage): "
        "signed POSTs to an https URL from now on; the signing secret is shown this once.",
        metadata=field_access.client("webhooks:manage"),
    )
    async def webhook_create(
        self,
        info: Info[Context, None],
        input: Annotated[  # the argument's public name
            WebhookCreateInput, strawberry.argument(description="The webhook.")
        ],
    ) -> WebhookCreatePayload:
        context = info.context
        try:
            client = require_client(context.caller.client)
            settings = context.services.settings
            errors = webhooks.url_errors(
                input.url,
                allow_private=settings.webhooks_allow_private
                and settings.environment == "development",
            )
            if not input.event_types:
                errors.append(
                    DomainError(
                        IntegrationErrorCode.INVALID_EVENT_TYPE,
                        N_("Choose at least one event type."),
                        field="eventTypes",
                    )
                )
            if errors:
                return WebhookCreatePayload(
                    webhook=None, signing_secret=None, errors=integration_errors(errors, info)
                )
            async with context.db.writing() as session:
                limit = context.settings.webhooks_per_client
                if await webhooks.count_webhooks(session, client.client_id) >= limit:
                    raise DomainError(
                        IntegrationErrorCode.TOO_MANY_WEBHOOKS,
                        N_("A client may have at most %(limit)s webhooks."),
                        limit=limit,
                    )
                webhook, secret = await webhooks.create_webhook(
                    session,
                    client.client_id,
                    input.url,
                    input.event_types,
                    context.now,
                    context.services.contact_cipher,
                )
        except DomainError as error:
            return WebhookCreatePayload(
                webhook=None, signing_secret=None, errors=integration_errors([error], info)
            )
        return WebhookCreatePayload(
            webhook=WebhookType.from_row(webhook), signing_secret=secret, errors=[]
        )

    @strawberry.mutation(
        description="Delete one of the caller's webhooks and its log.",
        metadata=field_access.client("webhooks:manage"),
    )
    async def webhook_delete(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The webhook.")],
    ) -> WebhookPayload:
        return await _change_webhook(info, id, delete=True)

    @strawberry.mutation(
        description="Enable again a webhook disabled after persistent failures (its pending "
        "deliveries resume).",
        metadata=field_access.client("webhooks:manage"),
    )
    async def webhook_enable(
        self,
        info: Info[Context, None],
        id: Annotated[strawberry.ID, strawberry.argument(description="The webhook.")],
    ) -> WebhookPayload:
        return await _change_webhook(info, id, delete=False)


async def _change_webhook(
    info: Info[Context, None], id: strawberry.ID, *, delete: bool
) -> WebhookPayload:
    context = info.context
    try:
        client = require_client(context.caller.client)
        identifier = id_number(id)
        async with context.db.writing() as session:
            webhook = await webhooks.webhook_of(session, client.client_id, identifier)
            shown = WebhookType.from_row(webhook)
            if delete:
                await webhooks.delete_webhook(session, webhook)
            else:
                webhooks.enable(webhook)
                session.add(webhook)
                shown = WebhookType.from_row(webhook)
    except DomainError as error:
        return WebhookPayload(webhook=None, errors=integration_errors([error], info))
    return WebhookPayload(webhook=shown, errors=[])
