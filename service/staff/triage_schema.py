"""Triage queries and mutations: thin — check who acts, one rules call, a payload."""

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
from service.inputs import id_number
from service.items import rules as items
from service.items.lifecycle import Status
from service.items.models import Item
from service.items.types import PageInfo
from service.pagination import decode_cursor, decode_cursor_pair, encode_cursor, page_size
from service.schema_support import After, PageSize, payload_errors
from service.staff import actions, triage
from service.staff.errors import StaffErrorCode
from service.staff.permissions import (
    ADMINISTRATION,
    ITEM_READ,
    ITEM_WRITE,
    covered_bodies,
    require_item_work,
)
from service.staff.triage_types import (
    AuditEntryType,
    AuditLogPage,
    ItemActionPayload,
    ItemContactPayload,
    QueueFilterInput,
    ResidentContact,
    StaffItem,
    StaffItemEdge,
    StaffItemResult,
    StatusCount,
    TriageQueue,
)
from service.staff.types import StaffError

Reference = Annotated[str, strawberry.argument(description="The item's reference.")]
PublicAnswer = Annotated[
    str | None, strawberry.argument(description="An answer the resident and the public see.")
]
PrivateNote = Annotated[str | None, strawberry.argument(description="A note for staff only.")]
TemplateCode = Annotated[
    strawberry.ID | None,
    strawberry.argument(
        description="Answer with this template of the item's body (or yours), in the "
        "resident's language when it has that translation, else in French. Instead of typing."
    ),
]
AnswerLanguage = Annotated[
    str | None,
    strawberry.argument(
        description="The language you typed the answer in (fr, en, es, de, ar); default fr. "
        "A resident reading another language is told which one it is written in."
    ),
]


QUEUE_CURSOR = "q"  # a queue cursor holds the item's support count and id (the keyset)
AUDIT_CURSOR = "audit"  # an audit cursor holds the entry's id


def _cursor(item: Item, order: triage.QueueOrder) -> str:
    return encode_cursor(QUEUE_CURSOR, *triage.queue_position(item, order))


def _queue_position(after: str | None, order: triage.QueueOrder) -> tuple[int, int] | None:
    return decode_cursor_pair(after, QUEUE_CURSOR, maxima=triage.cursor_maxima(order))


def _errors(errors: list[DomainError], info: Info[Context, None]) -> list[StaffError]:
    return payload_errors(errors, info.context.translator, StaffError, StaffErrorCode)


ItemAction = Callable[[AsyncSession], Awaitable[Item]]


async def _act(info: Info[Context, None], action: ItemAction) -> ItemActionPayload:
    """Run one of ``service.staff.actions`` in a writing transaction; answer the item, or the
    refusals as typed errors."""
    try:
        async with info.context.db.writing() as session:
            item = await action(session)
    except ValidationFailed as failed:
        return ItemActionPayload(item=None, errors=_errors(failed.errors, info))
    except DomainError as error:
        return ItemActionPayload(item=None, errors=_errors([error], info))
    return ItemActionPayload(item=StaffItem.from_row(item, info), errors=[])


def _answer(
    typed: str | None,
    template_code: strawberry.ID | None,
    language: str | None,
    field: str = "publicAnswer",
) -> actions.Answer:
    code = str(template_code) if template_code is not None else None
    return actions.Answer(typed, code, language, field)


@strawberry.type
class TriageQuery:
    @strawberry.field(
        description="The items of my bodies, filtered and sorted, a page at a time (staff).",
        metadata=field_access.staff(ITEM_READ),
    )
    async def triage_queue(
        self,
        info: Info[Context, None],
        filter: Annotated[  # the argument's public name
            QueueFilterInput | None, strawberry.argument(description="What to keep.")
        ] = None,
        order: Annotated[
            triage.QueueOrder, strawberry.argument(description="How to sort.")
        ] = triage.QueueOrder.OLDEST_FIRST,
        first: PageSize = 20,
        after: After = None,
    ) -> TriageQueue | None:
        context = info.context
        # A refusal is a typed error (NOT_AUTHENTICATED, FORBIDDEN), never an empty queue.
        identity = require_item_work(context.caller.staff, "items:read")
        value = filter or QueueFilterInput()
        queue_filter = triage.QueueFilter(
            statuses=frozenset(value.status) if value.status else None,
            kind=value.kind,
            category_code=str(value.category) if value.category else None,
            commune_code=str(value.commune) if value.commune else None,
            created_before=value.created_before,
            assignment=value.assigned,
            delivery_failed=value.delivery_failed,
            unrouted=value.unrouted,
            overdue_at=context.now if value.overdue else None,
        )
        size = page_size(first, context.settings.max_page_size)
        after_position = _queue_position(after, order)
        async with context.db.reading() as session:
            rows, has_next, total, counts = await triage.queue(
                session,
                identity,
                covered_bodies(identity, context.reference),
                queue_filter,
                order,
                first=size,
                after=after_position,
            )
        return _queue_page(info, rows, order, has_next, total, counts)

    @strawberry.field(
        description="The escalation list (supervisors and administrators): the open items of "
        "my bodies past their due date, the most overdue first.",
        metadata=field_access.staff(ITEM_READ),
    )
    async def triage_escalations(
        self, info: Info[Context, None], first: PageSize = 20, after: After = None
    ) -> TriageQueue | None:
        context = info.context
        identity = require_item_work(context.caller.staff, "items:read")
        size = page_size(first, context.settings.max_page_size)
        after_position = _queue_position(after, triage.QueueOrder.DUE_SOONEST)
        async with context.db.reading() as session:
            rows, has_next, total, counts = await triage.escalations(
                session,
                identity,
                covered_bodies(identity, context.reference),
                context.now,
                first=size,
                after=after_position,
            )
        return _queue_page(info, rows, triage.QueueOrder.DUE_SOONEST, has_next, total, counts)

    @strawberry.field(
        description="One item of my bodies by its reference, as its handling body's staff see "
        "it: the full description, the address, the whole history with notes (staff). "
        "`report(reference:)` gives everyone the public view.",
        metadata=field_access.staff(ITEM_READ),
    )
    async def staff_item(self, info: Info[Context, None], reference: Reference) -> StaffItemResult:
        c = info.context
        try:
            async with c.db.reading() as session:
                opened = await actions.open_item(session, c.caller.staff, reference, c.reference)
        except DomainError as error:
            return StaffItemResult(item=None, errors=_errors([error], info))
        return StaffItemResult(item=StaffItem.from_row(opened.item, info), errors=[])


def _queue_page(
    info: Info[Context, None],
    rows: list[Item],
    order: triage.QueueOrder,
    has_next: bool,
    total: int,
    counts: dict[Status, int],
) -> TriageQueue:
    edges = [
        StaffItemEdge(cursor=_cursor(r, order), node=StaffItem.from_row(r, info)) for r in rows
    ]
    return TriageQueue(
        edges=edges,
        page_info=PageInfo(has_next_page=has_next, end_cursor=edges[-1].cursor if edges else None),
        total_count=total,
        counts_by_status=[
            StatusCount(status=s, count=n)
            for s, n in sorted(counts.items(), key=lambda pair: list(Status).index(pair[0]))
        ],
    )


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="The audit log of my bodies' staff, newest first (administrators).",
        metadata=field_access.staff(ADMINISTRATION),
    )
    async def audit_log(
        self,
        info: Info[Context, None],
        reference: Annotated[str | None, strawberry.argument(description="One item.")] = None,
        staff_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="One staff member.")
        ] = None,
        action: Annotated[str | None, strawberry.argument(description="One action.")] = None,
        since: Annotated[datetime | None, strawberry.argument(description="From.")] = None,
        until: Annotated[datetime | None, strawberry.argument(description="Until.")] = None,
        first: PageSize = 50,
        after: After = None,
    ) -> AuditLogPage | None:
        context = info.context
        identity = triage.require_audit_reader(context.caller.staff)
        bodies = covered_bodies(identity, context.reference)
        size = page_size(first, context.settings.max_page_size)
        before_id = decode_cursor(after, AUDIT_CURSOR)
        audit_filter = triage.AuditFilter(
            reference=reference,
            staff_id=id_number(staff_id) if staff_id else None,
            action=action,
            since=since,
            until=until,
        )
        async with context.db.reading() as session:
            rows, has_next, references = await triage.audit_page(
                session, bodies, audit_filter, first=size, before_id=before_id
            )
        entries = [
            AuditEntryType(
                at=items.as_utc(r.at),
                staff_id=strawberry.ID(str(r.staff_id)),
                body_code=r.body_code,
                action=r.action,
                reference=references.get(r.item_id) if r.item_id else None,
                detail=r.detail,
            )
            for r in rows
        ]
        end = encode_cursor(AUDIT_CURSOR, rows[-1].id or 0) if rows else None
        return AuditLogPage(
            entries=entries, page_info=PageInfo(has_next_page=has_next, end_cursor=end)
        )


@strawberry.type
class TriageMutation:
    @strawberry.mutation(
        description="Say the item was seen (the resident sees it).",
        metadata=field_access.staff(ITEM_WRITE),
    )
    async def item_acknowledge(
        self, info: Info[Context, None], reference: Reference
    ) -> ItemActionPayload:
        c = info.context
        return await _act(
            info,
            lambda s: actions.acknowledge(s, c.caller.staff, reference, c.reference, c.now),
        )

    @strawberry.mutation(
        description="Move the item to a status, with a public answer (typed, or from a "
        "template) and/or a private note.",
        metadata=field_access.staff(ITEM_WRITE),
    )
    async def item_transition(
        self,
        info: Info[Context, None],
        reference: Reference,
        status: Annotated[Status, strawberry.argument(description="The new status.")],
        public_answer: PublicAnswer = None,
        private_note: PrivateNote = None,
        answer_template_code: TemplateCode = None,
        answer_language: AnswerLanguage = None,
    ) -> ItemActionPayload:
        c = info.context
        answer = _answer(public_answer, answer_template_code, answer_language)
        return await _act(
            info,
            lambda s: actions.transition(
                s,
                c.caller.staff,
                reference,
                c.reference,
                c.now,
                status=status,
                answer=answer,
                private_note=private_note,
            ),
        )

    @strawberry.mutation(
        description="Answer publicly (typed, or from a template) and/or note privately, "
        "status unchanged.",
        metadata=field_access.staff(ITEM_WRITE),
    )
    async def item_answer(
        self,
        info: Info[Context, None],
        reference: Reference,
        public_answer: PublicAnswer = None,
        private_note: PrivateNote = None,
        answer_template_code: TemplateCode = None,
        answer_language: AnswerLanguage = None,
    ) -> ItemActionPayload:
        c = info.context
        answer = _answer(public_answer, answer_template_code, answer_language)
        return await _act(
            info,
            lambda s: actions.annotate(
                s,
                c.caller.staff,
                reference,
                c.reference,
                c.now,
                answer=answer,
                private_note=private_note,
            ),
        )

    @strawberry.mutation(
        description="Reject the item with a reason the resident sees (typed, or from a template).",
        metadata=field_access.staff(ITEM_WRITE),
    )
    async def item_reject(
        self,
        info: Info[Context, None],
        reference: Reference,
        reason: Annotated[
            str | None, strawberry.argument(description="Why, for the resident.")
        ] = None,
        answer_template_code: TemplateCode = None,
        answer_language: AnswerLanguage = None,
    ) -> ItemActionPayload:
        c = info.context
        answer = _answer(reason, answer_template_code, answer_language, field="reason")
        return await _act(
            info,
            lambda s: actions.reject(
                s, c.caller.staff, reference, c.reference, c.now, reason=answer
            ),
        )

    @strawberry.mutation(
        description="Assign the item: agents take it for themselves; supervisors and admins "
        "assign anyone of their bodies; null to unassign.",
        metadata=field_access.staff(ITEM_WRITE),
    )
    async def item_assign(
        self,
        info: Info[Context, None],
        reference: Reference,
        staff_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Who works it; null: nobody.")
        ] = None,
    ) -> ItemActionPayload:
        c = info.context
        assignee = id_number(staff_id) if staff_id is not None else None
        return await _act(
            info,
            lambda s: actions.assign(
                s, c.caller.staff, reference, c.reference, c.now, assignee_id=assignee
            ),
        )

    @strawberry.mutation(
        description="Read the resident's contact: for the handling body's staff only, while "
        "the resident's consent holds. Every read is logged.",
        metadata=field_access.staff(ITEM_READ),
    )
    async def item_contact(
        self, info: Info[Context, None], reference: Reference
    ) -> ItemContactPayload:
        c = info.context
        try:
            async with c.db.writing() as session:
                contact = await actions.read_item_contact(
                    session,
                    c.caller.staff,
                    reference,
                    c.reference,
                    c.now,
                    c.services.contact_cipher,
                )
        except DomainError as error:
            return ItemContactPayload(contact=None, errors=_errors([error], info))
        return ItemContactPayload(
            contact=ResidentContact(name=contact.name, email=contact.email, phone=contact.phone),
            errors=[],
        )

    @strawberry.mutation(
        description="Change the category, move the pin or hand the item to another body "
        "(supervisors and admins): routing runs again and the new body hears of it.",
        metadata=field_access.staff(ITEM_WRITE),
    )
    async def item_reroute(
        self,
        info: Info[Context, None],
        reference: Reference,
        category_code: Annotated[
            strawberry.ID | None, strawberry.argument(description="The right category.")
        ] = None,
        latitude: Annotated[float | None, strawberry.argument(description="New pin.")] = None,
        longitude: Annotated[float | None, strawberry.argument(description="New pin.")] = None,
        body_code: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Hand it to this body instead of routing."),
        ] = None,
    ) -> ItemActionPayload:
        c = info.context
        point = (latitude, longitude) if latitude is not None and longitude is not None else None
        return await _act(
            info,
            lambda s: actions.reroute(
                s,
                c.caller.staff,
                reference,
                c.reference,
                c.now,
                category_code=str(category_code) if category_code else None,
                point=point,
                body_code=str(body_code) if body_code else None,
            ),
        )

    @strawberry.mutation(
        description="Close the item as a duplicate of another of yours: its supports move to "
        "the original and its resident is told where to follow it.",
        metadata=field_access.staff(ITEM_WRITE),
    )
    async def item_mark_duplicate(
        self,
        info: Info[Context, None],
        reference: Reference,
        original_reference: Annotated[
            str, strawberry.argument(description="The item that carries on.")
        ],
    ) -> ItemActionPayload:
        c = info.context
        return await _act(
            info,
            lambda s: actions.mark_duplicate(
                s,
                c.caller.staff,
                reference,
                c.reference,
                c.now,
                original_reference=original_reference,
            ),
        )
