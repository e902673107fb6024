"""Assisted submission (``/console/guichet``): an agent at the counter, on the phone or reading
a letter fills in the residents' own report or service-request form for a resident, then
prints a receipt in the resident's language (reference, short code, how to follow it).

The forms, their rules and their messages are the residents' (``report_pages``,
``service_request_pages``: the same ``check_and_submit``), shown in the console's layout with
two more questions: the channel and the resident's language. As ``assistedReportCreate``,
it needs a staff member who may work items (``items:write``), and the submission's
idempotency scope is the agent's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from service.errors import N_, DomainError
from service.help_places import use as help_place_use
from service.help_places.models import HelpPlace
from service.items.lifecycle import KIND_LABELS
from service.items.models import Item, ItemKind
from service.items.rules import Channel, as_utc
from service.service_requests.catalogue import ServiceSpec
from service.settings import SUPPORTED_LOCALES
from service.staff.permissions import covered_bodies, require_item_work
from service.web import qr, report_pages, service_request_pages
from service.web.console.auth import StaffPage, expired, posted_form, refused, render, require_staff
from service.web.follow_pages import TOKEN, open_item, subject_and_answers, token_of
from service.web.forms import Form, choice_required
from service.web.rendering import LANGUAGE_NAMES, Endpoint, Page, Web
from service.web.residents import FormPlace

PATH = "/console/guichet"
REPORT_PATH = PATH + "/signalement"
REQUEST_PATH = PATH + "/demandes/{code}"
RECEIPT_PATH = PATH + "/recu"
REPORT_PURPOSE, REQUEST_PURPOSE = "console-assisted-report", "console-assisted-request"
HELP_PLACE = "help_place"  # the form's field: the help place the agent works at (optional)
ASSISTED_CHANNELS = (Channel.COUNTER, Channel.PHONE, Channel.LETTER)
CHANNEL_LABELS = {
    Channel.COUNTER: N_("At the counter"),
    Channel.PHONE: N_("On the phone"),
    Channel.LETTER: N_("By letter"),
}


async def _help_places(web: Web, staff: StaffPage) -> list[tuple[str, str]]:
    """The directory's places an agent may be working at: their bodies' first."""
    services = web.services
    covered = covered_bodies(staff.identity, services.reference)
    async with services.db.reading() as session:
        found = await help_place_use.all_places(session)
    communes = services.reference.communes

    def commune(code: str) -> str:
        return communes[code].name if code in communes else code

    ordered = sorted(
        found, key=lambda p: (p.body_code not in covered, commune(p.commune_code), p.name)
    )
    return [(p.slug, f"{p.name} — {commune(p.commune_code)}") for p in ordered]


def _place(
    web: Web,
    staff: StaffPage,
    action: str,
    purpose: str,
    help_places: list[tuple[str, str]] | None = None,
) -> FormPlace:
    page = staff.page

    def renderer(template: str, status: int, values: dict[str, Any]) -> Response:
        values["nav"] = "assisted"
        return render(web, staff, template, status=status, **values)

    return FormPlace(
        "console/layout.html",
        action,
        purpose,
        renderer,
        assisted={
            "channels": [(c.value, page.gettext(CHANNEL_LABELS[c])) for c in ASSISTED_CHANNELS],
            "languages": [(code, LANGUAGE_NAMES[code]) for code in SUPPORTED_LOCALES],
            "help_places": help_places or [],
        },
    )


def _channel_and_language(form: Form, page: Page) -> tuple[str | None, str]:
    channels = {c.value for c in ASSISTED_CHANNELS}
    channel = form.get("channel")
    language = form.get("resident_language")
    return (
        channel if channel in channels else None,
        language if language in SUPPORTED_LOCALES else page.locale,
    )


async def _help_place(web: Web, form: Form) -> tuple[HelpPlace | None, list[DomainError]]:
    """The help place the agent named on the form (optional), or why it is refused."""
    async with web.services.db.reading() as session:
        try:
            return await help_place_use.place_named(session, form.get(HELP_PLACE)), []
        except DomainError as error:
            return None, [error]


def _working(staff: StaffPage, web: Web) -> Response | None:
    """Like ``assistedReportCreate``: staff who may work items (items:write), or a refusal."""
    try:
        require_item_work(staff.identity, "items:write")
    except DomainError as error:
        return refused(web, staff, error)
    return None


def start_page(web: Web) -> Endpoint:
    """What the resident wants: report a problem, or one of the services."""

    async def endpoint(staff: StaffPage) -> Response:
        if (refusal := _working(staff, web)) is not None:
            return refusal
        page = staff.page
        catalogue = web.services.reference.services
        services = [
            (page.url(REQUEST_PATH.format(code=s.code)), page.gettext(s.label))
            for s in catalogue.in_order(None)
        ]
        return render(web, staff, "console/assisted_start.html", nav="assisted", services=services)

    return require_staff(web, endpoint)


def report_form(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        if (refusal := _working(staff, web)) is not None:
            return refusal
        places = await _help_places(web, staff)
        place = _place(web, staff, REPORT_PATH, REPORT_PURPOSE, places)
        return report_pages.render_form(web, staff.page, None, place=place)

    return require_staff(web, endpoint)


def report_post(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        if (refusal := _working(staff, web)) is not None:
            return refusal
        form = await posted_form(web, staff, REPORT_PURPOSE)
        if form is None:
            return expired(web, staff, REPORT_PATH)
        page = staff.page
        channel, language = _channel_and_language(form, page)
        wanted = replace(
            report_pages.report_request(form, page),
            channel=channel or Channel.COUNTER.value,
            language=language,
        )
        help_place, problems = await _help_place(web, form)
        outcome = await report_pages.check_and_submit(
            web,
            staff.request,
            page,
            form,
            wanted,
            scope=staff.identity.actor,  # the agent's scope, as the API's ``caller.kind``
            place=_place(web, staff, REPORT_PATH, REPORT_PURPOSE, await _help_places(web, staff)),
            problems=problems + ([] if channel else [choice_required("channel")]),
            help_place=help_place,
        )
        if isinstance(outcome, Response):
            return outcome
        return _to_receipt(web, page, outcome.item)

    return require_staff(web, endpoint)


def _no_service(web: Web, staff: StaffPage) -> Response:
    message = staff.page.gettext("There is no such service.")
    return render(web, staff, "console/refused.html", status=404, message=message)


def _service(web: Web, request: Request) -> ServiceSpec | None:
    return web.services.reference.services.services.get(request.path_params["code"])


def request_form(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        if (refusal := _working(staff, web)) is not None:
            return refusal
        service = _service(web, staff.request)
        if service is None:
            return _no_service(web, staff)
        action = REQUEST_PATH.format(code=service.code)
        places = await _help_places(web, staff)
        place = _place(web, staff, action, REQUEST_PURPOSE, places)
        return service_request_pages.render_request_form(
            web, staff.page, service, None, place=place
        )

    return require_staff(web, endpoint)


def request_post(web: Web) -> Endpoint:
    async def endpoint(staff: StaffPage) -> Response:
        if (refusal := _working(staff, web)) is not None:
            return refusal
        service = _service(web, staff.request)
        if service is None:
            return _no_service(web, staff)
        action = REQUEST_PATH.format(code=service.code)
        form = await posted_form(web, staff, REQUEST_PURPOSE)
        if form is None:
            return expired(web, staff, action)
        page = staff.page
        channel, language = _channel_and_language(form, page)
        help_place, problems = await _help_place(web, form)
        wanted = replace(
            service_request_pages.request_from(service, form, page),
            channel=channel or Channel.COUNTER.value,
            language=language,
        )
        outcome = await service_request_pages.check_and_submit(
            web,
            staff.request,
            page,
            form,
            service,
            wanted,
            scope=staff.identity.actor,
            place=_place(web, staff, action, REQUEST_PURPOSE, await _help_places(web, staff)),
            problems=problems + ([] if channel else [choice_required("channel")]),
            help_place=help_place,
        )
        if isinstance(outcome, Response):
            return outcome
        return _to_receipt(web, page, outcome.item)

    return require_staff(web, endpoint)


def _to_receipt(web: Web, page: Page, item: Item) -> Response:
    # The tracking token travels in the query string (never in a path), as the residents'.
    token = web.services.tracking_tokens.issue(item)
    return web.redirect(page, page.url(RECEIPT_PATH, **{TOKEN: token}), private=True)


def receipt_page(web: Web) -> Endpoint:
    """The receipt to print or read out, in the resident's language (the item's)."""

    async def endpoint(staff: StaffPage) -> Response:
        if (refusal := _working(staff, web)) is not None:
            return refusal
        try:
            item = await open_item(web, token_of(staff.request))
        except DomainError as error:
            return refused(web, staff, error)
        services = web.services
        page = replace(
            staff.page, translator=services.translator(item.language), remember_language=False
        )
        shown = StaffPage(page, staff.identity)
        tokens = services.tracking_tokens
        link = page.absolute(f"/suivi?{TOKEN}={tokens.issue(item)}")
        async with services.db.reading() as session:
            subject, answers = await subject_and_answers(web, page, session, item)
        body = services.reference.bodies.get(item.body_code)
        return render(
            web,
            shown,
            "console/receipt.html",
            nav="assisted",
            item=item,
            kind=page.gettext(KIND_LABELS[ItemKind(item.kind)]),
            subject=subject,
            answers=answers,
            commune=services.reference.communes[item.commune_code].name,
            handling_body=body.name if body else "",
            received=page.datetime(as_utc(item.created_at)),
            due=page.date(as_utc(item.due_at).date()) if item.due_at else None,
            short_code=tokens.short_code(item),
            follow_page=page.absolute("/suivi"),
            link=link,
            qr_code=qr.svg(link, str(page.gettext("QR code of the tracking link"))),
        )

    return require_staff(web, endpoint)
