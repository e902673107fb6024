"""« Overdue » (``/console/retards``), the supervisors' escalation list: the open items of their
bodies past their due date, the most overdue first — ``staff.triage.escalations``, as the
GraphQL ``triageEscalations``, a keyset page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response

from service.errors import N_, NP_, DomainError
from service.items.lifecycle import STATUS_LABELS, Status
from service.items.models import Item
from service.items.rules import as_utc
from service.staff import triage
from service.staff.permissions import covered_bodies, require_item_work
from service.web.console.auth import StaffPage, refused, render, require_staff
from service.web.rendering import Endpoint, Web

PATH = "/console/retards"
PAGE_SIZE = 50
LATE_BY = NP_("%(count)s day late", "%(count)s days late")


@dataclass(frozen=True)
class LateRow:
    item: Item
    href: str
    subject: str
    commune: str
    status: str
    due: str
    late: str
    assigned: str


def escalations_page(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        page, services = staff.page, web.services
        try:
            identity = require_item_work(staff.identity, "items:read")
            after = triage.queue_after(
                staff.request.query_params.get("apres") or None, triage.QueueOrder.DUE_SOONEST
            )
            async with services.db.reading() as session:
                rows, more, total, _ = await triage.escalations(
                    session,
                    identity,
                    covered_bodies(identity, services.reference),
                    services.clock(),
                    first=PAGE_SIZE,
                    after=after,
                )
        except DomainError as error:
            return refused(web, staff, error)
        now, reference = services.clock(), services.reference
        shown = []
        for item in rows:
            category = reference.categories.get(item.category_code or "")
            due = as_utc(item.due_at) if item.due_at else now
            days = max(1, (now - due).days)
            if item.assigned_to_id is None:
                assigned = page.gettext(N_("Nobody"))
            elif item.assigned_to_id == identity.staff_id:
                assigned = page.gettext(N_("Me"))
            else:
                assigned = page.gettext(N_("A colleague"))
            shown.append(
                LateRow(
                    item=item,
                    href=page.url(f"/console/dossiers/{item.reference}"),
                    subject=str(page.gettext(category.label)) if category else "",
                    commune=reference.communes[item.commune_code].name,
                    status=str(page.gettext(STATUS_LABELS[Status(item.status)])),
                    due=page.datetime(due),
                    late=str(page.ngettext(*LATE_BY, days)),
                    assigned=str(assigned),
                )
            )
        next_url = None
        if more and rows:
            cursor = triage.queue_cursor(rows[-1], triage.QueueOrder.DUE_SOONEST)
            next_url = page.url(PATH, apres=cursor)
        return render(
            web,
            staff,
            "console/escalations.html",
            nav="escalations",
            rows=shown,
            total=total,
            next_url=next_url,
        )

    return require_staff(web, endpoint)
