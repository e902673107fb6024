"""The resident's rights with their tracking token: withdraw consent, export, erase."""

from __future__ import annotations

import json
from typing import Annotated, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.errors import DomainError
from service.privacy import rights
from service.privacy import rules as privacy
from service.privacy.errors import PrivacyErrorCode
from service.privacy.models import ConsentPurpose
from service.privacy.types import (
    ConsentWithdrawPayload,
    MyDataErasePayload,
    MyDataExportPayload,
    PrivacyError,
)
from service.schema_support import payload_errors
from service.tracking.types import TrackedItem

TokenArgument = Annotated[str, strawberry.argument(description="The token given at submission.")]


def privacy_errors(errors: list[DomainError], info: Info[Context, None]) -> list[PrivacyError]:
    return payload_errors(errors, info.context.translator, PrivacyError, PrivacyErrorCode)


@strawberry.type
class PrivacyMutation:
    @strawberry.mutation(
        description="Withdraw consents, effective at once; without purposes, every one. The "
        "contact is deleted as soon as no purpose remains.",
        metadata=field_access.token_holder(),
    )
    async def consent_withdraw(
        self,
        info: Info[Context, None],
        token: TokenArgument,
        purposes: Annotated[
            list[ConsentPurpose] | None,
            strawberry.argument(description="The purposes to withdraw; null: all of them."),
        ] = None,
    ) -> ConsentWithdrawPayload:
        context = info.context
        try:
            async with context.db.writing() as session:
                item = await context.services.tracking_tokens.item_for(session, token, context.now)
                assert item.id is not None
                remaining, deleted = await privacy.withdraw_consents(
                    session, item.id, purposes, context.now
                )
        except DomainError as error:
            return ConsentWithdrawPayload(
                remaining_purposes=[], contact_deleted=False, errors=privacy_errors([error], info)
            )
        context.services.response_cache.invalidate()
        return ConsentWithdrawPayload(
            remaining_purposes=sorted(remaining, key=lambda p: p.value),
            contact_deleted=deleted,
            errors=[],
        )

    @strawberry.mutation(
        description="A copy of everything held about the token's item and its contact: a JSON "
        "document and a summary in the caller's language. Logged.",
        metadata=field_access.token_holder(),
    )
    async def my_data_export(
        self, info: Info[Context, None], token: TokenArgument
    ) -> MyDataExportPayload:
        context = info.context
        services = context.services
        try:
            async with context.db.writing() as session:
                item = await services.tracking_tokens.item_for(session, token, context.now)
                document = await rights.export_my_data(
                    session, item, services.contact_cipher, services.retention_periods, context.now
                )
        except DomainError as error:
            return MyDataExportPayload(
                document=None, summary=None, errors=privacy_errors([error], info)
            )
        return MyDataExportPayload(
            document=json.dumps(document, ensure_ascii=False, indent=2),
            content=cast(JSON, document),
            summary=rights.export_summary(document, context.translator),
            errors=[],
        )

    @strawberry.mutation(
        description="Erase one's data: the contact is deleted, every consent withdrawn and "
        "the free text redacted; the item stays, anonymous. Logged.",
        metadata=field_access.token_holder(),
    )
    async def my_data_erase(
        self, info: Info[Context, None], token: TokenArgument
    ) -> MyDataErasePayload:
        context = info.context
        try:
            async with context.db.writing() as session:
                item = await context.services.tracking_tokens.item_for(session, token, context.now)
                counts = await rights.erase_my_data(
                    session, item, context.now, context.services.photo_store
                )
        except DomainError as error:
            return MyDataErasePayload(
                item=None,
                contact_deleted=False,
                texts_redacted=0,
                errors=privacy_errors([error], info),
            )
        context.services.response_cache.invalidate()
        return MyDataErasePayload(
            item=TrackedItem.from_row(item, info),
            contact_deleted=bool(counts["contacts"]),
            texts_redacted=counts["texts"],
            errors=[],
        )
