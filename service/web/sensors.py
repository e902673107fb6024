"""The sensor pages: the page a sign's QR code opens (``/capteurs/<slug>``, printed, so stable
forever) with its opinion and question forms, the printable sign, and the register as a
list (the baseline) and a map (an improvement, with JavaScript).

Reads and writes go through the sensors domain as the GraphQL resolvers do: the same DTPR
sign in the reader's language, the same k-anonymous counts, the same validation, the same
hourly opinion limits and the same per-origin submission limit.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from service.errors import DomainError, ValidationFailed
from service.help_places import rules as help_rules
from service.inputs import number
from service.items.models import Item
from service.items.rules import as_utc
from service.pagination import decode_cursor, encode_cursor
from service.sensors import opinions, rules
from service.sensors.geojson import register_version
from service.sensors.models import Concern, Sensor, SensorStatus, Understood
from service.sensors.opinions import OpinionSummary, shown
from service.sensors.signs import STATUS_LABELS, SignEntry, sign_entries, translation_note
from service.tracking.rules import TrackingTokens
from service.trends import labels
from service.web import qr
from service.web.devices import device_key, remember_device
from service.web.forms import Form, choice_required, field_errors, read_form
from service.web.limits import origin_address, over_limit
from service.web.rendering import Endpoint, Holes, Page, Web

LIST_PAGE_SIZE = 50
NEAR_ME_RADIUS_M = 2_000
SIGN_HELP_RADIUS = 10_000  # metres: the help places a sign names (the nearest two)
# The rules' field names -> the form's (anything else is the whole form's).
OPINION_FIELDS = {"acceptance": "acceptance", "understood": "understood", "comment": "comment"}
QUESTION_FIELDS = {"question": "question"}
UNDERSTOOD = {u.value for u in Understood}
CONCERNS = {c.value for c in Concern}


@dataclass(frozen=True)
class SignGroup:
    """One DTPR category of a sign with its elements (a sign may name several purposes)."""

    category_name: str
    entries: list[SignEntry]


@dataclass(frozen=True)
class SensorPageData:
    sensor: Sensor
    status_label: str
    sign: list[SignGroup]
    translation_note: str | None
    commune_name: str
    body_name: str
    summary: OpinionSummary


def sign_groups(entries: list[SignEntry]) -> list[SignGroup]:
    groups: dict[str, SignGroup] = {}
    for entry in entries:
        group = groups.setdefault(str(entry.category_id), SignGroup(entry.category_name, []))
        group.entries.append(entry)
    return list(groups.values())


async def load_sensor(web: Web, page: Page, slug: str) -> SensorPageData | None:
    async with web.services.db.reading() as session:
        sensor = await rules.get_sensor(session, slug)
        if sensor is None:
            return None
        return await sensor_data(web, page, session, sensor)


async def sensor_data(
    web: Web, page: Page, session: AsyncSession, sensor: Sensor
) -> SensorPageData:
    """What the sensor's page and sign show of it, in the reader's language."""
    assert sensor.id is not None
    locale = page.locale
    taxonomy = await web.taxonomy(session, locale)
    elements = (await rules.elements_of(session, [sensor.id]))[sensor.id]
    summary = await opinions.summarise(session, [sensor.id])
    entries = sign_entries(elements, taxonomy, locale)
    reference = web.services.reference
    commune = reference.communes.get(sensor.commune_code)
    body = reference.bodies.get(sensor.accountable_body_code)
    return SensorPageData(
        sensor=sensor,
        status_label=page.translator.gettext(STATUS_LABELS[SensorStatus(sensor.status)]),
        sign=sign_groups(entries),
        translation_note=translation_note(
            rules.least_official_of(e.translation for e in entries), page.translator
        ),
        commune_name=commune.name if commune else sensor.commune_code,
        body_name=body.name if body else sensor.accountable_body_code,
        summary=summary,
    )


@dataclass(frozen=True)
class Extra:
    """What a sensor page shows beyond the sensor: its version (part of the shared page's
    key, read on every request) and its values (read only when the page is rendered)."""

    version: Callable[[AsyncSession], Awaitable[Hashable]]
    values: Callable[[AsyncSession, Sensor], Awaitable[dict[str, Any]]]


async def shared_sensor_page(
    web: Web,
    page: Page,
    template: str,
    values: Callable[[SensorPageData, Holes], dict[str, Any]],
    extra: Extra | None = None,
) -> Response:
    """A sensor's page or sign as every reader gets it: rendered once per version of the
    sensor (any edit, its DTPR sign included, moves its ``updated_at``) and of its opinions,
    read in one statement; the taxonomy and the names come with the reference snapshot.
    ``extra`` is what else the page shows (the sign: help places nearby): its version is read
    on every request, its values only when the page is rendered."""
    slug = page.request.path_params["slug"]
    async with web.services.db.reading() as session:
        found = await opinions.sensor_with_opinions_version(session, slug)
        if found is None:
            return not_found(web, page)
        extra_version = await extra.version(session) if extra is not None else None
    sensor, version = found

    async def build(holes: Holes) -> dict[str, Any]:
        async with web.services.db.reading() as session:
            data = await sensor_data(web, page, session, sensor)
            more = await extra.values(session, sensor) if extra is not None else {}
        return {**values(data, holes), **more}

    return await web.render_shared(page, template, (sensor.id, version, extra_version), build)


def summary_view(summary: OpinionSummary, page: Page) -> dict[str, Any]:
    """The counts as the API publishes them: below 5, withheld (None)."""
    translator = page.translator
    mean = summary.mean_acceptance
    rate = summary.understood_rate
    return {
        "count": shown(summary.count),
        "mean": labels.mean(mean, translator) if mean is not None else None,
        "understood_rate": labels.share(rate, translator) if rate is not None else None,
        "acceptance": [
            (page.gettext(opinions.ACCEPTANCE_LABELS[level]), shown(n))
            for level, n in sorted(summary.acceptance.items())
        ],
        "understood": [
            (page.gettext(opinions.UNDERSTOOD_LABELS[u]), shown(n))
            for u, n in summary.understood.items()
        ],
        "concerns": [
            (page.gettext(opinions.CONCERN_LABELS[c]), shown(n))
            for c, n in summary.concerns.items()
        ],
    }


def form_options(page: Page) -> dict[str, list[tuple[str, str]]]:
    return {
        "acceptance": [(str(k), page.gettext(v)) for k, v in opinions.ACCEPTANCE_LABELS.items()],
        "understood": [(u.value, page.gettext(v)) for u, v in opinions.UNDERSTOOD_LABELS.items()],
        "concerns": [(c.value, page.gettext(v)) for c, v in opinions.CONCERN_LABELS.items()],
    }


def fresh_key() -> str:
    """An idempotency key made with the form: sending the same form twice stores it once."""
    return secrets.token_urlsafe(18)


def blank_opinion() -> dict[str, Any]:
    return {
        "key": fresh_key(),
        "acceptance": None,
        "understood": None,
        "concerns": [],
        "comment": "",
    }


def not_found(web: Web, page: Page) -> Response:
    return web.render(page, "not_found.html", status=404)


def render_sensor(
    web: Web,
    page: Page,
    data: SensorPageData,
    *,
    status: int = 200,
    **values: Any,
) -> Response:
    """The sensor page refusing a form: ``values`` are its errors and what was typed."""
    return web.render(page, "sensor.html", status=status, **sensor_values(page, data, **values))


def sensor_values(page: Page, data: SensorPageData, **values: Any) -> dict[str, Any]:
    """The sensor page's values; ``values`` are the forms' (errors, what was typed)."""
    opinion_errors = values.get("opinion_errors") or {}
    question_errors = values.get("question_errors") or {}
    return {
        "nav": "sensors",
        "data": data,
        "sensor": data.sensor,
        "summary": summary_view(data.summary, page),
        "options": form_options(page),
        "errors": {**opinion_errors, **question_errors},
        "opinion_errors": opinion_errors,
        "question_errors": question_errors,
        "opinion": values.get("opinion_values") or blank_opinion(),
        "question": values.get("question_values") or {"key": fresh_key(), "question": ""},
        "thanks": page.request.query_params.get("merci"),
        "removed": data.sensor.status == SensorStatus.REMOVED.value,
        "reply_at": page.datetime(as_utc(data.sensor.public_reply_at))
        if data.sensor.public_reply_at
        else None,
    }


def sensor_page(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        page = web.page(request)

        def values(data: SensorPageData, holes: Holes) -> dict[str, Any]:
            blank = sensor_values(page, data)
            blank["opinion"]["key"] = holes.key("opinion", fresh_key)
            blank["question"]["key"] = holes.key("question", fresh_key)
            return blank

        return await shared_sensor_page(web, page, "sensor.html", values)

    return endpoint


async def posted_form(web: Web, request: Request, page: Page, purpose: str) -> Form | Response:
    """The form, or the page refusing it (no valid CSRF token: 403)."""
    form = await read_form(request)
    if form is None or not page.csrf_valid(form.as_mapping(), purpose):
        # Back to the sensor's page: the action's path takes posts only.
        back = f"/capteurs/{request.path_params['slug']}"
        return web.render(page, "form_expired.html", status=403, back=back)
    return form


def opinion_post(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        slug = request.path_params["slug"]
        form = await posted_form(web, request, page, "sensor-opinion")
        if isinstance(form, Response):
            return form
        values = {
            "acceptance": form.get("acceptance"),
            "understood": form.get("understood"),
            "concerns": form.all("concerns"),
            "comment": form.get("comment"),
            "key": form.get("idempotency_key") or fresh_key(),
        }
        device = device_key(request)
        understood = values["understood"] if values["understood"] in UNDERSTOOD else None
        # The rules check everything but `understood`, which the API's enum type guarantees:
        # a form may come without it, so the page says so beside the others.
        request_ = opinion_request(slug, values, device, understood or Understood.YES.value)
        errors = [*form.refused] if understood else [*form.refused, choice_required("understood")]
        errors += opinions.opinion_errors(request_)
        if not errors and (limited := over_limit(web, request, submission=True)) is not None:
            errors = [limited]
        if not errors:
            try:
                await opinions.submit_opinion(
                    web.services.db,
                    web.services.opinion_throttle,
                    web.services.secret_keys[-1],
                    request_,
                    origin_address(request),
                    web.services.clock(),
                )
            except ValidationFailed as failed:
                errors = failed.errors
        if errors:
            data = await load_sensor(web, page, slug)
            if data is None:
                return not_found(web, page)
            shown_errors = field_errors(errors, page.translator, OPINION_FIELDS)
            return render_sensor(
                web, page, data, status=400, opinion_errors=shown_errors, opinion_values=values
            )
        response = web.redirect(page, page.url(f"/capteurs/{slug}", merci="avis") + "#merci")
        remember_device(response, page, device)
        return response

    return endpoint


def opinion_request(
    slug: str, values: dict[str, Any], device: str, understood: str
) -> opinions.OpinionRequest:
    acceptance = str(values["acceptance"])
    return opinions.OpinionRequest(
        sensor_slug=slug,
        # Not a number: 0, which the rules refuse with their own message.
        acceptance=(number(acceptance) or 0) if len(acceptance) < 3 else 0,
        understood=Understood(understood),
        concerns=frozenset(Concern(c) for c in values["concerns"] if c in CONCERNS),
        comment=values["comment"] or None,
        device_key=device,
        idempotency_key=values["key"],
    )


def question_post(web: Web) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        slug = request.path_params["slug"]
        form = await posted_form(web, request, page, "sensor-question")
        if isinstance(form, Response):
            return form
        values = {"question": form.get("question"), "key": form.get("idempotency_key")}
        errors: list[DomainError] = [*form.refused]
        if not errors and (limited := over_limit(web, request, submission=True)) is not None:
            errors = [limited]
        if not errors:
            try:
                submitted = await rules.submit_question(
                    web.services.db,
                    web.services.reference,
                    rules.QuestionRequest(
                        sensor_slug=slug,
                        question=values["question"],
                        idempotency_key=values["key"] or fresh_key(),
                        channel="web",
                        language=page.locale,
                        contact=None,
                    ),
                    scope="anonymous",
                    now=web.services.clock(),
                    cipher=web.services.contact_cipher,
                )
            except ValidationFailed as failed:
                errors = failed.errors
        if errors:
            data = await load_sensor(web, page, slug)
            if data is None:
                return not_found(web, page)
            shown_errors = field_errors(errors, page.translator, QUESTION_FIELDS)
            return render_sensor(
                web, page, data, status=400, question_errors=shown_errors, question_values=values
            )
        token = web.services.tracking_tokens.issue(submitted.item)
        return web.redirect(
            page, page.url(f"/capteurs/{slug}/question-envoyee", jeton=token), private=True
        )

    return endpoint


def question_sent(web: Web) -> Endpoint:
    """The confirmation: the reference, the tracking link and the short code. It shows a
    token: never stored by a cache, never sent as a referrer."""

    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        slug = request.path_params["slug"]
        token = request.query_params.get("jeton", "")
        tokens = web.services.tracking_tokens
        async with web.services.db.reading() as session:
            item = await _tracked(session, tokens, token, web)
        if item is None:
            return web.render(page, "not_found.html", status=404, private=True)
        follow = page.absolute(page.url("/suivi", jeton=token))
        return web.render(
            page,
            "question_sent.html",
            private=True,
            nav="sensors",
            slug=slug,
            reference=item.reference,
            follow_url=follow,
            follow_qr=qr.svg(follow, page.gettext("QR code of the tracking link")),
            short_code=tokens.short_code(item),
        )

    return endpoint


async def _tracked(
    session: AsyncSession, tokens: TrackingTokens, token: str, web: Web
) -> Item | None:
    try:
        return await tokens.item_for(session, token, web.services.clock())
    except DomainError:
        return None


def sensor_sign(web: Web) -> Endpoint:
    """The sign an agent prints and posts beside the sensor: its DTPR sign and a QR code of
    its page (A4 by default, A5 with ``?format=a5``)."""

    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        paper = "a5" if request.query_params.get("format") == "a5" else "a4"

        def values(data: SensorPageData, holes: Holes) -> dict[str, Any]:
            url = page.absolute(f"/capteurs/{data.sensor.slug}")
            return {
                "data": data,
                "sensor": data.sensor,
                "sensor_url": url,
                "qr_code": qr.svg(url, page.gettext("QR code of the address %(url)s", url=url)),
                "paper": paper,
            }

        async def help_nearby(session: AsyncSession, sensor: Sensor) -> dict[str, Any]:
            # For a reader without a smartphone: where to get help, printed (no hours: they
            # change, the sign stays); the sign is rendered again when the directory changes.
            near = (sensor.latitude, sensor.longitude)
            search = help_rules.Search(near=near, radius_meters=SIGN_HELP_RADIUS, first=2)
            found = await help_rules.places(session, search, web.services.reference)
            url = page.absolute(f"/aide-numerique?commune={sensor.commune_code}")
            return {"help_places": [f.place for f in found], "help_url": url}

        extra = Extra(help_rules.directory_version, help_nearby)
        return await shared_sensor_page(web, page, "sensor_sign.html", values, extra)

    return endpoint


def sensor_list(web: Web) -> Endpoint:
    """The register as a list (paged, by commune, or nearest first around a point the
    browser gives), and as a map when scripts run."""

    async def endpoint(request: Request) -> Response:
        page = web.page(request)
        query = request.query_params
        reference = web.services.reference
        commune = query.get("commune") or None
        if commune is not None and commune not in reference.communes:
            commune = None
        near, errors = near_point(query.get("lat"), query.get("lon"))
        # The API's cursors (the same kinds): anything else is refused, never page 1 again.
        kind = "sensor-near" if near else "sensor-id"
        try:
            after = decode_cursor(query.get("apres"), kind, argument="apres")
        except DomainError as refused:
            after, errors = None, [*errors, refused]
        if errors:
            values = await list_values(web, page, commune, near, after, kind)
            values["errors"] = field_errors(errors, page.translator, {})
            return web.render(page, "sensors.html", status=400, **values)
        # The same for every reader until a sensor changes: rendered once per version of
        # the register (one aggregate statement), language and address.
        version = await register_version(web.services)

        async def build(holes: Holes) -> dict[str, Any]:
            return await list_values(web, page, commune, near, after, kind)

        return await web.render_shared(page, "sensors.html", version, build)

    return endpoint


async def list_values(
    web: Web,
    page: Page,
    commune: str | None,
    near: rules.Near | None,
    after: int | None,
    kind: str,
) -> dict[str, Any]:
    reference = web.services.reference
    sensor_filter = rules.SensorFilter(commune_code=commune, near=near)
    async with web.services.db.reading() as session:
        found = await rules.list_sensors(session, sensor_filter, first=LIST_PAGE_SIZE, after=after)
        taxonomy = await web.taxonomy(session, page.locale)
        elements = await rules.elements_of(session, [s.id for s, _ in found.rows if s.id])
    rows = []
    for sensor, distance in found.rows:
        entries = sign_entries(elements[sensor.id or 0], taxonomy, page.locale)
        rows.append(
            {
                "sensor": sensor,
                "commune": reference.communes[sensor.commune_code].name,
                "purposes": [e.name for e in entries if e.category_id == "purpose"],
                "status": page.gettext(STATUS_LABELS[SensorStatus(sensor.status)]),
                "distance": page.number(round(distance)) if distance is not None else None,
            }
        )
    return {
        "nav": "sensors",
        "rows": rows,
        "total": found.total,
        "next_after": encode_cursor(kind, found.next_position or 0) if found.has_next else None,
        "communes": [(c.code, c.name) for c in reference.communes_by_name()],
        "commune": commune,
        "near": near,
        "errors": {},
        "tiles_host": urlsplit(web.tiles_url).netloc,
    }


def near_point(
    latitude: str | None, longitude: str | None
) -> tuple[rules.Near | None, list[DomainError]]:
    """The point the browser gave (``?lat=&lon=``), checked by the rules; None without one."""
    if not latitude or not longitude:
        return None, []
    try:
        near = rules.Near(float(latitude), float(longitude), NEAR_ME_RADIUS_M)
    except ValueError:
        near = rules.Near(float("nan"), float("nan"), NEAR_ME_RADIUS_M)
    errors = rules.near_errors(near)
    return (None, errors) if errors else (near, [])
