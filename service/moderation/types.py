"""GraphQL types of moderation: the public's flags, the staff queue and decisions."""

from __future__ import annotations

from datetime import datetime

import strawberry

from service.items.rules import as_utc
from service.items.types import PageInfo
from service.moderation.errors import ModerationErrorCode
from service.moderation.models import FlagReason, ItemFlag
from service.moderation.rules import ModerationAction
from service.schema_support import described_enum
from service.staff.triage_types import StaffItem

described_enum(
    ModerationErrorCode,
    name="ModerationErrorCode",
    description="Why a flag or a moderation decision was refused.",
    values={
        ModerationErrorCode.NOT_FOUND: "No public item (or no item of your bodies) has this "
        "reference.",
        ModerationErrorCode.INVALID_DEVICE_KEY: "The device key is not 8-100 safe characters.",
        ModerationErrorCode.TEXT_REQUIRED: "A required text is empty (the reason, or an "
        "edit's new public text).",
        ModerationErrorCode.TEXT_TOO_LONG: "A text is longer than its limit.",
        ModerationErrorCode.TEXT_NOT_EXPECTED: "A new public text was given to a decision "
        "other than EDIT.",
        ModerationErrorCode.INVALID_TEXT: "A text holds a character no text may hold.",
        ModerationErrorCode.NOT_AUTHENTICATED: "This needs a staff session or access token.",
        ModerationErrorCode.FORBIDDEN: "The caller's role or scopes do not allow this.",
    },
)
described_enum(
    FlagReason,
    name="FlagReason",
    description="Why an item's public text is flagged.",
    values={
        FlagReason.PERSONAL_DATA: "It shows someone's personal data.",
        FlagReason.OFFENSIVE: "It is insulting, hateful or threatening.",
        FlagReason.SPAM: "It is advertising or nonsense.",
        FlagReason.OTHER: "Another reason (say which in the comment).",
    },
)
described_enum(
    ModerationAction,
    name="ModerationAction",
    description="What staff decide about an item's public text.",
    values={
        ModerationAction.HIDE: "Hide it from the public (« hidden by moderation »).",
        ModerationAction.EDIT: "Publish a rewritten text instead (give publicText).",
        ModerationAction.RELEASE: "Publish the resident's text (masked of personal data).",
        ModerationAction.DISMISS_FLAGS: "Close the flags; a text they withheld is public again.",
    },
)


@strawberry.type(description="Why a flag or a moderation decision was refused.")
class ModerationError:
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    message: str = strawberry.field(description="What went wrong, in the caller's language.")
    code: ModerationErrorCode = strawberry.field(description="Stable code for programs.")


@strawberry.type(description="The answer to a flag from the public.")
class ItemFlagPayload:
    counted: bool = strawberry.field(
        description="True when the flag was recorded now; false when this device had flagged "
        "the item already (one flag per device and item)."
    )
    errors: list[ModerationError] = strawberry.field(description="Empty on success.")


@strawberry.type(name="ItemFlag", description="A flag from the public, not yet reviewed.")
class ItemFlagType:
    reason: FlagReason = strawberry.field(description="Why it was flagged.")
    comment: str | None = strawberry.field(
        description="What the flagger wrote, personal data masked."
    )
    created_at: datetime = strawberry.field(description="When (UTC).")

    @classmethod
    def from_row(cls, row: ItemFlag) -> ItemFlagType:
        return cls(
            reason=FlagReason(row.reason), comment=row.comment, created_at=as_utc(row.created_at)
        )


@strawberry.type(description="An item awaiting a moderation decision, with its open flags.")
class ModerationEntry:
    item: StaffItem = strawberry.field(
        description="The item, as its staff read it (the resident's text whole, the public "
        "copy, the moderation state)."
    )
    flags: list[ItemFlagType] = strawberry.field(description="Its flags not yet reviewed.")
    cursor: str = strawberry.field(description="Where it stands in the queue.")


@strawberry.type(description="A page of the moderation queue, oldest first.")
class ModerationQueue:
    entries: list[ModerationEntry] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="How to get the next page.")


@strawberry.type(description="The result of a moderation decision.")
class ItemModeratePayload:
    item: StaffItem | None = strawberry.field(description="The item after the decision.")
    errors: list[ModerationError] = strawberry.field(description="Empty on success.")


@strawberry.type(
    description="Notice and takedown over a period, for the transparency report (my bodies)."
)
class ModerationReport:
    flags_received: int = strawberry.field(description="Flags from the public received.")
    items_flagged: int = strawberry.field(description="Distinct items these flags were on.")
    items_held: int = strawberry.field(
        description="Items received in the period whose text is still held."
    )
    items_hidden: int = strawberry.field(description="Hide decisions taken.")
    items_edited: int = strawberry.field(description="Edit decisions taken.")
    items_released: int = strawberry.field(description="Release decisions taken.")
    median_hours_to_decide: float | None = strawberry.field(
        description="Median hours from a flag to the decision on its item (reviewed flags "
        "only); null when none was reviewed."
    )
