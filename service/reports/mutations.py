"""Mutations of reports: submit one, support one."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from service.context import Context
from service.errors import DomainError, ValidationFailed
from service.privacy.rules import ContactRequest
from service.reports import rules
from service.reports.errors import ReportErrorCode
from service.reports.types import (
    ContactInput,
    ReportCreateInput,
    ReportCreatePayload,
    ReportError,
    ReportSupportPayload,
    ReportType,
)
from service.schema_support import payload_errors


def to_contact(value: ContactInput | None) -> ContactRequest | None:
    if value is None:
        return None
    return ContactRequest(
        name=value.name,
        email=value.email,
        phone=value.phone,
        follow_up_consent=value.follow_up_consent,
        consent_text_version=value.consent_text_version,
        share_with_body=value.share_with_handling_body,
    )


def report_errors(errors: list[DomainError], info: Info[Context, None]) -> list[ReportError]:
    return payload_errors(errors, info.context.translator, ReportError, ReportErrorCode)


@strawberry.type
class ReportMutation:
    @strawberry.mutation(
        description="Report a problem in public space. No account and no personal data needed."
    )
    async def report_create(
        self,
        info: Info[Context, None],
        input: Annotated[  # noqa: A002  (the argument's public name)
            ReportCreateInput, strawberry.argument(description="The report.")
        ],
    ) -> ReportCreatePayload:
        context = info.context
        request = rules.ReportRequest(
            category_code=str(input.category_code),
            latitude=input.latitude,
            longitude=input.longitude,
            address_text=input.address_text,
            description=input.description,
            idempotency_key=input.idempotency_key,
            channel=input.channel.value,
            language=context.translator.locale,
            contact=to_contact(input.contact),
        )
        try:
            submitted = await rules.submit_report(
                context.db,
                context.reference,
                request,
                scope=context.caller.kind,
                now=context.now,
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
        description="Say « me too » on a report; counted once per device, the count is public."
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
        errors = rules.device_key_errors(device_key)
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
