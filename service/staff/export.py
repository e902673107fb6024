"""The queue as a spreadsheet: the items of the current filter and sort, as CSV.

What leaves the service in a file must carry no personal data: no contact (never read here),
no address (a service request's is a home), the description as the public sees it (e-mail
addresses and phone numbers masked). The export is audited with its filter and its count.
Two dialects: plain CSV (UTF-8, comma), and the one French spreadsheets open by a double
click (UTF-8 with a byte-order mark, semicolon, CRLF).
"""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Iterator
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from service.i18n.translator import Translator
from service.items.lifecycle import KIND_LABELS, STATUS_LABELS, Status
from service.items.models import Item, ItemKind
from service.items.rules import as_utc
from service.reference import ReferenceData
from service.routing.due import is_overdue
from service.staff import triage
from service.staff.rules import StaffIdentity

# At most this many items per file (a year of a large body); the filter narrows it.
EXPORT_LIMIT = 50_000
BATCH = 1_000
COLUMNS = (
    "reference",
    "kind",
    "status",
    "status_label",
    "category",
    "category_label",
    "commune",
    "commune_name",
    "body",
    "channel",
    "language",
    "received_at",
    "due_at",
    "overdue",
    "supports",
    "assigned_to",
    "delivery_state",
    "description",
)


class Dialect(enum.Enum):
    CSV = "csv"  # UTF-8, comma, LF
    SPREADSHEET_FR = "tableur"  # UTF-8 with BOM, semicolon, CRLF: French spreadsheets


async def queue_items(
    session: AsyncSession,
    identity: StaffIdentity,
    bodies: frozenset[str],
    f: triage.QueueFilter,
    order: triage.QueueOrder,
    *,
    limit: int = EXPORT_LIMIT,
) -> list[Item]:
    """Every item of the filtered queue in its order (up to ``limit``), read by the queue's
    own function a keyset batch at a time."""
    found: list[Item] = []
    after: tuple[int, int] | None = None
    while len(found) < limit:
        rows, more = await triage.queue_rows(
            session,
            identity,
            bodies,
            f,
            order,
            first=min(BATCH, limit - len(found)),
            after=after,
        )
        found += rows
        if not more or not rows:
            break
        after = triage.queue_position(rows[-1], order)
    return found


def _iso(moment: datetime | None) -> str:
    return as_utc(moment).isoformat(timespec="seconds") if moment else ""


def _row(item: Item, reference: ReferenceData, tr: Translator, now: datetime) -> list[str]:
    category = reference.categories.get(item.category_code or "")
    commune = reference.communes.get(item.commune_code)
    status = Status(item.status)
    return [
        item.reference,
        item.kind,
        item.status,
        tr.gettext(STATUS_LABELS[status]),
        item.category_code or "",
        tr.gettext(category.label) if category else tr.gettext(KIND_LABELS[ItemKind(item.kind)]),
        item.commune_code,
        commune.name if commune else "",
        item.body_code,
        item.channel,
        item.language,
        _iso(item.created_at),
        _iso(item.due_at),
        "1" if is_overdue(item.due_at, status, now) else "0",
        str(item.support_count),
        str(item.assigned_to_id or ""),
        item.delivery_state,
        item.public_description,
    ]


def csv_lines(
    found: list[Item],
    reference: ReferenceData,
    tr: Translator,
    now: datetime,
    dialect: Dialect = Dialect.CSV,
) -> Iterator[str]:
    """The file, a chunk at a time (a header, then the rows)."""
    buffer = io.StringIO()
    if dialect is Dialect.SPREADSHEET_FR:
        buffer.write("\ufeff")
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    else:
        writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for start in range(0, len(found), BATCH):
        for item in found[start : start + BATCH]:
            writer.writerow(_row(item, reference, tr, now))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def filter_summary(f: triage.QueueFilter, order: triage.QueueOrder) -> str:
    """What the audit log keeps of an export's filter (codes only, no free text)."""
    parts = [f"order={order.value}"]
    if f.statuses:
        parts.append("status=" + ",".join(sorted(s.value for s in f.statuses)))
    for name in ("kind", "category_code", "commune_code"):
        value = getattr(f, name)
        if value:
            parts.append(f"{name}={value}")
    if f.assignment is not triage.Assignment.ANYONE:
        parts.append(f"assigned={f.assignment.value}")
    parts += [flag for flag in ("delivery_failed", "unrouted") if getattr(f, flag)]
    if f.overdue_at is not None:
        parts.append("overdue")
    if f.created_before is not None:
        parts.append(f"created_before={_iso(f.created_before)}")
    return " ".join(parts)


def audit_export(
    session: AsyncSession,
    identity: StaffIdentity,
    f: triage.QueueFilter,
    order: triage.QueueOrder,
    count: int,
    now: datetime,
) -> None:
    triage.audit(
        session, identity, "queue_exported", None, now, f"{count} items; {filter_summary(f, order)}"
    )
