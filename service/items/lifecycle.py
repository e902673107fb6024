"""The one status lifecycle every kind of item follows."""

from __future__ import annotations

import enum

from service.errors import N_
from service.items.models import ItemKind


class Status(enum.Enum):
    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    CLOSED = "closed"


class StatusClass(enum.Enum):
    """How a status reads in lists and statistics (FixMyStreet's open/closed/fixed)."""

    OPEN = "open"
    FIXED = "fixed"
    CLOSED = "closed"


STATUS_CLASS: dict[Status, StatusClass] = {
    Status.SUBMITTED: StatusClass.OPEN,
    Status.ACKNOWLEDGED: StatusClass.OPEN,
    Status.IN_PROGRESS: StatusClass.OPEN,
    Status.RESOLVED: StatusClass.FIXED,
    Status.REJECTED: StatusClass.CLOSED,
    Status.DUPLICATE: StatusClass.CLOSED,
    Status.CLOSED: StatusClass.CLOSED,
}

# Which status may follow which. Reopening (resolved -> acknowledged) is how a resident says
# "it was not fixed"; closed items stay closed.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.SUBMITTED: frozenset(
        {
            Status.ACKNOWLEDGED,
            Status.IN_PROGRESS,
            Status.RESOLVED,
            Status.REJECTED,
            Status.DUPLICATE,
            Status.CLOSED,
        }
    ),
    Status.ACKNOWLEDGED: frozenset(
        {Status.IN_PROGRESS, Status.RESOLVED, Status.REJECTED, Status.DUPLICATE, Status.CLOSED}
    ),
    Status.IN_PROGRESS: frozenset(
        {Status.RESOLVED, Status.REJECTED, Status.DUPLICATE, Status.CLOSED}
    ),
    Status.RESOLVED: frozenset({Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.CLOSED}),
    Status.REJECTED: frozenset({Status.CLOSED}),
    Status.DUPLICATE: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

OPEN_STATUSES = frozenset(s for s, c in STATUS_CLASS.items() if c is StatusClass.OPEN)


def can_transition(current: Status, target: Status) -> bool:
    return target in TRANSITIONS[current]


STATUS_LABELS: dict[Status, str] = {
    Status.SUBMITTED: N_("Submitted"),
    Status.ACKNOWLEDGED: N_("Acknowledged"),
    Status.IN_PROGRESS: N_("In progress"),
    Status.RESOLVED: N_("Resolved"),
    Status.REJECTED: N_("Rejected"),
    Status.DUPLICATE: N_("Duplicate"),
    Status.CLOSED: N_("Closed"),
}


# How each kind of item reads (msgids, translated per request).
KIND_LABELS: dict[ItemKind, str] = {
    ItemKind.REPORT: N_("Report"),
    ItemKind.SERVICE_REQUEST: N_("Service request"),
    ItemKind.SENSOR_QUESTION: N_("Question about a sensor"),
}
