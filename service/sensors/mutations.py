"""Mutations of sensor transparency: the register (staff), opinions and questions (residents)."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.errors import DomainError, ValidationFailed
from service.reports.mutations import to_contact
from service.schema_support import payload_errors
from service.sensors import opinions, rules
from service.sensors.errors import SensorErrorCode
from service.sensors.queries import sensor_views
from service.sensors.types import (
    DtprChoiceInput,
    SensorCreateInput,
    SensorCreatePayload,
    SensorError,
    SensorOpinionCreateInput,
    SensorOpinionCreatePayload,
    SensorOpinionType,
    SensorQuestionCreateInput,
    SensorQuestionCreatePayload,
    SensorQuestionType,
    SensorReplyPublishPayload,
    SensorUpdateInput,
    SensorUpdatePayload,
)
from service.staff.permissions import ITEM_WRITE


def sensor_errors(errors: list[DomainError], info: Info[Context, None]) -> list[SensorError]:
    return payload_errors(errors, info.context.translator, SensorError, SensorErrorCode)


def refusals(error: ValidationFailed | DomainError) -> list[DomainError]:
    if isinstance(error, ValidationFailed):
        return error.errors
    return [error]


def to_choices(values: list[DtprChoiceInput] | None) -> list[rules.ElementChoice] | None:
    if values is None:
        return None
    return [
        rules.ElementChoice(
            str(v.category), str(v.element), {x.name.strip(): x.value.strip() for x in v.variables}
        )
        for v in values
    ]


def to_fields(value: SensorCreateInput | SensorUpdateInput) -> rules.SensorFields:
    body = value.accountable_body_code
    return rules.SensorFields(
        name=value.name,
        description=value.description,
        latitude=value.latitude,
        longitude=value.longitude,
        place_name=value.place_name,
        accountable_body_code=str(body) if body is not None else None,
        elements=to_choices(value.dtpr),
        personal_data=value.personal_data,
        anonymisation=value.anonymisation,
        hosted_in_eu=value.hosted_in_eu,
        hosting=value.hosting,
        open_data_url=value.open_data_url,
        status=value.status,
        planned_on=value.planned_on,
        installed_on=value.installed_on,
        removed_on=value.removed_on,
    )


@strawberry.type
class SensorMutation:
    @strawberry.mutation(
        description="Add a sensor to the public register (administrators, or the staff of "
        "its accountable body); audited.",
        metadata=field_access.staff(ITEM_WRITE),
    )
    async def sensor_create(
        self,
        info: Info[Context, None],
        input: Annotated[  # the argument's public name
            SensorCreateInput, strawberry.argument(description="The sensor.")
        ],
    ) -> SensorCreatePayload:
        context = info.context
        try:
            row = await rules.create_sensor(
                context.db,
                context.reference,
                context.caller.staff,
                input.slug,
                to_fields(input),
                context.now,
            )
        except (ValidationFailed, DomainError) as error:
            return SensorCreatePayload(sensor=None, errors=sensor_errors(refusals(error), info))
        return SensorCreatePayload(sensor=(await sensor_views(info, [row]))[0], errors=[])

    @strawberry.mutation(
        description="Edit a sensor of the register, or remove it (status REMOVED); audited.",
        metadata=field_access.staff(ITEM_WRITE),
    )
    async def sensor_update(
        self,
        info: Info[Context, None],
        input: Annotated[  # the argument's public name
            SensorUpdateInput, strawberry.argument(description="The changes.")
        ],
    ) -> SensorUpdatePayload:
        context = info.context
        try:
            row = await rules.update_sensor(
                context.db,
                context.reference,
                context.caller.staff,
                str(input.slug),
                to_fields(input),
                context.now,
            )
        except (ValidationFailed, DomainError) as error:
            return SensorUpdatePayload(sensor=None, errors=sensor_errors(refusals(error), info))
        return SensorUpdatePayload(sensor=(await sensor_views(info, [row]))[0], errors=[])

    @strawberry.mutation(
        description="Publish the accountable body's public reply to the opinions on a sensor "
        "(an empty text withdraws it); audited.",
        metadata=field_access.staff(ITEM_WRITE),
    )
    async def sensor_reply_publish(
        self,
        info: Info[Context, None],
        slug: Annotated[strawberry.ID, strawberry.argument(description="The sensor.")],
        text: Annotated[str, strawberry.argument(description="The reply, public.")],
    ) -> SensorReplyPublishPayload:
        context = info.context
        try:
            row = await rules.publish_reply(
                context.db, context.reference, context.caller.staff, str(slug), text, context.now
            )
        except (ValidationFailed, DomainError) as error:
            return SensorReplyPublishPayload(
                sensor=None, errors=sensor_errors(refusals(error), info)
            )
        return SensorReplyPublishPayload(sensor=(await sensor_views(info, [row]))[0], errors=[])

    @strawberry.mutation(
        description="Give an anonymous opinion on a sensor: one per device and sensor (a "
        "second replaces the first); rate-limited.",
        metadata=field_access.submission(),
    )
    async def sensor_opinion_create(
        self,
        info: Info[Context, None],
        input: Annotated[  # the argument's public name
            SensorOpinionCreateInput, strawberry.argument(description="The opinion.")
        ],
    ) -> SensorOpinionCreatePayload:
        context = info.context
        request = opinions.OpinionRequest(
            sensor_slug=str(input.sensor_slug),
            acceptance=input.acceptance,
            understood=input.understood,
            concerns=frozenset(input.concerns),
            comment=input.comment,
            device_key=input.device_key,
            idempotency_key=input.idempotency_key,
        )
        client = context.request.client if context.request else None
        try:
            given = await opinions.submit_opinion(
                context.db,
                context.services.opinion_throttle,
                context.services.secret_keys[-1],
                request,
                client.host if client else None,
                context.now,
            )
        except ValidationFailed as failed:
            return SensorOpinionCreatePayload(
                opinion=None, replaced=False, errors=sensor_errors(failed.errors, info)
            )
        return SensorOpinionCreatePayload(
            opinion=SensorOpinionType.from_row(given.opinion), replaced=given.replaced, errors=[]
        )

    @strawberry.mutation(
        description="Ask a question about a sensor: it goes to the body accountable for it, "
        "which answers publicly; follow it with the tracking token, no account needed.",
        metadata=field_access.submission(),
    )
    async def sensor_question_create(
        self,
        info: Info[Context, None],
        input: Annotated[  # the argument's public name
            SensorQuestionCreateInput, strawberry.argument(description="The question.")
        ],
    ) -> SensorQuestionCreatePayload:
        context = info.context
        try:
            submitted = await rules.submit_question(
                context.db,
                context.reference,
                rules.QuestionRequest(
                    sensor_slug=str(input.sensor_slug),
                    question=input.question,
                    idempotency_key=input.idempotency_key,
                    channel=context.caller.channel(input.channel.value),
                    language=context.translator.locale,
                    contact=to_contact(input.contact),
                ),
                scope=context.caller.kind,
                now=context.now,
                cipher=context.services.contact_cipher,
            )
        except ValidationFailed as failed:
            return SensorQuestionCreatePayload(
                question=None, tracking_token=None, errors=sensor_errors(failed.errors, info)
            )
        return SensorQuestionCreatePayload(
            question=SensorQuestionType.from_row(submitted.item, info),
            tracking_token=context.services.tracking_tokens.issue(submitted.item),
            errors=[],
        )
