"""Answer templates in GraphQL: staff list them; supervisors and admins write them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.errors import DomainError, ValidationFailed
from service.items.rules import as_utc
from service.schema_support import payload_errors
from service.staff import templates, triage
from service.staff.errors import StaffErrorCode
from service.staff.models import AnswerTemplate
from service.staff.permissions import ITEM_READ, ITEM_WRITE, covered_bodies, require_item_work
from service.staff.types import StaffError


@strawberry.type(name="AnswerTemplate", description="A reusable public answer, in one language.")
class AnswerTemplateType:
    code: strawberry.ID = strawberry.field(description="What agents pick it by.")
    language: str = strawberry.field(description="The language of this text.")
    title: str = strawberry.field(description="A short title for the picker.")
    text: str = strawberry.field(
        description="The answer; « {reference} » becomes the item's reference."
    )
    body_code: str = strawberry.field(description="The body it belongs to.")
    updated_at: datetime = strawberry.field(description="When it last changed (UTC).")

    @classmethod
    def from_row(cls, row: AnswerTemplate) -> AnswerTemplateType:
        return cls(
            code=strawberry.ID(row.code),
            language=row.language,
            title=row.title,
            text=row.text,
            body_code=row.body_code,
            updated_at=as_utc(row.updated_at),
        )


@strawberry.input(description="One translation of an answer template of my body.")
class AnswerTemplateSaveInput:
    code: strawberry.ID = strawberry.field(
        description="1 to 60 lower-case letters, digits or dashes; the same code in several "
        "languages makes translations of one answer."
    )
    language: str = strawberry.field(description="fr, en, es, de or ar.")
    title: str = strawberry.field(description="A short title for the picker (120 characters).")
    text: str = strawberry.field(description="The answer (4,000 characters).")


@strawberry.type(description="The template saved, or why not.")
class AnswerTemplatePayload:
    template: AnswerTemplateType | None = strawberry.field(description="Null on errors.")
    errors: list[StaffError] = strawberry.field(description="Empty on success.")


def _errors(errors: list[DomainError], info: Info[Context, None]) -> list[StaffError]:
    return payload_errors(errors, info.context.translator, StaffError, StaffErrorCode)


@strawberry.type
class TemplateQuery:
    @strawberry.field(
        description="The answer templates of my bodies (staff).",
        metadata=field_access.staff(ITEM_READ),
    )
    async def answer_templates(
        self,
        info: Info[Context, None],
        code: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this template.")
        ] = None,
    ) -> list[AnswerTemplateType]:
        context = info.context
        identity = require_item_work(context.caller.staff, "items:read")
        async with context.db.reading() as session:
            rows = await templates.listed(
                session, covered_bodies(identity, context.reference), str(code) if code else None
            )
        return [AnswerTemplateType.from_row(r) for r in rows]


@strawberry.type
class TemplateMutation:
    @strawberry.mutation(
        description="Create or replace one translation of a template of my body "
        "(supervisors and admins). Audited.",
        metadata=field_access.staff(ITEM_WRITE),
    )
    async def answer_template_save(
        self,
        info: Info[Context, None],
        input: Annotated[  # the argument's public name
            AnswerTemplateSaveInput, strawberry.argument(description="The translation to save.")
        ],
    ) -> AnswerTemplatePayload:
        context = info.context
        try:
            identity = require_item_work(context.caller.staff, "items:write")
            async with context.db.writing() as session:
                row = await templates.save(
                    session,
                    identity,
                    code=str(input.code),
                    language=input.language,
                    title=input.title,
                    text=input.text,
                    now=context.now,
                )
                detail = f"{row.code}/{row.language}"
                triage.audit(session, identity, "template_saved", None, context.now, detail)
        except ValidationFailed as failed:
            return AnswerTemplatePayload(template=None, errors=_errors(failed.errors, info))
        except DomainError as error:
            return AnswerTemplatePayload(template=None, errors=_errors([error], info))
        return AnswerTemplatePayload(template=AnswerTemplateType.from_row(row), errors=[])

    @strawberry.mutation(
        description="Delete one translation of a template of my body (supervisors and "
        "admins). Audited.",
        metadata=field_access.staff(ITEM_WRITE),
    )
    async def answer_template_delete(
        self,
        info: Info[Context, None],
        code: Annotated[strawberry.ID, strawberry.argument(description="The template.")],
        language: Annotated[str, strawberry.argument(description="Which translation.")],
    ) -> AnswerTemplatePayload:
        context = info.context
        try:
            identity = require_item_work(context.caller.staff, "items:write")
            async with context.db.writing() as session:
                await templates.delete(session, identity, code=str(code), language=language)
                detail = f"{code}/{language}"
                triage.audit(session, identity, "template_deleted", None, context.now, detail)
        except DomainError as error:
            return AnswerTemplatePayload(template=None, errors=_errors([error], info))
        return AnswerTemplatePayload(template=None, errors=[])
