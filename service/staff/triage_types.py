"""GraphQL types of triage: the staff view of an item, the queue, action payloads."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from service.context import Context
from service.items.lifecycle import Status
from service.items.models import DeliveryState, Item, Moderation
from service.items.rules import Audience, as_utc
from service.items.types import HistoryEntry, ItemView, PageInfo
from service.routing.due import is_overdue
from service.schema_support import described_enum
from service.staff.triage import Assignment, QueueOrder
from service.staff.types import StaffError

described_enum(
    Assignment,
    name="Assignment",
    description="Whose items to show.",
    values={
        Assignment.ANYONE: "Assigned or not.",
        Assignment.ME: "Assigned to me.",
        Assignment.UNASSIGNED: "Assigned to nobody yet.",
    },
)
described_enum(
    QueueOrder,
    name="QueueOrder",
    description="How to sort the queue.",
    values={
        QueueOrder.OLDEST_FIRST: "The longest waiting first.",
        QueueOrder.NEWEST_FIRST: "The latest first.",
        QueueOrder.MOST_SUPPORTED: "The most « me too » first.",
        QueueOrder.DUE_SOONEST: "By due date, the most overdue first; items without a due "
        "date last.",
    },
)
described_enum(
    DeliveryState,
    name="DeliveryState",
    description="Where an item stands with the body that must handle it.",
    values={
        DeliveryState.PENDING: "Waiting to be delivered to the body's system.",
        DeliveryState.DELIVERED: "Delivered to the body's system.",
        DeliveryState.FAILED: "Could not be delivered after every retry.",
        DeliveryState.TRIAGE: "Worked in this service's queue.",
        DeliveryState.UNROUTED: "The body has no route: kept in its queue, counted.",
    },
)


@strawberry.type(description="An item as its handling body's staff see it.")
class StaffItem(ItemView):
    description: str = strawberry.field(description="What the resident wrote, in full.")
    address_text: str | None = strawberry.field(description="The address given.")
    delivery_state: DeliveryState = strawberry.field(description="Delivery to the body.")
    routing_reason: str = strawberry.field(description="Which routing rule applied.")
    channel: str = strawberry.field(description="How it came in (app, web, counter, ...).")
    language: str = strawberry.field(description="The resident's language, for answers.")
    moderation: Moderation = strawberry.field(
        description="Whether the public reads its text (moderation)."
    )
    public_description: str = strawberry.field(
        description="The public copy of its text (masked of personal data, or as staff edited "
        "it), whether or not the public may read it now."
    )
    open_flag_count: int = strawberry.field(description="Flags from the public not yet reviewed.")
    assigned_to_id: strawberry.Private[int | None]
    due_at: datetime | None = strawberry.field(
        description="When its body should have handled it (UTC): receipt plus the target time "
        "of its category or service. Null when no target applies."
    )
    overdue: bool = strawberry.field(description="True when it is still open past its due date.")

    @classmethod
    def from_row(cls, row: Item, info: Info[Context, None]) -> StaffItem:
        return cls(
            **ItemView.common(row, info.context.translator),
            description=row.description,
            address_text=row.address_text,
            delivery_state=DeliveryState(row.delivery_state),
            routing_reason=row.routing_reason,
            channel=row.channel,
            language=row.language,
            moderation=Moderation(row.moderation),
            public_description=row.public_description,
            open_flag_count=row.open_flags,
            assigned_to_id=row.assigned_to_id,
            due_at=as_utc(row.due_at) if row.due_at else None,
            overdue=is_overdue(row.due_at, Status(row.status), info.context.now),
        )

    @strawberry.field(description="The id of the staff member working it, if any.")
    def assigned_to(self) -> strawberry.ID | None:
        return strawberry.ID(str(self.assigned_to_id)) if self.assigned_to_id else None

    @strawberry.field(description="Its whole history: public lines, the resident's, staff notes.")
    async def history(self, info: Info[Context, None]) -> list[HistoryEntry]:
        audiences = frozenset({Audience.PUBLIC, Audience.RESIDENT, Audience.STAFF})
        return await self._history(info, audiences, public=False)


@strawberry.type(description="How many items of the queue have each status.")
class StatusCount:
    status: Status = strawberry.field(description="The status.")
    count: int = strawberry.field(description="How many items have it.")


@strawberry.type(description="An item of the queue, with its cursor.")
class StaffItemEdge:
    cursor: str = strawberry.field(description="Where it stands in the queue.")
    node: StaffItem = strawberry.field(description="The item.")


@strawberry.type(description="A page of the triage queue.")
class TriageQueue:
    edges: list[StaffItemEdge] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="How to get the next page.")
    total_count: int = strawberry.field(description="How many items match the filter.")
    counts_by_status: list[StatusCount] = strawberry.field(
        description="Counts per status for the filter (status filter aside)."
    )


@strawberry.input(description="What to keep in the queue; all optional.")
class QueueFilterInput:
    status: list[Status] | None = strawberry.field(default=None, description="Any of these.")
    kind: str | None = strawberry.field(default=None, description="report, service_request...")
    category: strawberry.ID | None = strawberry.field(default=None, description="Category.")
    commune: strawberry.ID | None = strawberry.field(default=None, description="INSEE code.")
    created_before: datetime | None = strawberry.field(
        default=None, description="Received before then (how long it has waited)."
    )
    assigned: Assignment = strawberry.field(default=Assignment.ANYONE, description="Whose items.")
    delivery_failed: bool = strawberry.field(
        default=False, description="Only those whose delivery failed."
    )
    unrouted: bool = strawberry.field(default=False, description="Only unrouted ones.")
    overdue: bool = strawberry.field(
        default=False,
        description="Only the open items past their due date (the target time of their "
        "category or service for their body, from receipt).",
    )


@strawberry.type(description="The result of a triage action.")
class ItemActionPayload:
    item: StaffItem | None = strawberry.field(description="The item after the action.")
    errors: list[StaffError] = strawberry.field(description="Empty on success.")


@strawberry.type(description="One item of my bodies as staff see it, or why it cannot be read.")
class StaffItemResult:
    item: StaffItem | None = strawberry.field(description="Null on errors.")
    errors: list[StaffError] = strawberry.field(description="Empty on success.")


@strawberry.type(description="How to reach the resident about one item (logged read).")
class ResidentContact:
    name: str | None = strawberry.field(description="Their name, if given.")
    email: str | None = strawberry.field(description="Their e-mail address, if given.")
    phone: str | None = strawberry.field(description="Their phone number, if given.")


@strawberry.type(description="The resident's contact, or why it cannot be read.")
class ItemContactPayload:
    contact: ResidentContact | None = strawberry.field(description="Null on errors.")
    errors: list[StaffError] = strawberry.field(description="Empty on success.")


@strawberry.type(name="AuditEntry", description="One staff action, as the audit log keeps it.")
class AuditEntryType:
    at: datetime = strawberry.field(description="When (UTC).")
    staff_id: strawberry.ID = strawberry.field(description="Who acted.")
    body_code: str = strawberry.field(description="The body they acted for.")
    action: str = strawberry.field(description="What they did (status_changed, rerouted...).")
    reference: str | None = strawberry.field(description="The item concerned, if any.")
    detail: str | None = strawberry.field(description="How (e.g. « submitted -> resolved »).")


@strawberry.type(description="A page of the audit log, newest first.")
class AuditLogPage:
    entries: list[AuditEntryType] = strawberry.field(description="The entries of this page.")
    page_info: PageInfo = strawberry.field(description="How to get the next page.")
