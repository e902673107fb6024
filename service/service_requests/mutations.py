"""Mutations of service requests: submit one."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.errors import DomainError, ValidationFailed
from service.help_places import use as help_place_use
from service.items.types import to_contact
from service.photos import rules as photos
from service.schema_support import payload_errors
from service.service_requests import rules
from service.service_requests.errors import ServiceRequestErrorCode
from service.service_requests.types import (
    AssistedServiceRequestCreateInput,
    AssistedServiceRequestCreatePayload,
    ServiceRequestCreateInput,
    ServiceRequestCreatePayload,
    ServiceRequestError,
    ServiceRequestFieldsInput,
    ServiceRequestType,
)
from service.staff.permissions import ITEM_WRITE, require_item_work


def to_request(
    input: ServiceRequestFieldsInput,
    channel: str,
    language: str,
) -> rules.ServiceRequestRequest:
    return rules.ServiceRequestRequest(
        service_code=str(input.service_code),
        answers=tuple(
            rules.Answer(
                code=a.code,
                value=a.value,
                values=tuple(a.values) if a.values is not None else None,
            )
            for a in input.answers
        ),
        commune_code=str(input.commune) if input.commune else None,
        latitude=input.latitude,
        longitude=input.longitude,
        address_text=input.address_text,
        description=input.description,
        at_home=input.at_home_address,
        idempotency_key=input.idempotency_key,
        channel=channel,
        language=language,
        contact=to_contact(input.contact),
        photo_upload_ids=tuple(str(i) for i in input.photo_upload_ids),
    )


@strawberry.type
class ServiceRequestMutation:
    @strawberry.mutation(
        description="Request a service. Each answer is checked against its question; errors "
        "name `answers.<code>`. No account needed; keep the tracking token.",
        metadata=field_access.submission(),
    )
    async def service_request_create(
        self,
        info: Info[Context, None],
        input: Annotated[  # the argument's public name
            ServiceRequestCreateInput, strawberry.argument(description="The request.")
        ],
    ) -> ServiceRequestCreatePayload:
        context = info.context
        try:
            submitted, detail = await rules.submit_service_request(
                context.db,
                context.reference,
                to_request(
                    input, context.caller.channel(input.channel.value), context.translator.locale
                ),
                scope=context.caller.kind,
                now=context.now,
                cipher=context.services.contact_cipher,
                store_photos=photos.attacher(
                    input.photo_upload_ids,
                    scope=context.caller.kind,
                    limits=context.services.photo_limits,
                ),
            )
        except ValidationFailed as failed:
            return ServiceRequestCreatePayload(
                service_request=None,
                tracking_token=None,
                errors=payload_errors(
                    failed.errors,
                    context.translator,
                    ServiceRequestError,
                    ServiceRequestErrorCode,
                ),
            )
        item = submitted.item
        return ServiceRequestCreatePayload(
            service_request=ServiceRequestType.from_row(item, detail, info, public=False),
            tracking_token=context.services.tracking_tokens.issue(item),
            errors=[],
        )

    @strawberry.mutation(
        description="An agent at a counter or on the phone requests a service for a resident "
        "without digital access (staff only); hands over the reference and a short code.",
        metadata=field_access.staff(ITEM_WRITE),
    )
    async def assisted_service_request_create(
        self,
        info: Info[Context, None],
        input: Annotated[  # the argument's public name
            AssistedServiceRequestCreateInput, strawberry.argument(description="The request.")
        ],
    ) -> AssistedServiceRequestCreatePayload:
        context = info.context
        try:
            require_item_work(context.caller.staff, "items:write")
            async with context.db.reading() as session:
                help_place = await help_place_use.place_named(session, input.help_place)
            submitted, detail = await rules.submit_service_request(
                context.db,
                context.reference,
                to_request(input, input.channel.value, context.translator.locale),
                scope=context.caller.kind,
                now=context.now,
                cipher=context.services.contact_cipher,
                store_photos=help_place_use.recording(
                    help_place,
                    photos.attacher(
                        input.photo_upload_ids,
                        scope=context.caller.kind,
                        limits=context.services.photo_limits,
                    ),
                ),
            )
        except (ValidationFailed, DomainError) as failure:
            errors = failure.errors if isinstance(failure, ValidationFailed) else [failure]
            return AssistedServiceRequestCreatePayload(
                service_request=None,
                tracking_token=None,
                short_code=None,
                errors=payload_errors(
                    errors, context.translator, ServiceRequestError, ServiceRequestErrorCode
                ),
            )
        tokens = context.services.tracking_tokens
        return AssistedServiceRequestCreatePayload(
            service_request=ServiceRequestType.from_row(submitted.item, detail, info, public=False),
            tracking_token=tokens.issue(submitted.item),
            short_code=tokens.short_code(submitted.item),
            errors=[],
        )
