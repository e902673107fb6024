"""Moderation mutations: thin — check who acts, one rules call, a payload.

Flags come from anyone (anonymous, one per device and item, counted against the per-origin
submission limit like every submission). The queue, the decisions and the takedown report
belong to the handling body's staff who work items (agents, supervisors, administrators);
council members and API clients never reach them.
"""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.errors import DomainError, ValidationFailed
from service.moderation import rules
from service.moderation.errors import ModerationErrorCode
from service.moderation.models import FlagReason
from service.moderation.rules import ModerationAction
from service.moderation.types import (
    ItemFlagPayload,
    ItemModeratePayload,
    ModerationError,
)
from service.privacy.rules import keyed_hash
from service.schema_support import payload_errors
from service.staff.permissions import ITEM_WRITE
from service.staff.triage_types import StaffItem

Reference = Annotated[str, strawberry.argument(description="The item's reference.")]
QUEUE_CURSOR = "mq"  # a moderation queue cursor holds the item's id
FLAG_DEVICE_PURPOSE = "flag-device"


def _errors(errors: list[DomainError], info: Info[Context, None]) -> list[ModerationError]:
    return payload_errors(errors, info.context.translator, ModerationError, ModerationErrorCode)


@strawberry.type
class ModerationMutation:
    @strawberry.mutation(
        description="Flag an item's public text (anyone, no account; once per device and "
        "item). Past a number of flags (SERVICE_MODERATION_FLAGS_TO_HIDE) the text is "
        "withheld until the handling body's staff review it.",
        metadata=field_access.submission(),
    )
    async def item_flag(
        self,
        info: Info[Context, None],
        reference: Reference,
        reason: Annotated[FlagReason, strawberry.argument(description="Why.")],
        device_key: Annotated[
            str,
            strawberry.argument(
                description="A random key the app keeps for this device (kept only as a keyed "
                "hash)."
            ),
        ],
        comment: Annotated[
            str | None,
            strawberry.argument(description="A few words for the moderators (500 characters)."),
        ] = None,
    ) -> ItemFlagPayload:
        context = info.context
        errors = rules.flag_errors(device_key, comment)
        if errors:
            return ItemFlagPayload(counted=False, errors=_errors(errors, info))
        device_hash = keyed_hash(context.services.secret_keys[-1], FLAG_DEVICE_PURPOSE, device_key)
        try:
            flagged = await rules.flag_item(
                context.db,
                context.reference,
                reference.strip().upper(),
                device_hash=device_hash,
                reason=reason,
                comment=comment,
                threshold=context.settings.moderation_flags_to_hide,
                now=context.now,
            )
        except ValidationFailed as failed:
            return ItemFlagPayload(counted=False, errors=_errors(failed.errors, info))
        return ItemFlagPayload(counted=flagged.counted, errors=[])

    @strawberry.mutation(
        description="Decide about an item's public text: hide it, publish a rewritten text, "
        "publish the resident's text, or dismiss its flags — with a reason, kept in the audit "
        "log (the handling body's staff who work items).",
        metadata=field_access.staff(ITEM_WRITE),
    )
    async def item_moderate(
        self,
        info: Info[Context, None],
        reference: Reference,
        action: Annotated[ModerationAction, strawberry.argument(description="The decision.")],
        reason: Annotated[
            str, strawberry.argument(description="Why (audited; staff only read it).")
        ],
        public_text: Annotated[
            str | None,
            strawberry.argument(description="For EDIT only: the text the public will read."),
        ] = None,
    ) -> ItemModeratePayload:
        context = info.context
        try:
            async with context.db.writing() as session:
                item = await rules.moderate(
                    session,
                    context.caller.staff,
                    reference,
                    context.reference,
                    action,
                    reason=reason,
                    new_public_text=public_text,
                    now=context.now,
                )
        except ValidationFailed as failed:
            return ItemModeratePayload(item=None, errors=_errors(failed.errors, info))
        except DomainError as error:
            return ItemModeratePayload(item=None, errors=_errors([error], info))
        return ItemModeratePayload(item=StaffItem.from_row(item, info), errors=[])
