"""Triage: the queue of a staff member's bodies, and the audited actions on its items.

Every action writes the item's history (what the resident and the public may see, and staff
notes) and the audit log (all of it: who, when, what, why), in one transaction.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, text, tuple_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.errors import N_, DomainError, ValidationFailed
from service.inputs import MAX_ID
from service.items import rules as items
from service.items.lifecycle import OPEN_STATUSES, Status
from service.items.models import DeliveryState, EventKind, Item
from service.outbox import rules as outbox
from service.reference import ReferenceData
from service.reports.rules import outside_alm
from service.routing import due
from service.routing import rules as routing
from service.routing.models import Competence, DueSubject
from service.settings import SUPPORTED_LOCALES
from service.staff.errors import StaffErrorCode
from service.staff.models import AuditEntry, Role, StaffUser
from service.staff.permissions import ADMINISTRATION, ASSIGNING_ROLES, forbidden
from service.staff.rules import StaffIdentity
from service.territory.rules import coordinate_errors

MAX_TEXT = 4_000
# What staff write is taken to be in ALM's reference language unless they say otherwise.
DEFAULT_ANSWER_LANGUAGE = "fr"


class Assignment(enum.Enum):
    ANYONE = "anyone"
    ME = "me"
    UNASSIGNED = "unassigned"


class QueueOrder(enum.Enum):
    OLDEST_FIRST = "oldest_first"
    NEWEST_FIRST = "newest_first"
    MOST_SUPPORTED = "most_supported"
    DUE_SOONEST = "due_soonest"  # by due date (the most overdue first), items without one last


@dataclass(frozen=True)
class QueueFilter:
    statuses: frozenset[Status] | None = None
    kind: str | None = None
    category_code: str | None = None
    commune_code: str | None = None
    created_before: datetime | None = None
    assignment: Assignment = Assignment.ANYONE
    delivery_failed: bool = False
    unrouted: bool = False
    # Only the open items whose due date passed before this moment (the caller's "now").
    overdue_at: datetime | None = None
    # Only items received after this one (a live queue asks what came since it was shown).
    newer_than_id: int | None = None


def _scoped(statement, bodies: frozenset[str], identity: StaffIdentity, f: QueueFilter):  # type: ignore[no-untyped-def]
    statement = statement.where(col(Item.body_code).in_(sorted(bodies)))
    if f.kind:
        statement = statement.where(Item.kind == f.kind)
    if f.category_code:
        statement = statement.where(Item.category_code == f.category_code)
    if f.commune_code:
        statement = statement.where(Item.commune_code == f.commune_code)
    if f.created_before:
        statement = statement.where(col(Item.created_at) < f.created_before)
    if f.assignment is Assignment.ME:
        statement = statement.where(Item.assigned_to_id == identity.staff_id)
    if f.assignment is Assignment.UNASSIGNED:
        statement = statement.where(col(Item.assigned_to_id).is_(None))
    if f.delivery_failed:
        statement = statement.where(Item.delivery_state == DeliveryState.FAILED.value)
    if f.unrouted:
        statement = statement.where(Item.delivery_state == DeliveryState.UNROUTED.value)
    if f.overdue_at is not None:
        statement = statement.where(
            col(Item.due_at) < f.overdue_at,
            col(Item.status).in_(sorted(s.value for s in due.OPEN_STATUSES)),
        )
    if f.newer_than_id is not None:
        statement = statement.where(col(Item.id) > f.newer_than_id)
    return statement


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The largest due position a cursor may hold: the year 9999, in microseconds since 1970.
MAX_DUE_POSITION = (datetime(9999, 12, 31, tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)


def due_position(item: Item) -> int:
    """The first half of a "due soonest" keyset: the due date in microseconds since 1970,
    0 for an item without one (they come last)."""
    if item.due_at is None:
        return 0
    return (items.as_utc(item.due_at) - _EPOCH) // timedelta(microseconds=1)


def cursor_maxima(order: QueueOrder) -> tuple[int, int]:
    """The largest numbers a queue cursor of this order may hold (anything past is refused)."""
    if order is QueueOrder.DUE_SOONEST:  # a due date in microseconds, then an id
        return MAX_DUE_POSITION, MAX_ID
    return MAX_ID, MAX_ID


def queue_position(item: Item, order: QueueOrder) -> tuple[int, int]:
    """Where an item stands in the queue sorted by ``order``: the keyset its cursor holds."""
    if order is QueueOrder.DUE_SOONEST:
        return due_position(item), item.id or 0
    return item.support_count, item.id or 0


async def _due_soonest(  # type: ignore[no-untyped-def]
    session: AsyncSession, statement, first: int, after: tuple[int, int] | None
) -> tuple[list[Item], bool]:
    """Due date ascending, then id; the items without a due date last, by id. Two keyset
    reads, each in the order of the (body, due date, id) index: one ``ORDER BY due_at IS
    NULL`` or one ``OR`` in the keyset would make the database sort the body's items."""
    due_at, item_id = col(Item.due_at), col(Item.id)
    rows: list[Item] = []
    if after is None or after[0] != 0:  # still among the dated items
        dated = statement.where(due_at.is_not(None))
        if after is not None:
            moment = _EPOCH + timedelta(microseconds=after[0])
            dated = dated.where(tuple_(due_at, item_id) > tuple_(moment, after[1]))
        rows = list((await session.exec(dated.order_by(due_at, item_id).limit(first + 1))).all())
    if len(rows) <= first:
        undated = statement.where(due_at.is_(None))
        if after is not None and after[0] == 0:
            undated = undated.where(item_id > after[1])
        more = undated.order_by(item_id).limit(first + 1 - len(rows))
        rows += list((await session.exec(more)).all())
    return rows[:first], len(rows) > first


async def queue(
    session: AsyncSession,
    identity: StaffIdentity,
    bodies: frozenset[str],
    f: QueueFilter,
    order: QueueOrder,
    *,
    first: int,
    after: tuple[int, int] | None,
) -> tuple[list[Item], bool, int, dict[Status, int]]:
    """A page of the queue (keyset: (support count or due position, id)), its total, and
    counts per status."""
    rows, has_next = await queue_rows(session, identity, bodies, f, order, first=first, after=after)
    counts = await queue_counts(session, identity, bodies, f)
    return rows, has_next, queue_total(f, counts), counts


def queue_total(f: QueueFilter, counts: dict[Status, int]) -> int:
    return sum(n for s, n in counts.items() if not f.statuses or s in f.statuses)


async def queue_rows(
    session: AsyncSession,
    identity: StaffIdentity,
    bodies: frozenset[str],
    f: QueueFilter,
    order: QueueOrder,
    *,
    first: int,
    after: tuple[int, int] | None,
) -> tuple[list[Item], bool]:
    """A page of the queue, and whether another follows."""
    statement = _scoped(select(Item), bodies, identity, f)
    if f.statuses:
        statement = statement.where(col(Item.status).in_([s.value for s in f.statuses]))
    if order is QueueOrder.DUE_SOONEST:
        return await _due_soonest(session, statement, first, after)
    if order is QueueOrder.MOST_SUPPORTED:
        if after is not None:
            supports, last_id = after
            statement = statement.where(
                (col(Item.support_count) < supports)
                | ((col(Item.support_count) == supports) & (col(Item.id) > last_id))
            )
        statement = statement.order_by(col(Item.support_count).desc(), col(Item.id))
    elif order is QueueOrder.NEWEST_FIRST:
        if after is not None:
            statement = statement.where(col(Item.id) < after[1])
        statement = statement.order_by(col(Item.id).desc())
    else:
        if after is not None:
            statement = statement.where(col(Item.id) > after[1])
        statement = statement.order_by(col(Item.id))
    rows = list((await session.exec(statement.limit(first + 1))).all())
    return rows[:first], len(rows) > first


async def queue_counts(
    session: AsyncSession, identity: StaffIdentity, bodies: frozenset[str], f: QueueFilter
) -> dict[Status, int]:
    """How many items of the queue have each status (the status filter aside)."""
    # Grouped by body too: the planner then reads the (body, status) index, covering, for
    # each body (by status alone, it scanned the status index and read every row).
    per_status = _scoped(
        select(Item.status, func.count()).group_by(Item.body_code, Item.status), bodies, identity, f
    )
    counts: dict[Status, int] = {}
    for status, number in (await session.exec(per_status)).all():
        counts[Status(status)] = counts.get(Status(status), 0) + number
    return counts


async def escalations(
    session: AsyncSession,
    identity: StaffIdentity,
    bodies: frozenset[str],
    now: datetime,
    *,
    first: int,
    after: tuple[int, int] | None,
) -> tuple[list[Item], bool, int, dict[Status, int]]:
    """The escalation list of supervisors and administrators: the open items of their bodies
    past their due date, the most overdue first (the queue's own filter and sort)."""
    if identity.role not in ASSIGNING_ROLES:
        raise forbidden()
    return await queue(
        session,
        identity,
        bodies,
        QueueFilter(overdue_at=now),
        QueueOrder.DUE_SOONEST,
        first=first,
        after=after,
    )


def not_found(reference: str) -> DomainError:
    # An item outside the caller's bodies is "not found": its existence is not theirs to know.
    return DomainError(
        StaffErrorCode.NOT_FOUND,
        N_("There is no item %(reference)s in your queue."),
        field="reference",
        reference=reference,
    )


async def item_in_scope(session: AsyncSession, reference: str, bodies: frozenset[str]) -> Item:
    item = await items.get_by_reference(session, reference.strip().upper())
    if item is None or item.body_code not in bodies:
        raise not_found(reference)
    return item


def audit(
    session: AsyncSession,
    identity: StaffIdentity,
    action: str,
    item: Item | None,
    now: datetime,
    detail: str | None = None,
) -> None:
    session.add(
        AuditEntry(
            at=now,
            staff_id=identity.staff_id,
            body_code=identity.body_code,
            action=action,
            item_id=item.id if item else None,
            detail=detail[:500] if detail else None,
        )
    )


def answer_language_errors(language: str | None) -> list[DomainError]:
    if language is None or language in SUPPORTED_LOCALES:
        return []
    return [
        DomainError(
            StaffErrorCode.UNSUPPORTED_LANGUAGE,
            N_("Choose one of the supported languages: %(languages)s."),
            field="answerLanguage",
            languages=", ".join(SUPPORTED_LOCALES),
        )
    ]


def answer_twice(field: str) -> DomainError:
    return DomainError(
        StaffErrorCode.TEXT_TWICE,
        N_("Type an answer or choose a template, not both."),
        field=field,
    )


def reason_errors(reason: str) -> list[DomainError]:
    return items.text_errors(reason, field="reason", maximum=MAX_TEXT, required=True)


def transition(
    session: AsyncSession,
    identity: StaffIdentity,
    item: Item,
    target: Status,
    now: datetime,
    *,
    public_answer: str | None = None,
    private_note: str | None = None,
    answer_language: str = DEFAULT_ANSWER_LANGUAGE,
) -> None:
    """Move the item with an optional public answer (the resident and the public see it) and
    an optional private note (staff only); both go to the audit log with the change."""
    before = item.status
    items.change_status(
        session,
        item,
        target,
        actor=identity.actor,
        now=now,
        public_text=(public_answer or "").strip() or None,
        text_language=answer_language,
    )
    audit(session, identity, "status_changed", item, now, f"{before} -> {target.value}")
    if (public_answer or "").strip():
        outbox.append(session, "item.answered", item_id=item.id, now=now)
    _write(session, identity, item, now, "noted", private_note)


# A text staff write on an item: which history line it makes, who sees it, how it is audited.
_WRITINGS = {
    "answered": (EventKind.PUBLIC_ANSWER, items.Audience.PUBLIC),
    "noted": (EventKind.PRIVATE_NOTE, items.Audience.STAFF),
}


def _write(
    session: AsyncSession,
    identity: StaffIdentity,
    item: Item,
    now: datetime,
    action: str,
    text: str | None,
    language: str = DEFAULT_ANSWER_LANGUAGE,
) -> None:
    """Add a public answer or a private note to the history and the audit log (if any text)."""
    if text and text.strip():
        kind, audience = _WRITINGS[action]
        items.add_event(
            session,
            item,
            kind,
            audience,
            actor=identity.actor,
            now=now,
            text=text.strip(),
            language=language,
        )
        audit(session, identity, action, item, now)
        if action == "answered":  # the change feed and integrators' webhooks hear of it
            outbox.append(session, "item.answered", item_id=item.id, now=now)
        else:
            # A private note is no news for the body's system or the feed; without an item_id
            # the entry plans no delivery, and the search index (staff scope) still hears of it.
            outbox.append(
                session,
                "item.annotated",
                item_id=None,
                now=now,
                payload={"search": {"source": "item", "id": item.id}},
            )


def annotate(
    session: AsyncSession,
    identity: StaffIdentity,
    item: Item,
    now: datetime,
    *,
    public_answer: str | None,
    private_note: str | None,
    answer_language: str = DEFAULT_ANSWER_LANGUAGE,
) -> None:
    """An answer and/or a note without changing the status."""
    _write(session, identity, item, now, "answered", public_answer, answer_language)
    _write(session, identity, item, now, "noted", private_note)
    item.updated_at = now
    session.add(item)


async def assign(
    session: AsyncSession,
    identity: StaffIdentity,
    item: Item,
    assignee_id: int | None,
    bodies: frozenset[str],
    now: datetime,
) -> None:
    """Agents take an item for themselves; supervisors and admins assign anyone of theirs."""
    if assignee_id not in (None, identity.staff_id) and identity.role not in ASSIGNING_ROLES:
        raise forbidden()
    if assignee_id is not None:
        assignee = await session.get(StaffUser, assignee_id)
        if (
            assignee is None
            or not assignee.active
            or assignee.body_code not in bodies
            or Role(assignee.role) is Role.COUNCIL
        ):
            raise DomainError(
                StaffErrorCode.NOT_FOUND,
                N_("There is no agent with this id in your bodies."),
                field="staffId",
            )
    item.assigned_to_id = assignee_id
    item.updated_at = now
    session.add(item)
    who = f"staff:{assignee_id}" if assignee_id is not None else "nobody"
    items.add_event(
        session,
        item,
        EventKind.ASSIGNED,
        items.Audience.STAFF,
        actor=identity.actor,
        now=now,
        text=who,
    )
    audit(session, identity, "assigned", item, now, f"to {who}")


def require_audit_reader(identity: StaffIdentity | None) -> StaffIdentity:
    """Administrators read the audit log of their bodies (a token needs staff:read)."""
    return ADMINISTRATION.require(identity)


@dataclass(frozen=True)
class AuditFilter:
    reference: str | None = None
    staff_id: int | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def audit_page(
    session: AsyncSession,
    bodies: frozenset[str],
    f: AuditFilter,
    *,
    first: int,
    before_id: int | None,
) -> tuple[list[AuditEntry], bool, dict[int, str]]:
    """A page of the audit log (``audit_entries``) filtered by an item's reference too, with
    the references of the items its entries name."""
    item_id = None
    if f.reference:
        item = await items.get_by_reference(session, f.reference.strip().upper())
        item_id = item.id if item and item.id else -1  # an unknown reference matches nothing
    rows, has_next = await audit_entries(
        session,
        bodies,
        item_id=item_id,
        staff_id=f.staff_id,
        action=f.action,
        since=f.since,
        until=f.until,
        first=first,
        before_id=before_id,
    )
    references = await items.references_of(session, {r.item_id for r in rows if r.item_id})
    return rows, has_next, references


async def audit_entries(
    session: AsyncSession,
    bodies: frozenset[str],
    *,
    item_id: int | None,
    staff_id: int | None,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
    first: int,
    before_id: int | None,
) -> tuple[list[AuditEntry], bool]:
    """Actions taken by the staff of these bodies, newest first (keyset on id)."""
    statement = select(AuditEntry).where(col(AuditEntry.body_code).in_(sorted(bodies)))
    if item_id is not None:
        statement = statement.where(AuditEntry.item_id == item_id)
    if staff_id is not None:
        statement = statement.where(AuditEntry.staff_id == staff_id)
    if action:
        statement = statement.where(AuditEntry.action == action)
    if since:
        statement = statement.where(col(AuditEntry.at) >= since)
    if until:
        statement = statement.where(col(AuditEntry.at) < until)
    if before_id is not None:
        statement = statement.where(col(AuditEntry.id) < before_id)
    statement = statement.order_by(col(AuditEntry.id).desc()).limit(first + 1)
    rows = list((await session.exec(statement)).all())
    return rows[:first], len(rows) > first


def reroute(
    session: AsyncSession,
    identity: StaffIdentity,
    item: Item,
    reference: ReferenceData,
    now: datetime,
    *,
    category_code: str | None,
    point: tuple[float, float] | None,
    body_code: str | None,
) -> None:
    """Change the category, move the pin or hand the item to another body; routing runs
    again (unless a body is named), the new body hears of it, all of it audited."""
    if identity.role not in ASSIGNING_ROLES:
        raise forbidden()
    if Status(item.status) not in OPEN_STATUSES:
        # Refused rather than reopened: a resolved item moved to another body would sit there
        # resolved, and its resident told it was fixed. Reopen it first (a status change the
        # resident sees), then re-route.
        raise DomainError(
            StaffErrorCode.INVALID_TRANSITION,
            N_("A finished item is not re-routed; a resolved one can be reopened first."),
            field="reference",
        )
    if item.category_code is None and category_code is None and point is None and body_code:
        # An item without a category (a question about a sensor) can only be handed over.
        _hand_over(session, identity, item, reference, now, body_code)
        return
    category = reference.categories.get(category_code or item.category_code or "")
    if category is None:
        raise ValidationFailed([routing.unknown_category(category_code or "")])
    commune_code = item.commune_code
    if point is not None:
        errors = coordinate_errors(*point)
        located = reference.locator.locate(*point) if not errors else None
        if errors or located is None:
            raise ValidationFailed(errors or [outside_alm()])
        commune_code = located
        item.latitude, item.longitude = point
    decision = routing.route_item(
        reference, commune_code=commune_code, category=category, today=now.date()
    )
    if body_code is not None:
        if body_code not in reference.bodies:
            raise DomainError(
                StaffErrorCode.NOT_FOUND,
                N_("There is no body %(body)s."),
                field="bodyCode",
                body=body_code,
            )
        route = reference.routes.get(body_code)
        decision = routing.RoutingDecision(
            decision.competence,
            body_code,
            route,
            f"handed to {body_code} by {identity.actor}",
        )
    before = f"{item.category_code}/{item.commune_code}/{item.body_code}"
    item.category_code, item.commune_code = category.code, commune_code
    item.body_code, item.competence = decision.body_code, decision.competence.value
    item.routing_reason, item.delivery_state = decision.reason, decision.delivery_state.value
    item.assigned_to_id = None  # the new body decides who works it
    item.updated_at = now
    _refresh_due(item, reference)
    session.add(item)
    items.add_event(
        session,
        item,
        EventKind.REROUTED,
        items.Audience.PUBLIC,
        actor=identity.actor,
        now=now,
        text=reference.bodies[decision.body_code].name,
    )
    outbox.append(session, "item.rerouted", item_id=item.id, now=now)
    after = f"{item.category_code}/{item.commune_code}/{item.body_code}"
    audit(session, identity, "rerouted", item, now, f"{before} -> {after}")


def _hand_over(
    session: AsyncSession,
    identity: StaffIdentity,
    item: Item,
    reference: ReferenceData,
    now: datetime,
    body_code: str,
) -> None:
    if body_code not in reference.bodies:
        raise DomainError(
            StaffErrorCode.NOT_FOUND,
            N_("There is no body %(body)s."),
            field="bodyCode",
            body=body_code,
        )
    route = reference.routes.get(body_code)
    decision = routing.RoutingDecision(
        Competence(item.competence),
        body_code,
        route,
        f"handed to {body_code} by {identity.actor}",
    )
    before = item.body_code
    item.body_code, item.routing_reason = body_code, decision.reason
    item.delivery_state = decision.delivery_state.value
    item.assigned_to_id = None
    item.updated_at = now
    _refresh_due(item, reference)
    session.add(item)
    items.add_event(
        session,
        item,
        EventKind.REROUTED,
        items.Audience.PUBLIC,
        actor=identity.actor,
        now=now,
        text=reference.bodies[body_code].name,
    )
    outbox.append(session, "item.rerouted", item_id=item.id, now=now)
    audit(session, identity, "rerouted", item, now, f"{before} -> {body_code}")


def _refresh_due(item: Item, reference: ReferenceData) -> None:
    """A re-routed report is due by its (new) category's target for its (new) body, counted
    from its receipt. A service request keeps its date: its service does not change."""
    if item.category_code is not None:
        item.due_at = due.due_at(
            reference,
            DueSubject.CATEGORY,
            item.category_code,
            item.body_code,
            items.as_utc(item.created_at),
        )


async def mark_duplicate(
    session: AsyncSession,
    identity: StaffIdentity,
    item: Item,
    original_reference: str,
    bodies: frozenset[str],
    now: datetime,
) -> None:
    """Close ``item`` as a duplicate of the original: its supports move there (a device that
    supported both counts once), and its resident is told where to follow it."""
    original = await item_in_scope(session, original_reference, bodies)
    if original.id == item.id or original.duplicate_of_id is not None:
        raise DomainError(
            StaffErrorCode.INVALID_TRANSITION,
            N_("Choose as original another item that is not itself a duplicate."),
            field="originalReference",
        )
    await session.exec(  # type: ignore[call-overload]
        text(
            "UPDATE support SET item_id = :original WHERE item_id = :duplicate AND device_hash "
            "NOT IN (SELECT device_hash FROM support WHERE item_id = :original)"
        ),
        params={"original": original.id, "duplicate": item.id},
    )
    await session.exec(  # type: ignore[call-overload]
        text(
            "UPDATE item SET support_count = (SELECT count(*) FROM support WHERE item_id = item.id)"
            " WHERE id IN (:original, :duplicate)"
        ),
        params={"original": original.id, "duplicate": item.id},
    )
    await session.refresh(original)
    await session.refresh(item)
    item.duplicate_of_id = original.id
    transition(session, identity, item, Status.DUPLICATE, now, public_answer=original.reference)
    items.add_event(
        session,
        original,
        EventKind.MERGED,
        items.Audience.PUBLIC,
        actor=identity.actor,
        now=now,
        text=item.reference,
    )
    audit(session, identity, "merged", original, now, f"{item.reference} -> {original.reference}")
