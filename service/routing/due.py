"""Due dates: how long a body has to handle an item, and when an item is overdue.

The target time belongs to the item's category (reports) or service (service requests):
ALM's default, or the handling body's own (``fixtures/routing/due_targets.csv``). An item's
due date is its receipt plus that target, **stored on the item** when it is received and again
when it is re-routed: the queue then sorts by it and filters the overdue on an index
(``ix_item_body_due``), at 100,000 items as at 100, instead of computing a date per row. The
cost is that a changed target applies to the items received (or re-routed) after it, which is
also the fair rule: a body is held to the promise in force when the resident wrote.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from service.items.lifecycle import STATUS_CLASS, Status, StatusClass
from service.reference import ReferenceData
from service.routing.models import DueSubject


def target_hours(
    reference: ReferenceData, subject: DueSubject, code: str | None, body_code: str
) -> int | None:
    """The body's own target for this category or service, else ALM's default, else none."""
    if not code:
        return None
    targets = reference.due_targets
    own = targets.get((subject.value, code, body_code))
    return own if own is not None else targets.get((subject.value, code, ""))


def due_in(
    reference: ReferenceData, subject: DueSubject, code: str | None, body_code: str
) -> timedelta | None:
    hours = target_hours(reference, subject, code, body_code)
    return timedelta(hours=hours) if hours is not None else None


def due_at(
    reference: ReferenceData,
    subject: DueSubject,
    code: str | None,
    body_code: str,
    received_at: datetime,
) -> datetime | None:
    """When an item received then should be handled by; None without a target."""
    delay = due_in(reference, subject, code, body_code)
    return received_at + delay if delay is not None else None


def is_overdue(due: datetime | None, status: Status, now: datetime) -> bool:
    """Past its due date and still open (a resolved, rejected or closed item is never late)."""
    if due is None or STATUS_CLASS[status] is not StatusClass.OPEN:
        return False
    due = due if due.tzinfo else due.replace(tzinfo=now.tzinfo)
    return due < now


OPEN_STATUSES = frozenset(s for s in Status if STATUS_CLASS[s] is StatusClass.OPEN)
