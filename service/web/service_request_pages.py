"""Request a service (``/demandes``): the catalogue by commune, then one service's form with
its typed questions as fields (dates, numbers, choices) and their constraints.

The answers are checked by ``service_requests.rules.submit_service_request`` as for
``serviceRequestCreate``: the same messages, beside the question they are about. The
confirmation and follow pages are the report's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from service.errors import DomainError, ValidationFailed
from service.help_places import use as help_place_use
from service.help_places.models import HelpPlace
from service.items.rules import outside_alm
from service.items.submission import Submitted
from service.service_requests import rules
from service.service_requests.catalogue import QuestionSpec, ServiceSpec
from service.service_requests.models import Datatype, LocationKind
from service.web.forms import Form, field_errors
from service.web.limits import over_limit
from service.web.rendering import Endpoint, Holes, Page, Web
from service.web.report_pages import commune_options
from service.web.residents import (
    CONTACT_FIELDS,
    IDEMPOTENCY_FIELD,
    FormPlace,
    consents,
    contact_from,
    new_idempotency_key,
    posted,
    residents_place,
)
from service.web.security import tiles_origin

ANSWER_PREFIX = "answer_"
# The rules' field names -> the form's (answers are ``answers.<code>`` -> ``answer_<code>``).
REQUEST_FIELDS = {
    "commune": "commune",
    "latitude": "place",
    "longitude": "place",
    "addressText": "address",
    "description": "description",
    **CONTACT_FIELDS,
}


@dataclass(frozen=True)
class Question:
    """A service's question as a form field, in the reader's language."""

    name: str
    datatype: str
    label: str
    hint: str | None
    options: list[tuple[str, str]]
    minimum: str | None  # for a date or a number input
    maximum: str | None


def _bound(spec: QuestionSpec, value: float | None, today: date) -> str | None:
    if value is None:
        return None
    if spec.datatype is Datatype.DATETIME:
        return (today + timedelta(days=int(value))).isoformat()
    return f"{value:g}"


def question_view(page: Page, spec: QuestionSpec, today: date) -> Question:
    label = str(page.gettext(spec.label))
    if not spec.required:
        label = str(page.gettext("%(label)s (optional)", label=label))
    return Question(
        name=ANSWER_PREFIX + spec.code,
        datatype=spec.datatype.value,
        label=label,
        hint=str(page.gettext(spec.description)) if spec.description else None,
        options=[(v.key, str(page.gettext(v.label))) for v in spec.values],
        minimum=_bound(spec, spec.minimum, today),
        maximum=_bound(spec, spec.maximum, today),
    )


def answers_from(service: ServiceSpec, form: Form) -> tuple[rules.Answer, ...]:
    """One answer per question, empty ones included (the rules say which are required)."""
    answers = []
    for spec in service.questions:
        name = ANSWER_PREFIX + spec.code
        if spec.datatype is Datatype.MULTIVALUELIST:
            answers.append(rules.Answer(spec.code, values=tuple(form.all(name))))
        else:
            answers.append(rules.Answer(spec.code, value=form.get(name)))
    return tuple(answers)


def request_from(service: ServiceSpec, form: Form, page: Page) -> rules.ServiceRequestRequest:
    latitude, longitude = _number(form.get("latitude")), _number(form.get("longitude"))
    has_point = latitude is not None and longitude is not None
    return rules.ServiceRequestRequest(
        service_code=service.code,
        answers=answers_from(service, form),
        commune_code=form.get("commune").strip() or None,
        latitude=latitude if has_point else None,
        longitude=longitude if has_point else None,
        address_text=form.get("address").strip() or None,
        description=form.get("description"),
        at_home=False,  # the service says whether it happens at home
        idempotency_key=form.get(IDEMPOTENCY_FIELD),
        channel="web",
        language=page.locale,
        contact=contact_from(form),
    )


def _number(raw: str) -> float | None:
    try:
        return float(raw)
    except ValueError:
        return None


def catalogue(web: Web) -> Endpoint:
    """The services, under their headings; with ``?commune=`` only those offered there."""

    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        reference = web.services.reference
        commune = request.query_params.get("commune", "")
        if commune not in reference.communes:
            commune = ""

        async def build(holes: Holes) -> dict[str, Any]:
            services = reference.services
            groups: dict[str, list[ServiceSpec]] = {}
            for service in services.in_order(commune or None):
                groups.setdefault(service.group_code, []).append(service)
            return {
                "commune": commune,
                "commune_name": reference.communes[commune].name if commune else None,
                "communes": commune_options(web),
                "groups": [
                    (str(page.gettext(services.groups[code].label)), members)
                    for code, members in groups.items()
                ],
                "values": {"commune": commune},
            }

        # The catalogue changes with the reference data only: once per language and address.
        return await web.render_shared(page, "residents/services.html", None, build)

    return endpoint


def render_request_form(
    web: Web,
    page: Page,
    service: ServiceSpec,
    form: Form | None,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
    place: FormPlace | None = None,
) -> Response:
    values: dict[str, Any] = dict(form.as_mapping()) if form else {}
    values.setdefault(IDEMPOTENCY_FIELD, new_idempotency_key())
    shown = request_form_values(web, page, service, form, values, web.services.clock().date())
    place = place or residents_place(web, page, f"/demandes/{service.code}", "service-request")
    return place.render(
        "residents/service_request.html", status, **{**shown, "errors": errors or {}}
    )


def request_form_values(
    web: Web,
    page: Page,
    service: ServiceSpec,
    form: Form | None,
    values: dict[str, Any],
    today: date,
) -> dict[str, Any]:
    if form is None:
        values["commune"] = page.request.query_params.get("commune", "")
    questions = [question_view(page, spec, today) for spec in service.questions]
    return {
        "service": service,
        "label": page.gettext(service.label),
        "description": page.gettext(service.description),
        "questions": questions,
        "selected": {q.name: form.all(q.name) for q in questions} if form else {},
        "needs_point": service.location is LocationKind.POINT,
        "needs_address": service.location is LocationKind.ADDRESS,
        "values": values,
        "errors": {},
        "communes": commune_options(web),
        "consents": consents(page, form),
        "tiles_host": tiles_origin(web.tiles_url),
        "outside_message": page.gettext(outside_alm().message),
    }


def request_form(web: Web) -> Endpoint:
    """The blank form: the same for every reader but its CSRF field and key (rendered once
    per service, day (its dates' bounds), language, address and reference snapshot)."""

    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        service = web.services.reference.services.services.get(request.path_params["code"])
        if service is None:
            return web.render(page, "not_found.html", status=404)
        today = web.services.clock().date()

        async def build(holes: Holes) -> dict[str, Any]:
            key = holes.key(IDEMPOTENCY_FIELD, new_idempotency_key)
            shown = request_form_values(web, page, service, None, {IDEMPOTENCY_FIELD: key}, today)
            place = residents_place(web, page, f"/demandes/{service.code}", "service-request")
            return {**shown, **place.fields()}

        template = "residents/service_request.html"
        return await web.render_shared(page, template, (service.code, today), build, private=True)

    return endpoint


def request_post(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        code = request.path_params["code"]
        service = web.services.reference.services.services.get(code)
        if service is None:
            return web.render(page, "not_found.html", status=404)
        form = await posted(web, request, page, "service-request", back=f"/demandes/{code}")
        if isinstance(form, Response):
            return form
        outcome = await check_and_submit(
            web, request, page, form, service, request_from(service, form, page), scope="anonymous"
        )
        if isinstance(outcome, Response):
            return outcome
        token = web.services.tracking_tokens.issue(outcome.item)
        return web.redirect(page, page.url("/suivi/confirmation", jeton=token), private=True)

    return endpoint


async def check_and_submit(
    web: Web,
    request: Request,
    page: Page,
    form: Form,
    service: ServiceSpec,
    wanted: rules.ServiceRequestRequest,
    *,
    scope: str,
    place: FormPlace | None = None,
    problems: list[DomainError] | None = None,
    help_place: HelpPlace | None = None,  # where an agent submits it (web.console.assisted)
) -> Submitted | Response:
    """The posted request checked (with ``problems`` found before) and submitted; or the
    form again with why not."""
    services = web.services
    fields = {
        **REQUEST_FIELDS,
        "channel": "channel",
        **{f"answers.{q.code}": ANSWER_PREFIX + q.code for q in service.questions},
    }
    try:
        if problems or form.refused:
            raise ValidationFailed([*(problems or []), *form.refused])
        if limited := over_limit(web, request, submission=True):
            raise ValidationFailed([limited])
        submitted, _ = await rules.submit_service_request(
            services.db,
            services.reference,
            wanted,
            scope=scope,
            now=services.clock(),
            cipher=services.contact_cipher,
            store_photos=help_place_use.recording(help_place),
        )
    except ValidationFailed as failed:
        shown = field_errors(failed.errors, page.translator, fields)
        return render_request_form(web, page, service, form, errors=shown, status=400, place=place)
    return submitted
