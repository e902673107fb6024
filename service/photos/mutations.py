"""Staff moderation of photos: approve, hide with a reason, rotate, blur a rectangle.

Each act is checked (the photo's item is in the bodies the staff member covers, the role and
token scope allow item work) and written to the audit log in the same transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.errors import DomainError, ValidationFailed
from service.items.models import Item
from service.photos import rules
from service.photos.errors import PhotoErrorCode
from service.photos.models import Photo
from service.photos.types import Audience, PhotoType
from service.schema_support import payload_errors
from service.staff.permissions import ITEM_WRITE
from service.staff.rules import StaffIdentity

PhotoId = Annotated[strawberry.ID, strawberry.argument(description="The photo's id.")]
Act = Callable[[AsyncSession, Photo, Item, StaffIdentity], Awaitable[None]]


@strawberry.type(description="Why a photo upload, attachment or moderation act was refused.")
class PhotoError:
    field: str | None = strawberry.field(description="The input at fault, if one is.")
    message: str = strawberry.field(description="What went wrong, in the caller's language.")
    code: PhotoErrorCode = strawberry.field(description="Stable code for programs.")


@strawberry.type(description="The photo after a moderation act, as staff see it.")
class PhotoModerationPayload:
    photo: PhotoType | None = strawberry.field(description="The photo; null on errors.")
    errors: list[PhotoError] = strawberry.field(description="Empty on success.")


@strawberry.input(description="A rectangle of a photo, in fractions of its width and height.")
class PhotoRectangleInput:
    left: float = strawberry.field(description="Left edge, 0 (left) to 1.")
    top: float = strawberry.field(description="Top edge, 0 (top) to 1.")
    width: float = strawberry.field(description="Width, more than 0, up to 1 - left.")
    height: float = strawberry.field(description="Height, more than 0, up to 1 - top.")


async def _moderate(info: Info[Context, None], photo_id: str, act: Act) -> PhotoModerationPayload:
    context = info.context
    try:
        async with context.db.writing() as session:
            photo, item, staff = await rules.photo_in_scope(
                session, context.caller.staff, context.reference, str(photo_id)
            )
            await act(session, photo, item, staff)
            view = PhotoType.from_row(photo, info, Audience.STAFF)
    except ValidationFailed as failed:
        return PhotoModerationPayload(photo=None, errors=_errors(failed.errors, info))
    except DomainError as error:
        return PhotoModerationPayload(photo=None, errors=_errors([error], info))
    context.services.response_cache.invalidate()
    return PhotoModerationPayload(photo=view, errors=[])


def _errors(errors: list[DomainError], info: Info[Context, None]) -> list[PhotoError]:
    return payload_errors(errors, info.context.translator, PhotoError, PhotoErrorCode)


@strawberry.type
class PhotoMutation:
    @strawberry.mutation(
        description="Publish a photo of an item of your bodies (staff; audited). Until then "
        "only the handling body's staff see it.",
        metadata=field_access.staff(ITEM_WRITE),
    )
    async def photo_approve(
        self, info: Info[Context, None], photo_id: PhotoId
    ) -> PhotoModerationPayload:
        now = info.context.now

        async def act(
            session: AsyncSession, photo: Photo, item: Item, staff: StaffIdentity
        ) -> None:
            await rules.approve(session, photo, item, staff, now)

        return await _moderate(info, photo_id, act)

    @strawberry.mutation(
        description="Hide a photo from the public, with a reason the resident reads (staff; "
        "audited). Staff still see it; approving it again publishes it.",
        metadata=field_access.staff(ITEM_WRITE),
    )
    async def photo_hide(
        self,
        info: Info[Context, None],
        photo_id: PhotoId,
        reason: Annotated[
            str, strawberry.argument(description="Why, up to 500 characters (required).")
        ],
    ) -> PhotoModerationPayload:
        now = info.context.now

        async def act(
            session: AsyncSession, photo: Photo, item: Item, staff: StaffIdentity
        ) -> None:
            await rules.hide(session, photo, item, staff, reason, now)

        return await _moderate(info, photo_id, act)

    @strawberry.mutation(
        description="Turn a photo clockwise, every copy (staff; audited): for a phone that "
        "said the wrong orientation.",
        metadata=field_access.staff(ITEM_WRITE),
    )
    async def photo_rotate(
        self,
        info: Info[Context, None],
        photo_id: PhotoId,
        degrees: Annotated[int, strawberry.argument(description="90, 180 or 270.")],
    ) -> PhotoModerationPayload:
        now, store = info.context.now, info.context.services.photo_store

        async def act(
            session: AsyncSession, photo: Photo, item: Item, staff: StaffIdentity
        ) -> None:
            await rules.rotate(session, store, photo, item, staff, degrees, now)

        return await _moderate(info, photo_id, act)

    @strawberry.mutation(
        description="Blur a rectangle of the public copy (a face, a number plate, a house "
        "number); the staff copy stays whole (staff; audited). Repeat for several.",
        metadata=field_access.staff(ITEM_WRITE),
    )
    async def photo_blur(
        self,
        info: Info[Context, None],
        photo_id: PhotoId,
        rectangle: Annotated[PhotoRectangleInput, strawberry.argument(description="What to blur.")],
    ) -> PhotoModerationPayload:
        now, store = info.context.now, info.context.services.photo_store
        box = (rectangle.left, rectangle.top, rectangle.width, rectangle.height)

        async def act(
            session: AsyncSession, photo: Photo, item: Item, staff: StaffIdentity
        ) -> None:
            await rules.blur(session, store, photo, item, staff, box, now)

        return await _moderate(info, photo_id, act)
