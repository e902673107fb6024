"""GraphQL types of tracking: the resident's own view of their item."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from service.context import Context
from service.items.models import Item
from service.items.rules import Audience, references_of
from service.items.types import HistoryEntry, ItemView
from service.photos.types import Audience as PhotoAudience
from service.photos.types import PhotoType, item_photos
from service.schema_support import described_enum
from service.tracking.errors import TrackingErrorCode
from service.tracking.rules import may_give_feedback, may_reopen

described_enum(
    TrackingErrorCode,
    name="TrackingErrorCode",
    description="Why a tracking action was refused.",
    values={
        TrackingErrorCode.TOKEN_INVALID: "The token is forged, damaged, revoked or unknown.",
        TrackingErrorCode.TOKEN_EXPIRED: "The item was finished too long ago.",
        TrackingErrorCode.FEEDBACK_NOT_ALLOWED: "Feedback comes once the item is resolved.",
        TrackingErrorCode.REOPEN_NOT_ALLOWED: "Only a not-fixed item, within 30 days.",
        TrackingErrorCode.INVALID_RATING: "The rating is not between 1 and 5.",
        TrackingErrorCode.TEXT_REQUIRED: "A required text is empty.",
        TrackingErrorCode.TEXT_TOO_LONG: "A text is longer than its limit.",
        TrackingErrorCode.UNKNOWN_UPLOAD: "A photo upload id is unknown to this caller, or "
        "already attached to another item.",
        TrackingErrorCode.TOO_MANY_PHOTOS: "The item would have more photos than allowed.",
    },
)


@strawberry.type(description="Why a tracking action was refused.")
class TrackingError:
    field: str | None = strawberry.field(description="The input at fault, if one is.")
    message: str = strawberry.field(description="What went wrong, in the caller's language.")
    code: TrackingErrorCode = strawberry.field(description="Stable code for programs.")


@strawberry.type(description="The resident's own view of their item, opened by its token.")
class TrackedItem(ItemView):
    description: str = strawberry.field(description="What the resident wrote, in full.")
    address_text: str | None = strawberry.field(description="The address they gave.")
    can_give_feedback: bool = strawberry.field(
        description="Whether the resident can now say if it was fixed."
    )
    can_reopen: bool = strawberry.field(
        description="Whether « not fixed » can still reopen it (30 days after resolution)."
    )
    feedback_fixed: bool | None = strawberry.field(description="What the resident said.")
    feedback_rating: int | None = strawberry.field(description="Their rating, 1 to 5.")
    duplicate_of_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: Item, info: Info[Context, None]) -> TrackedItem:
        return cls(
            **ItemView.common(row, info.context.translator),
            description=row.description,
            address_text=row.address_text,
            can_give_feedback=may_give_feedback(row),
            can_reopen=may_reopen(row, info.context.now),
            feedback_fixed=row.feedback_fixed,
            feedback_rating=row.feedback_rating,
            duplicate_of_id=row.duplicate_of_id,
        )

    @strawberry.field(
        description="When it was closed as a duplicate: the reference of the item that "
        "carries on (its public page has the answers)."
    )
    async def duplicate_of(self, info: Info[Context, None]) -> str | None:
        if self.duplicate_of_id is None:
            return None
        async with info.context.db.reading() as session:
            references = await references_of(session, {self.duplicate_of_id})
        return references.get(self.duplicate_of_id)

    @strawberry.field(
        description="Every photo the resident sent, with where it stands (« awaiting review », "
        "« hidden by moderation » and why); URLs only for approved ones."
    )
    async def photos(self, info: Info[Context, None]) -> list[PhotoType]:
        return await item_photos(info, self.item_id, PhotoAudience.RESIDENT)

    @strawberry.field(
        description="Its history as the resident sees it: public lines and those for them."
    )
    async def history(self, info: Info[Context, None]) -> list[HistoryEntry]:
        return await self._history(
            info, frozenset({Audience.PUBLIC, Audience.RESIDENT}), public=False
        )


@strawberry.type(description="A tracked item, or why the token opened nothing.")
class TrackedResult:
    item: TrackedItem | None = strawberry.field(description="The item; null on errors.")
    errors: list[TrackingError] = strawberry.field(description="Empty on success.")
