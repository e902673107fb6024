"""The resident's query: read their item with its token."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.errors import DomainError
from service.schema_support import payload_errors
from service.tracking.errors import TrackingErrorCode
from service.tracking.types import TrackedItem, TrackedResult, TrackingError


def tracking_errors(errors: list[DomainError], info: Info[Context, None]) -> list[TrackingError]:
    return payload_errors(errors, info.context.translator, TrackingError, TrackingErrorCode)


@strawberry.type
class TrackingQuery:
    @strawberry.field(
        description="The item a tracking token opens, with its history and the answers "
        "addressed to the resident.",
        metadata=field_access.token_holder(),
    )
    async def tracked(
        self,
        info: Info[Context, None],
        token: Annotated[str, strawberry.argument(description="The token given at submission.")],
    ) -> TrackedResult:
        context = info.context
        try:
            async with context.db.reading() as session:
                item = await context.services.tracking_tokens.item_for(session, token, context.now)
        except DomainError as error:
            return TrackedResult(item=None, errors=tracking_errors([error], info))
        return TrackedResult(item=TrackedItem.from_row(item, info), errors=[])

    @strawberry.field(
        description="The item a reference and its short code open (the code an agent gave a "
        "resident at the counter or on the phone).",
        metadata=field_access.token_holder(),
    )
    async def tracked_by_code(
        self,
        info: Info[Context, None],
        reference: Annotated[str, strawberry.argument(description="E.g. ALM-2026-004217.")],
        code: Annotated[str, strawberry.argument(description="E.g. K7PM-3XQD.")],
    ) -> TrackedResult:
        context = info.context
        tokens = context.services.tracking_tokens
        try:
            async with context.db.reading() as session:
                item = await tokens.item_for_code(session, reference, code, context.now)
        except DomainError as error:
            return TrackedResult(item=None, errors=tracking_errors([error], info))
        return TrackedResult(item=TrackedItem.from_row(item, info), errors=[])
