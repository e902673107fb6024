"""Subscribe to new reports by area (double opt-in: a link is sent by e-mail)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from service.context import Context
from service.mail import subscriptions
from service.mail.types import (
    AreaSubscription,
    SubscriptionCreateInput,
    SubscriptionCreatePayload,
    SubscriptionError,
)
from service.schema_support import payload_errors


@strawberry.type
class SubscriptionMutation:
    @strawberry.mutation(
        description="Ask for a daily e-mail digest of new reports in an area. A confirmation "
        "link is e-mailed first; nothing else is sent before it is followed. Every message "
        "has a one-click unsubscribe, which deletes the address."
    )
    async def subscription_create(
        self,
        info: Info[Context, None],
        input: Annotated[
            SubscriptionCreateInput, strawberry.argument(description="The address and the area.")
        ],
    ) -> SubscriptionCreatePayload:
        context = info.context
        request = subscriptions.SubscriptionRequest(
            email=input.email,
            commune_code=input.commune_code,
            category_code=input.category_code,
            latitude=input.latitude,
            longitude=input.longitude,
            radius_meters=input.radius_meters,
            reference=input.reference,
            language=context.translator.locale,
        )
        async with context.db.writing() as session:
            errors = await subscriptions.request_errors(session, request)
            if errors:
                return SubscriptionCreatePayload(
                    subscription=None,
                    errors=payload_errors(errors, context.translator, SubscriptionError),
                )
            row = await subscriptions.subscribe(
                session, request, context.services.contact_cipher, context.now
            )
        return SubscriptionCreatePayload(subscription=AreaSubscription.from_row(row), errors=[])
