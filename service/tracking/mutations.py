"""What a resident can do with their tracking token: add information, give feedback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.errors import DomainError, ValidationFailed
from service.items.models import Item
from service.photos import rules as photos
from service.tracking import rules
from service.tracking.queries import tracking_errors
from service.tracking.types import TrackedItem, TrackedResult

TokenArgument = Annotated[str, strawberry.argument(description="The token given at submission.")]


@strawberry.type
class TrackingMutation:
    @strawberry.mutation(
        description="Add information to one's item (seen by the handling body, not the public).",
        metadata=field_access.token_holder(),
    )
    async def tracked_add_information(
        self,
        info: Info[Context, None],
        token: TokenArgument,
        text: Annotated[str, strawberry.argument(description="Up to 4,000 characters.")],
        photo_upload_ids: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(
                description="Photos from `POST /media/uploads` to add (the item has at most 3 "
                "by default); public only once the handling body approved them."
            ),
        ] = None,
    ) -> TrackedResult:
        context = info.context

        async def change(session: AsyncSession, item: Item, now: datetime) -> None:
            rules.add_information(session, item, text, now)
            await photos.attach(
                session,
                item,
                [str(i) for i in photo_upload_ids or []],
                scope=context.caller.kind,
                limits=context.services.photo_limits,
            )

        return await _with_item(info, token, change)

    @strawberry.mutation(
        description="Say whether the resolved item was fixed, rate the answer, and reopen it "
        "within 30 days if it was not fixed.",
        metadata=field_access.token_holder(),
    )
    async def tracked_feedback(
        self,
        info: Info[Context, None],
        token: TokenArgument,
        fixed: Annotated[bool, strawberry.argument(description="Was it fixed?")],
        satisfaction: Annotated[
            int | None, strawberry.argument(description="How satisfied, 1 to 5.")
        ] = None,
        comment: Annotated[
            str | None, strawberry.argument(description="A comment, up to 2,000 characters.")
        ] = None,
        reopen: Annotated[
            bool, strawberry.argument(description="Reopen it (only when not fixed).")
        ] = False,
    ) -> TrackedResult:
        return await _with_item(
            info,
            token,
            lambda session, item, now: rules.give_feedback(
                session,
                item,
                fixed=fixed,
                rating=satisfaction,
                comment=comment,
                reopen=reopen,
                now=now,
            ),
        )


async def _with_item(
    info: Info[Context, None],
    token: str,
    change: Callable[[AsyncSession, Item, datetime], Awaitable[None] | None],
) -> TrackedResult:
    """Open the token's item in a write transaction, apply ``change``, answer the new state."""
    context = info.context
    now = context.now
    try:
        async with context.db.writing() as session:
            item = await context.services.tracking_tokens.item_for(session, token, now)
            result = change(session, item, now)
            if result is not None:
                await result
    except ValidationFailed as failed:
        return TrackedResult(item=None, errors=tracking_errors(failed.errors, info))
    except DomainError as error:
        return TrackedResult(item=None, errors=tracking_errors([error], info))
    return TrackedResult(item=TrackedItem.from_row(item, info), errors=[])
