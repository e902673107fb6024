"""An item's page (``/console/dossiers/<reference>``): everything its body's staff may see,
and every action as a form posting to ``/console/dossiers/<reference>/<action>``.

Each action calls one function of ``service.staff.actions`` — the same one its GraphQL
mutation calls, with the permission checks inside it — then redirects (303) back to the
page. An item outside the reader's bodies is « not found » (404), as in the API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.responses import Response

from service.errors import N_, DomainError, ValidationFailed
from service.inputs import id_number
from service.items import rules as items
from service.items.lifecycle import KIND_LABELS, STATUS_LABELS, TRANSITIONS, Status
from service.items.models import DeliveryState, EventKind, Item, ItemKind
from service.items.types import HistoryEntry
from service.reports import rules as reports
from service.search.engine import SearchFilter, SearchRequest
from service.settings import SUPPORTED_LOCALES
from service.staff import actions, templates
from service.staff.errors import StaffErrorCode
from service.staff.permissions import ASSIGNING_ROLES, covered_bodies
from service.web.console import paths, photos
from service.web.console.auth import StaffPage, expired, posted_form, refused, render, require_staff
from service.web.console.paths import item_path
from service.web.console.queue import DELIVERY_LABELS, STATUS_COUNTS, form_options
from service.web.follow_pages import EVENT_LABELS, subject_and_answers
from service.web.forms import Form, field_errors
from service.web.rendering import Endpoint, Web

PATH = paths.ITEM
NEARBY_METRES = 250
SEARCH_HITS = 10
# Refusals that are not the form's: the page is not the caller's to act on.
REFUSED = frozenset({"FORBIDDEN", "NOT_AUTHENTICATED"})
STAFF_EVENT_LABELS = {
    **EVENT_LABELS,
    EventKind.PRIVATE_NOTE: N_("Private note"),
    EventKind.ASSIGNED: N_("Assigned"),
    EventKind.DELIVERY_FAILED: N_("Delivery failed"),
    EventKind.INFORMATION_ADDED: N_("Information added by the resident"),
    EventKind.FEEDBACK: N_("The resident's opinion"),
}
DONE = {
    "prise-en-charge": N_("The item is acknowledged: the resident sees it."),
    "attribution": N_("The assignment is saved."),
    "statut": N_("Saved: the resident sees the public parts."),
    "reacheminement": N_("The item was re-routed."),
    "doublon": N_("The item was closed as a duplicate."),
    "rejet": N_("The item was rejected; the resident sees the reason."),
}
LANGUAGE_NAMES = {
    "fr": "Français",
    "en": "English",
    "es": "Español",
    "de": "Deutsch",
    "ar": "العربية",
}


@dataclass(frozen=True)
class Line:
    label: str
    entry: HistoryEntry
    private: bool
    who: str


async def _view(web: Web, staff: StaffPage, session: AsyncSession, item: Item) -> dict[str, Any]:
    """What the item's page shows (read in the caller's transaction)."""
    page, reference, identity = staff.page, web.services.reference, staff.identity
    assert item.id is not None
    audiences = frozenset(items.Audience)
    events = (await items.histories(session, [item.id], audiences))[item.id]
    staff_ids = {int(e.actor.partition(":")[2]) for e in events if e.actor.startswith("staff:")}
    if item.assigned_to_id is not None:
        staff_ids.add(item.assigned_to_id)
    names = await actions.staff_names(session, staff_ids)
    bodies = covered_bodies(identity, reference)

    def who(actor: str) -> str:
        if actor.startswith("staff:"):
            return names.get(int(actor.partition(":")[2]), "")
        if actor == "resident":
            return str(page.gettext(N_("The resident")))
        return ""

    history = [
        Line(
            str(page.gettext(STAFF_EVENT_LABELS.get(EventKind(e.kind), N_("Status changed")))),
            HistoryEntry.from_row(e, page.translator, public=False),
            e.audience == items.Audience.STAFF.value,
            who(e.actor),
        )
        for e in events
    ]
    subject, answers = await subject_and_answers(web, page, session, item)
    current = Status(item.status)
    options = form_options(web, page)
    nearby: list[tuple[str, str]] = []  # (reference, distance)
    # Only while it may still be marked a duplicate (the look-up is a quarter of the page).
    latitude, longitude = item.latitude, item.longitude
    if latitude is not None and longitude is not None and Status.DUPLICATE in TRANSITIONS[current]:
        found = await reports.nearby_report_summaries(
            session, latitude, longitude, NEARBY_METRES, item.category_code
        )
        nearby = [
            (other.reference, page.number(round(other.distance_m)))
            for other in found
            if other.id != item.id and other.body_code in bodies and other.duplicate_of_id is None
        ]
    listed = await templates.listed(session, frozenset({item.body_code, identity.body_code}))
    by_code: dict[str, dict[str, str]] = {}
    for template in listed:
        by_code.setdefault(template.code, {})[template.language] = template.title
    template_options = [
        (
            code,
            f"{titles.get(item.language) or titles.get('fr') or next(iter(titles.values()))}"
            f" ({', '.join(sorted(titles))})",
        )
        for code, titles in sorted(by_code.items())
    ]
    colleagues = []
    if identity.role in ASSIGNING_ROLES:
        colleagues = [
            (str(user.id), user.name) for user in await actions.assignable_staff(session, bodies)
        ]
    category = reference.categories.get(item.category_code or "")
    commune = reference.communes.get(item.commune_code)
    body = reference.bodies.get(item.body_code)
    return {
        "item": item,
        "kind": page.gettext(KIND_LABELS[ItemKind(item.kind)]),
        "subject": subject,
        "answers": answers,
        "category": page.gettext(category.label) if category else "",
        "commune": commune.name if commune else item.commune_code,
        "body": body.name if body else item.body_code,
        "status_label": page.gettext(STATUS_LABELS[current]),
        "received": page.datetime(items.as_utc(item.created_at)),
        "delivery": page.gettext(DELIVERY_LABELS[DeliveryState(item.delivery_state)]),
        "assigned_name": names.get(item.assigned_to_id or 0, ""),
        "resident_language": LANGUAGE_NAMES.get(item.language, item.language),
        "history": history,
        "nearby": nearby,
        "contact_readable": await actions.contact_readable(session, item.id),
        "photos": await photos.item_photos(session, staff, item),
        "template_options": template_options,
        "colleagues": colleagues,
        "may_reroute": identity.role in ASSIGNING_ROLES,
        "may_acknowledge": current is Status.SUBMITTED,
        "targets": [
            (
                "",
                page.gettext(
                    N_("Keep the status: « %(status)s »"),
                    status=page.gettext(STATUS_LABELS[current]),
                ),
            )
        ]
        + [
            (s.value, page.gettext(STATUS_LABELS[s]))
            for s in Status
            if s in TRANSITIONS[current] and s not in (Status.REJECTED, Status.DUPLICATE)
        ],
        "may_reject": Status.REJECTED in TRANSITIONS[current],
        "may_mark_duplicate": Status.DUPLICATE in TRANSITIONS[current],
        "language_options": [(code, LANGUAGE_NAMES[code]) for code in SUPPORTED_LOCALES],
        "category_options": options["category_options"],
        "body_options": options["body_options"],
        "paths": {
            "self": page.url(item_path(item.reference)),
            "contact": page.url(item_path(item.reference) + "/contact"),
        },
        "action_url": lambda name: page.url(f"{item_path(item.reference)}/{name}"),
    }


async def _search_originals(
    web: Web, staff: StaffPage, item: Item, text: str
) -> list[tuple[str, str]]:
    """Items of the caller's bodies matching ``text`` (its words, or a reference), to pick
    the original of a duplicate: the staff search, as ``search`` gives staff."""
    bodies = covered_bodies(staff.identity, web.services.reference)
    request = SearchRequest(
        text=text,
        filter=SearchFilter(excluded_kinds=frozenset(["sensor"])),
        staff_bodies=bodies,
        limit=SEARCH_HITS,
        facets=False,
    )
    result = await asyncio.to_thread(web.services.search_engine.search, request)
    page = staff.page
    return [
        (hit.reference, f"{hit.reference} – {page.gettext(STATUS_LABELS[Status(hit.status)])}")
        for hit in result.hits
        if hit.reference != item.reference and hit.status in {s.value for s in Status}
    ]


async def _page(
    web: Web,
    staff: StaffPage,
    reference: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    form: Form | None = None,
) -> Response:
    page = staff.page
    try:
        async with web.services.db.reading() as session:
            opened = await actions.open_item(
                session, staff.identity, reference, web.services.reference
            )
            view = await _view(web, staff, session, opened.item)
    except DomainError as error:
        return refused(web, staff, error)
    query = page.request.query_params.get("original", "").strip()
    originals = await _search_originals(web, staff, opened.item, query) if query else []
    done = DONE.get(page.request.query_params.get("fait", ""))
    return render(
        web,
        staff,
        "console/item.html",
        status=status,
        nav="queue",
        errors=errors or {},
        values=dict(form.as_mapping()) if form else {},
        done=page.gettext(done) if done else None,
        search=query,
        originals=originals,
        **view,
    )


def item_page(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        return await _page(web, staff, staff.request.path_params["reference"])

    return require_staff(web, endpoint)


# An action: the form's fields by the rules' field names, and the call of staff.actions.
Call = Callable[[AsyncSession, StaffPage, str, Form], Awaitable[object]]


@dataclass(frozen=True)
class Action:
    fields: dict[str, str]
    call: Call


def _answer(form: Form, text: str, template: str, field: str) -> actions.Answer:
    return actions.Answer(
        form.get(text) or None,
        form.get(template).strip() or None,
        form.get("language") or None,
        field,
    )


def _point(form: Form) -> tuple[float, float] | None:
    latitude, longitude = form.get("latitude").strip(), form.get("longitude").strip()
    if not latitude and not longitude:
        return None
    try:
        return float(latitude.replace(",", ".")), float(longitude.replace(",", "."))
    except ValueError:
        return (999.0, 999.0)  # refused by the rules' own coordinate check, with its message


def _status(form: Form) -> Status | None:
    return next((s for s in Status if s.value == form.get("status")), None)


def action_table(web: Web) -> dict[str, Action]:
    """The actions by their path segment: each calls ``staff.actions`` (by module attribute,
    so that a test can watch it)."""
    services = web.services

    def now() -> datetime:
        return services.clock()

    async def acknowledge(s: AsyncSession, staff: StaffPage, ref: str, form: Form) -> object:
        return await actions.acknowledge(s, staff.identity, ref, services.reference, now())

    async def assign(s: AsyncSession, staff: StaffPage, ref: str, form: Form) -> object:
        chosen = form.get("assignee")
        if chosen == "me":
            assignee: int | None = staff.identity.staff_id
        elif chosen in ("", "nobody"):
            assignee = None
        else:
            assignee = id_number(chosen)
        return await actions.assign(
            s, staff.identity, ref, services.reference, now(), assignee_id=assignee
        )

    async def transition(s: AsyncSession, staff: StaffPage, ref: str, form: Form) -> object:
        answer = _answer(form, "answer", "template", "publicAnswer")
        note = form.get("note") or None
        target = _status(form)
        if target is None:
            return await actions.annotate(
                s, staff.identity, ref, services.reference, now(), answer=answer, private_note=note
            )
        return await actions.transition(
            s,
            staff.identity,
            ref,
            services.reference,
            now(),
            status=target,
            answer=answer,
            private_note=note,
        )

    async def reroute(s: AsyncSession, staff: StaffPage, ref: str, form: Form) -> object:
        return await actions.reroute(
            s,
            staff.identity,
            ref,
            services.reference,
            now(),
            category_code=form.get("category").strip() or None,
            point=_point(form),
            body_code=form.get("body").strip() or None,
        )

    async def duplicate(s: AsyncSession, staff: StaffPage, ref: str, form: Form) -> object:
        return await actions.mark_duplicate(
            s,
            staff.identity,
            ref,
            services.reference,
            now(),
            original_reference=form.get("original"),
        )

    async def reject(s: AsyncSession, staff: StaffPage, ref: str, form: Form) -> object:
        reason = _answer(form, "reason", "reason_template", "reason")
        return await actions.reject(
            s, staff.identity, ref, services.reference, now(), reason=reason
        )

    answer_fields = {
        "publicAnswer": "answer",
        "answerTemplateCode": "template",
        "answerLanguage": "language",
        "privateNote": "note",
        "status": "status",
    }
    return {
        "prise-en-charge": Action({}, acknowledge),
        "attribution": Action({"staffId": "assignee"}, assign),
        "statut": Action(answer_fields, transition),
        "reacheminement": Action(
            {
                "categoryCode": "category",
                "category": "category",
                "latitude": "latitude",
                "longitude": "longitude",
                "bodyCode": "body",
            },
            reroute,
        ),
        "doublon": Action({"originalReference": "original", "reference": "original"}, duplicate),
        "rejet": Action(
            {
                "reason": "reason",
                "answerTemplateCode": "reason_template",
                "answerLanguage": "language",
            },
            reject,
        ),
    }


def purpose(action: str) -> str:
    return f"console-item-{action}"


def act(web: Web) -> Endpoint:
    table = action_table(web)

    async def endpoint(staff: StaffPage) -> Response:
        params = staff.request.path_params
        reference, name = params["reference"], params["action"]
        action = table.get(name)
        if action is None:
            error = DomainError(StaffErrorCode.NOT_FOUND, N_("Page not found"))
            return refused(web, staff, error)
        form = await posted_form(web, staff, purpose(name))
        if form is None:
            return expired(web, staff, item_path(reference))
        try:
            async with web.services.db.writing() as session:
                item = await action.call(session, staff, reference, form)
        except ValidationFailed as failed:
            errors = field_errors(failed.errors, staff.page.translator, action.fields)
            return await _page(web, staff, reference, status=400, errors=errors, form=form)
        except DomainError as error:
            # The role refused: not a mistake in the form. (An item out of reach is refused
            # by the page itself, as « not found ».)
            if error.code.value in REFUSED:
                return refused(web, staff, error)
            errors = field_errors([error], staff.page.translator, action.fields)
            return await _page(web, staff, reference, status=400, errors=errors, form=form)
        web.services.response_cache.invalidate()  # public views of the item changed
        STATUS_COUNTS.clear()  # the queue's counts too
        if not isinstance(item, Item):
            raise TypeError(f"the console action {name} returned no item")
        target = staff.page.url(item_path(item.reference), fait=name)
        if item.body_code not in covered_bodies(staff.identity, web.services.reference):
            # Handed to another body: no longer this reader's to see; back to the queue.
            target = staff.page.url("/console", fait=name, reference=item.reference)
        return web.redirect(staff.page, target, private=True)

    return require_staff(web, endpoint)


def contact_page(web: Web) -> Endpoint:
    """GET: the confirmation (reading is logged); POST: the logged read, shown once."""

    async def endpoint(staff: StaffPage) -> Response:
        reference = staff.request.path_params["reference"]
        services = web.services
        if staff.request.method == "GET":
            try:
                async with services.db.reading() as session:
                    opened = await actions.open_item(
                        session, staff.identity, reference, services.reference
                    )
            except DomainError as error:
                return refused(web, staff, error)
            return render(
                web,
                staff,
                "console/contact.html",
                nav="queue",
                item=opened.item,
                contact=None,
                back=staff.page.url(item_path(opened.item.reference)),
            )
        form = await posted_form(web, staff, "console-contact-read")
        if form is None:
            return expired(web, staff, item_path(reference))
        try:
            async with services.db.writing() as session:
                contact = await actions.read_item_contact(
                    session,
                    staff.identity,
                    reference,
                    services.reference,
                    services.clock(),
                    services.contact_cipher,
                )
        except DomainError as error:
            return refused(web, staff, error)
        return render(
            web,
            staff,
            "console/contact.html",
            nav="queue",
            item=None,
            reference=reference.strip().upper(),
            contact=contact,
            back=staff.page.url(item_path(reference.strip().upper())),
        )

    return require_staff(web, endpoint)
