"""Subscribe to new reports by area (double opt-in: a link is sent by e-mail); an agent turns
their own daily digest on or off."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.errors import DomainError
from service.mail import staff_digest, subscriptions
from service.mail.types import (
    AreaSubscription,
    SubscriptionCreateInput,
    SubscriptionCreatePayload,
    SubscriptionError,
)
from service.schema_support import payload_errors
from service.staff.errors import StaffErrorCode
from service.staff.permissions import ANY_STAFF, not_authenticated
from service.staff.types import Me, StaffError


@strawberry.type(description="The answer to meMailDigestSet.")
class MeMailDigestPayload:
    me: Me | None = strawberry.field(description="The caller, with the new setting; null on error.")
    errors: list[StaffError] = strawberry.field(
        description="Why nothing changed: NOT_AUTHENTICATED, INACTIVE."
    )


@strawberry.type
class SubscriptionMutation:
    @strawberry.mutation(
        description="Ask for a daily e-mail digest of new reports in an area. A confirmation "
        "link is e-mailed first; nothing else is sent before it is followed. Every message "
        "has a one-click unsubscribe, which deletes the address.",
        metadata=field_access.submission(),
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

    @strawberry.mutation(
        description="Turn my daily e-mail digest on or off (off by default): the new items of "
        "my bodies, the items assigned to me and the overdue ones, at most once a day, to my "
        "work address. Only ever the caller's own account.",
        metadata=field_access.staff(ANY_STAFF),
    )
    async def me_mail_digest_set(
        self,
        info: Info[Context, None],
        enabled: Annotated[bool, strawberry.argument(description="True to receive the digest.")],
    ) -> MeMailDigestPayload:
        context = info.context
        caller = context.caller.staff
        if caller is None:
            errors = [not_authenticated()]
            return MeMailDigestPayload(
                me=None,
                errors=payload_errors(errors, context.translator, StaffError, StaffErrorCode),
            )
        try:
            async with context.db.writing() as session:
                await staff_digest.set_digest(session, caller.staff_id, enabled)
        except DomainError as error:
            return MeMailDigestPayload(
                me=None,
                errors=payload_errors([error], context.translator, StaffError, StaffErrorCode),
            )
        csrf = (
            context.services.csrf_token(context.caller.session_token)
            if context.caller.session_token
            else None
        )
        return MeMailDigestPayload(me=Me.from_identity(caller, csrf), errors=[])
