"""Report a problem (``/signaler``): category, place, description, an optional consented
contact; "already reported nearby?" before it is sent, with a "me too" instead.

The place is a pin on the map (JavaScript), or without a map the commune from a list and the
address typed: the report is then placed at the commune (``LocationPrecision.COMMUNE``).
Photos come in the same post (``multipart/form-data``, no script needed) and go through the
same processing as ``POST /media/uploads``.
Validation, routing and storage are ``reports.rules.submit_report``'s, as for ``reportCreate``;
the form's idempotency key makes a double post one report.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from service.errors import DomainError, ValidationFailed
from service.help_places import use as help_place_use
from service.help_places.models import HelpPlace
from service.items import rules as items
from service.items.lifecycle import OPEN_STATUSES, Status
from service.items.models import Item
from service.items.submission import Submitted
from service.items.types import SUPPORT_LABEL, public_text, status_label
from service.photos import rules as photos
from service.reports import rules
from service.reports.rules import ReportFilter, ReportRequest
from service.web.devices import device_key, remember_device
from service.web.forms import Form, choice_required, field_errors
from service.web.limits import over_limit
from service.web.rendering import Endpoint, Holes, Page, Web
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

NEARBY_RADIUS_M = 250
NEARBY_SHOWN = 5
# The rules' field names -> the form's; a refusal about anything else is the whole form's.
REPORT_FIELDS = {
    "categoryCode": "category",
    "latitude": "place",
    "longitude": "place",
    "commune": "commune",
    "addressText": "address",
    "description": "description",
    "photo": "photo",
    "photoUploadIds": "photo",
    **CONTACT_FIELDS,
}
# The form's photos: new files in ``photo``, those already received (an earlier post refused
# for another reason, or shown again with reports nearby) as hidden ``photo_upload`` ids.
PHOTO_FIELD = "photo"
KEPT_PHOTOS_FIELD = "photo_upload"


@dataclass(frozen=True)
class Similar:
    """A report already made that may be the same problem, as a passer-by may read it."""

    reference: str
    category: str
    status: str
    description: str
    created: str
    supporters: str
    distance_m: int | None


def _coordinate(raw: str) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def report_request(form: Form, page: Page) -> ReportRequest:
    latitude, longitude = _coordinate(form.get("latitude")), _coordinate(form.get("longitude"))
    return ReportRequest(
        category_code=form.get("category").strip(),
        latitude=latitude if longitude is not None else None,
        longitude=longitude if latitude is not None else None,
        address_text=form.get("address").strip() or None,
        description=form.get("description"),
        idempotency_key=form.get(IDEMPOTENCY_FIELD),
        channel="web",
        language=page.locale,
        contact=contact_from(form),
        commune_code=form.get("commune").strip() or None,
        photo_upload_ids=tuple(dict.fromkeys(form.all(KEPT_PHOTOS_FIELD))),
    )


async def receive_photos(
    web: Web, form: Form, wanted: ReportRequest, *, scope: str
) -> tuple[ReportRequest, list[DomainError]]:
    """Process the photos sent with the form (as ``POST /media/uploads`` does), keyed by
    the form's idempotency key and the photo's hash: posting the form again is no new photo."""
    services = web.services
    ids, errors = list(wanted.photo_upload_ids), []
    for data in form.file_contents(PHOTO_FIELD):
        try:
            uploaded = await photos.upload(
                services.db,
                services.photo_store,
                data,
                scope=scope,
                key=f"{wanted.idempotency_key[:70]}:{hashlib.sha256(data).hexdigest()[:24]}",
                limits=services.photo_limits,
                now=services.clock(),
            )
        except ValidationFailed as failed:
            errors += failed.errors
            continue
        ids.append(uploaded.photo.id)
    ids = list(dict.fromkeys(ids))
    errors += photos.upload_id_errors(ids, services.photo_limits, "photo")
    return replace(wanted, photo_upload_ids=tuple(ids)), errors


# Labels stay Markup (already escaped by page.gettext): a plain str would be escaped twice.
CategoryGroups = list[tuple[Markup, list[tuple[str, Markup]]]]


def category_groups(web: Web, page: Page) -> CategoryGroups:
    """The categories under their headings, in the reader's language (built once per
    language and reference snapshot: shared, read only)."""

    def build() -> CategoryGroups:
        reference = web.services.reference
        groups: CategoryGroups = []
        for group in reference.groups_in_order():
            members = [
                (c.code, page.gettext(c.label))
                for c in reference.categories_in_order()
                if c.group_code == group.code
            ]
            if members:
                groups.append((page.gettext(group.label), members))
        return groups

    return web.derived.get(("category_groups", page.locale), build)


def commune_options(web: Web) -> list[tuple[str, str]]:
    """The communes by name (once per reference snapshot: shared, read only)."""
    return web.derived.get(
        "commune_options",
        lambda: [(c.code, c.name) for c in web.services.reference.communes_by_name()],
    )


def similar_view(web: Web, page: Page, item: Item, distance: float | None) -> Similar:
    category = web.services.reference.categories.get(item.category_code or "")
    return Similar(
        reference=item.reference,
        category=str(page.gettext(category.label)) if category else "",
        status=status_label(Status(item.status), page.translator),
        description=public_text(item, page.translator),
        created=page.date(item.created_at),
        supporters=str(page.ngettext(*SUPPORT_LABEL, item.support_count)),
        distance_m=round(distance) if distance is not None else None,
    )


async def similar_reports(web: Web, page: Page, request: ReportRequest) -> list[Similar]:
    """Open reports of the same category near the pin, or without one in the same commune."""
    if not request.category_code:
        return []
    chosen: list[tuple[Item, float | None]]
    async with web.services.db.reading() as session:
        if request.point is not None:
            found = await rules.nearby_reports(
                session, *request.point, NEARBY_RADIUS_M, request.category_code
            )
            chosen = [(item, d) for item, d in found if Status(item.status) in OPEN_STATUSES]
        elif request.commune_code:
            wanted = ReportFilter(
                commune_code=request.commune_code,
                category_code=request.category_code,
                statuses=OPEN_STATUSES,
            )
            rows, _ = await rules.list_reports(session, wanted, first=NEARBY_SHOWN, after_id=None)
            chosen = [(item, None) for item in rows]
        else:
            return []
    return [similar_view(web, page, item, d) for item, d in chosen[:NEARBY_SHOWN]]


def form_values(
    web: Web,
    page: Page,
    form: Form | None,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    similar: list[Similar] | None = None,
) -> dict[str, Any]:
    return {
        "nav": None,
        "values": values,
        "errors": errors or {},
        "similar": similar or [],
        "category_groups": category_groups(web, page),
        "communes": commune_options(web),
        "consents": consents(page, form),
        "outside_message": page.gettext(items.outside_alm().message),
        "tiles_host": tiles_origin(web.tiles_url),
        "kept_photos": form.all(KEPT_PHOTOS_FIELD) if form else [],
        "photo_limits": web.services.photo_limits,
    }


def render_form(
    web: Web,
    page: Page,
    form: Form | None,
    *,
    errors: dict[str, str] | None = None,
    similar: list[Similar] | None = None,
    status: int = 200,
    place: FormPlace | None = None,
) -> Response:
    values: dict[str, Any] = dict(form.as_mapping()) if form else {}
    values.setdefault(IDEMPOTENCY_FIELD, new_idempotency_key())
    place = place or residents_place(web, page, "/signaler", "report")
    shown = form_values(web, page, form, values, errors=errors, similar=similar)
    return place.render("residents/report.html", status, **shown)


def report_form(web: Web) -> Endpoint:
    """The blank form: the same for every reader but its CSRF field and key (rendered once
    per language and reference snapshot)."""

    async def endpoint(request: Request) -> Response:
        page = web.page(request)

        async def build(holes: Holes) -> dict[str, Any]:
            key = holes.key(IDEMPOTENCY_FIELD, new_idempotency_key)
            place = residents_place(web, page, "/signaler", "report")
            return {**form_values(web, page, None, {IDEMPOTENCY_FIELD: key}), **place.fields()}

        return await web.render_shared(page, "residents/report.html", None, build, private=True)

    return endpoint


def report_post(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        form = await posted(web, request, page, "report", back="/signaler")
        if isinstance(form, Response):
            return form
        wanted = report_request(form, page)
        problems: list[DomainError] = []
        # Photos cost CPU: a post carrying some is counted against the submission limit (and
        # may be refused) before they are processed, whatever else is wrong with it.
        if not form.refused and form.file_contents(PHOTO_FIELD):
            if limited := over_limit(web, request, submission=True):
                problems = [limited]
            else:
                wanted, problems = await receive_photos(web, form, wanted, scope="anonymous")
        form = with_kept_photos(form, wanted.photo_upload_ids)
        outcome = await check_and_submit(
            web, request, page, form, wanted, scope="anonymous", problems=problems
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
    wanted: ReportRequest,
    *,
    scope: str,
    place: FormPlace | None = None,
    problems: list[DomainError] | None = None,
    help_place: HelpPlace | None = None,  # where an agent submits it (web.console.assisted)
) -> Submitted | Response:
    """The posted report checked (with ``problems`` found before), the reports nearby shown
    once, then submitted; or the form again with why not."""
    problems = list(problems or []) + list(form.refused)
    problems += [choice_required("categoryCode")] if not wanted.category_code else []
    problems += rules.validation_errors(wanted)
    if not problems and (limited := over_limit(web, request, submission=True)):
        problems = [limited]
    if problems:
        return refused(web, page, form, problems, place)
    if not form.get("nearby_seen"):
        similar = await similar_reports(web, page, wanted)
        if similar:
            return render_form(web, page, form, similar=similar, place=place)
    services = web.services
    try:
        return await rules.submit_report(
            services.db,
            services.reference,
            wanted,
            scope=scope,
            now=services.clock(),
            cipher=services.contact_cipher,
            store_extra=help_place_use.recording(
                help_place,
                photos.attacher(wanted.photo_upload_ids, scope=scope, limits=services.photo_limits),
            ),
        )
    except ValidationFailed as failed:
        return refused(web, page, form, failed.errors, place)


def with_kept_photos(form: Form, upload_ids: tuple[str, ...]) -> Form:
    """The form as it is shown again: the photos received are kept as hidden ids."""
    pairs = tuple(pair for pair in form.pairs if pair[0] != KEPT_PHOTOS_FIELD)
    kept = tuple((KEPT_PHOTOS_FIELD, upload_id) for upload_id in upload_ids)
    return Form(pairs + kept, form.refused, form.files)


def refused(
    web: Web,
    page: Page,
    form: Form,
    errors: list[DomainError],
    place: FormPlace | None = None,
) -> Response:
    shown = field_errors(errors, page.translator, {**REPORT_FIELDS, "channel": "channel"})
    return render_form(web, page, form, errors=shown, status=400, place=place)


def nearby_fragment(web: Web) -> Endpoint:
    """The "already reported nearby?" panel alone, for the form's script as the pin moves."""

    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        query = Form(tuple(request.query_params.multi_items()))
        wanted = report_request(query, page)
        point_ok = wanted.point is not None and not rules.place_errors(wanted)
        similar = await similar_reports(web, page, wanted) if point_ok else []
        return web.render(
            page, "residents/report_nearby.html", similar=similar, nav=None, errors={}
        )

    return endpoint


def support_post(web: Web) -> Endpoint:
    """« Me too » on a report found nearby: counted once per device, as ``reportSupport``."""

    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        form = await posted(web, request, page, "report", back="/signaler")
        if isinstance(form, Response):
            return form
        device = device_key(request)
        errors = list(form.refused) or items.device_key_errors(device)
        if not errors and (limited := over_limit(web, request, submission=True)):
            errors = [limited]
        services = web.services
        item, counted = None, False
        if not errors:
            try:
                item, counted = await rules.support_report(
                    services.db,
                    form.get("reference").strip().upper(),
                    services.device_hash(device),
                    services.clock(),
                )
            except ValidationFailed as failed:
                errors = failed.errors
        response = web.render(
            page,
            "residents/report_supported.html",
            status=400 if errors else 200,
            nav=None,
            errors=field_errors(errors, page.translator, {}),
            similar=[similar_view(web, page, item, None)] if item else [],
            counted=counted,
        )
        remember_device(response, page, device)
        return response

    return endpoint
