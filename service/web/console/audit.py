"""« Audit log » (``/console/journal``, administrators): who did what, when, on which item, with
the filters of the GraphQL ``auditLog`` (an item's reference, a staff member, an action, a
period) — read by the same ``staff.triage.audit_page``, newest first, a keyset page at a
time. Filters travel in the query string (a filtered log is a link to keep)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from starlette.responses import Response

from service.errors import N_, DomainError
from service.i18n.translator import LOCAL_TIMEZONE
from service.inputs import id_number
from service.items.rules import as_utc
from service.pagination import decode_cursor, encode_cursor
from service.staff import accounts, triage
from service.staff.permissions import covered_bodies
from service.web.console.auth import StaffPage, refused, render, require_staff
from service.web.rendering import Endpoint, Web

PATH = "/console/journal"
PAGE_SIZE = 50
CURSOR = "audit"  # the API's audit cursor: the entry's id
ACTION_LABELS = {
    "logged_in": N_("Signed in"),
    "logged_out": N_("Signed out"),
    "sign_in_refused": N_("Sign-in refused (deactivated account)"),
    "oidc_linked": N_("Linked to an identity provider"),
    "oidc_unlinked": N_("Unlinked from an identity provider"),
    "oidc_preauthorised": N_("First sign-in authorised"),
    "oidc_preauthorisation_withdrawn": N_("Authorisation withdrawn"),
    "second_factor_enrolled": N_("Second factor set up"),
    "recovery_code_used": N_("Recovery code used"),
    "second_factor_required": N_("Second factor required for a body"),
    "second_factor_optional": N_("Second factor optional for a body"),
    "status_changed": N_("Status changed"),
    "answered": N_("Public answer"),
    "noted": N_("Private note"),
    "assigned": N_("Assigned"),
    "rerouted": N_("Re-routed"),
    "merged": N_("Duplicate merged"),
    "contact_read": N_("Contact read"),
    "template_saved": N_("Answer template saved"),
    "template_deleted": N_("Answer template deleted"),
    "sensor_created": N_("Sensor created"),
    "sensor_replied": N_("Reply about a sensor"),
    "queue_exported": N_("Queue exported"),
    "staff_invited": N_("Staff member invited"),
    "staff_role_changed": N_("Role changed"),
    "staff_deactivated": N_("Account deactivated"),
    "staff_password_reset": N_("Password link made"),
    "staff_password_set": N_("Password set"),
}


@dataclass(frozen=True)
class Line:
    at: str
    who: str
    action: str
    reference: str | None
    href: str | None
    detail: str


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _local_start(day: date) -> datetime:
    """The start of a day in Angers, in UTC (the log is kept in UTC)."""
    return datetime.combine(day, time(0), tzinfo=LOCAL_TIMEZONE).astimezone(UTC)


def audit_page(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        page, services = staff.page, web.services
        params = staff.request.query_params
        since, until = _day(params.get("du", "")), _day(params.get("au", ""))
        staff_param = params.get("agent", "")
        action = params.get("action", "")
        values = {
            "reference": params.get("reference", "").strip(),
            "agent": staff_param,
            "action": action if action in ACTION_LABELS else "",
            "du": since.isoformat() if since else "",
            "au": until.isoformat() if until else "",
        }
        wanted = triage.AuditFilter(
            reference=values["reference"] or None,
            staff_id=id_number(staff_param) if staff_param else None,
            action=values["action"] or None,
            since=_local_start(since) if since else None,
            until=_local_start(until + timedelta(days=1)) if until else None,
        )
        try:
            identity = triage.require_audit_reader(staff.identity)
            bodies = covered_bodies(identity, services.reference)
            before_id = decode_cursor(params.get("apres") or None, CURSOR)
            async with services.db.reading() as session:
                rows, more, references = await triage.audit_page(
                    session, bodies, wanted, first=PAGE_SIZE, before_id=before_id
                )
                # Who acted: the staff of these bodies, deactivated ones included.
                members = await accounts.staff_directory(session, bodies, include_inactive=True)
        except DomainError as error:
            return refused(web, staff, error)
        names = {m.id: m.name for m in members}
        lines = []
        for row in rows:
            reference = references.get(row.item_id) if row.item_id else None
            label = ACTION_LABELS.get(row.action)
            lines.append(
                Line(
                    at=page.datetime(as_utc(row.at)),
                    who=names.get(row.staff_id, f"#{row.staff_id}"),
                    action=str(page.gettext(label)) if label else row.action,
                    reference=reference,
                    href=page.url(f"/console/dossiers/{reference}") if reference else None,
                    detail=row.detail or "",
                )
            )
        next_url = None
        if more and rows:
            kept = {k: v for k, v in values.items() if v}
            next_url = page.url(PATH, apres=encode_cursor(CURSOR, rows[-1].id or 0), **kept)
        return render(
            web,
            staff,
            "console/audit.html",
            nav="audit",
            lines=lines,
            values=values,
            people=[(str(m.id), m.name) for m in members],
            actions=sorted(
                ((code, str(page.gettext(label))) for code, label in ACTION_LABELS.items()),
                key=lambda pair: pair[1],
            ),
            next_url=next_url,
        )

    return require_staff(web, endpoint)
