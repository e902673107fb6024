"""Mutations of reports: submit one, support one."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.errors import DomainError, ValidationFailed
from service.help_places import use as help_place_use
from service.items import rules as items
from service.items.types import to_contact
from service.photos import rules as photos
from service.reports import rules
from service.reports.errors import ReportErrorCode
from service.reports.types import (
    AssistedReportCreateInput,
    AssistedReportCreatePayload,
    ReportCreateInput,
    ReportCreatePayload,
    ReportError,
    ReportFieldsInput,
    ReportSupportPayload,
    ReportType,
)
from service.schema_support import payload_errors
from service.staff.permissions import ITEM_WRITE, require_item_work


def to_request(input: ReportFieldsInput, channel: str, language: str) -> rules.ReportRequest:
    return rules.ReportRequest(
        category_code=str(input.category_code),
        latitude=input.latitude,
        longitude=input.longitude,
        address_text=input.address_text,
        description=input.description,
        idempotency_key=input.idempotency_key,
        channel=channel,
        language=language,
        contact=to_contact(input.contact),
        photo_upload_ids=tuple(str(i) for i in input.photo_upload_ids),
    )


def report_errors(errors: list[DomainError], info: Info[Context, None]) -> list[ReportError]:
    return payload_errors(errors, info.context.translator, ReportError, ReportErrorCode)


@strawberry.type
class ReportMutation:
    @strawberry.mutation(
        description="Report a problem in public space. No account and no personal data needed.",
        metadata=field_access.submission(),
    )
    async def report_create(
        self,
        info: Info[Context, None],
        input: Annotated[  # the argument's public name
            ReportCreateInput, strawberry.argument(description="The report.")
        ],
    ) -> ReportCreatePayload:
        context = info.context
        try:
            submitted = await rules.submit_report(
                context.db,
                context.reference,
                to_request(
                    input, context.caller.channel(input.channel.value), context.translator.locale
                ),
                scope=context.caller.kind,
                now=context.now,
                cipher=context.services.contact_cipher,
                store_extra=photos.attacher(
                    input.photo_upload_ids,
                    scope=context.caller.kind,
                    limits=context.services.photo_limits,
                ),
            )
        except ValidationFailed as failed:
            return ReportCreatePayload(
                report=None, tracking_token=None, errors=report_errors(failed.errors, info)
            )
        return ReportCreatePayload(
            report=ReportType.from_row(submitted.item, info),
            tracking_token=context.services.tracking_tokens.issue(submitted.item),
            errors=[],
        )

    @strawberry.mutation(
        description="An agent at a counter or on the phone reports for a resident without "
        "digital access (staff only); hands over the reference and a short code.",
        metadata=field_access.staff(ITEM_WRITE),
    )
    async def assisted_report_create(
        self,
        info: Info[Context, None],
        input: Annotated[  # the argument's public name
            AssistedReportCreateInput, strawberry.argument(description="The report.")
        ],
    ) -> AssistedReportCreatePayload:
        context = info.context
        try:
            require_item_work(context.caller.staff, "items:write")
            async with context.db.reading() as session:
                help_place = await help_place_use.place_named(session, input.help_place)
            submitted = await rules.submit_report(
                context.db,
                context.reference,
                to_request(input, input.channel.value, context.translator.locale),
                scope=context.caller.kind,
                now=context.now,
                cipher=context.services.contact_cipher,
                store_extra=help_place_use.recording(
                    help_place,
                    photos.attacher(
                        input.photo_upload_ids,
                        scope=context.caller.kind,
                        limits=context.services.photo_limits,
                    ),
                ),
            )
        except ValidationFailed as failed:
            return AssistedReportCreatePayload(
                report=None,
                tracking_token=None,
                short_code=None,
                errors=report_errors(failed.errors, info),
            )
        except DomainError as error:
            return AssistedReportCreatePayload(
                report=None,
                tracking_token=None,
                short_code=None,
                errors=report_errors([error], info),
            )
        tokens = context.services.tracking_tokens
        return AssistedReportCreatePayload(
            report=ReportType.from_row(submitted.item, info),
            tracking_token=tokens.issue(submitted.item),
            short_code=tokens.short_code(submitted.item),
            errors=[],
        )

    @strawberry.mutation(
        description="Say « me too » on a report; counted once per device, the count is public.",
        metadata=field_access.submission(),
    )
    async def report_support(
        self,
        info: Info[Context, None],
        reference: Annotated[str, strawberry.argument(description="The report's reference.")],
        device_key: Annotated[
            str,
            strawberry.argument(
                description="A random key the app keeps for this device (never sent elsewhere)."
            ),
        ],
    ) -> ReportSupportPayload:
        context = info.context
        errors = items.device_key_errors(device_key)
        if errors:
            return ReportSupportPayload(
                report=None, counted=False, errors=report_errors(errors, info)
            )
        try:
            item, counted = await rules.support_report(
                context.db,
                reference.strip().upper(),
                context.services.device_hash(device_key),
                context.now,
            )
        except ValidationFailed as failed:
            return ReportSupportPayload(
                report=None, counted=False, errors=report_errors(failed.errors, info)
            )
        return ReportSupportPayload(
            report=ReportType.from_row(item, info), counted=counted, errors=[]
        )
