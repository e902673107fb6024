"""Moderation queries: thin — check who acts, one rules call, a payload.

Flags come from anyone (anonymous, one per device and item, counted against the per-origin
submission limit like every submission). The queue, the decisions and the takedown report
belong to the handling body's staff who work items (agents, supervisors, administrators);
council members and API clients never reach them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from service import field_access
from service.context import Context
from service.errors import DomainError
from service.items.types import PageInfo
from service.moderation import rules
from service.moderation.errors import ModerationErrorCode
from service.moderation.types import (
    ItemFlagType,
    ModerationEntry,
    ModerationError,
    ModerationQueue,
    ModerationReport,
)
from service.pagination import decode_cursor, encode_cursor, page_size
from service.schema_support import After, PageSize, payload_errors
from service.staff.permissions import ITEM_READ, covered_bodies, require_item_work
from service.staff.triage_types import StaffItem

Reference = Annotated[str, strawberry.argument(description="The item's reference.")]
QUEUE_CURSOR = "mq"  # a moderation queue cursor holds the item's id
FLAG_DEVICE_PURPOSE = "flag-device"


def _errors(errors: list[DomainError], info: Info[Context, None]) -> list[ModerationError]:
    return payload_errors(errors, info.context.translator, ModerationError, ModerationErrorCode)


@strawberry.type
class ModerationQuery:
    @strawberry.field(
        description="The items of my bodies awaiting a moderation decision — held by "
        "pre-moderation, withheld by flags, or with flags not yet reviewed — oldest first "
        "(staff who work items).",
        metadata=field_access.staff(ITEM_READ),
    )
    async def moderation_queue(
        self, info: Info[Context, None], first: PageSize = 20, after: After = None
    ) -> ModerationQueue | None:
        context = info.context
        identity = require_item_work(context.caller.staff, "items:read")
        size = page_size(first, context.settings.max_page_size)
        after_id = decode_cursor(after, QUEUE_CURSOR)
        async with context.db.reading() as session:
            rows, has_next = await rules.queue(
                session,
                covered_bodies(identity, context.reference),
                first=size,
                after_id=after_id,
            )
            flags = await rules.open_flags_of(session, [r.id for r in rows if r.id])
        entries = [
            ModerationEntry(
                item=StaffItem.from_row(row, info),
                flags=[ItemFlagType.from_row(f) for f in flags.get(row.id or 0, [])],
                cursor=encode_cursor(QUEUE_CURSOR, row.id or 0),
            )
            for row in rows
        ]
        return ModerationQueue(
            entries=entries,
            page_info=PageInfo(
                has_next_page=has_next, end_cursor=entries[-1].cursor if entries else None
            ),
        )

    @strawberry.field(
        description="Notice and takedown over a period for my bodies: flags received, "
        "decisions taken, median time to decide (staff who work items).",
        metadata=field_access.staff(ITEM_READ),
    )
    async def moderation_report(
        self,
        info: Info[Context, None],
        since: Annotated[datetime, strawberry.argument(description="From (inclusive).")],
        until: Annotated[datetime, strawberry.argument(description="Until (exclusive).")],
    ) -> ModerationReport | None:
        context = info.context
        identity = require_item_work(context.caller.staff, "items:read")
        async with context.db.reading() as session:
            report = await rules.takedown_report(
                session, covered_bodies(identity, context.reference), since, until
            )
        return ModerationReport(**report.__dict__)
