"""Open311 GeoReport v2 over the service's own rules: what the facade lists, accepts and
shows. Report categories and services are both Open311 "services"; reports and service
requests both Open311 "requests". Nothing here knows HTTP (see ``endpoint``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import Database
from service.errors import N_, DomainError
from service.i18n.translator import Translator
from service.integrations.models import ApiClient
from service.items.lifecycle import STATUS_CLASS, Status, StatusClass
from service.items.models import EventKind, Item, ItemEvent, ItemKind
from service.items.rules import Audience, as_utc
from service.items.submission import Submitted
from service.moderation import rules as moderation
from service.photos import rules as photos
from service.photos.models import Photo, PhotoStatus
from service.privacy import rules as privacy
from service.privacy.crypto import FieldCipher
from service.reference import ReferenceData
from service.reports import rules as reports
from service.service_requests import rules as service_requests
from service.service_requests.models import ServiceRequestDetail

JURISDICTION = "angersloiremetropole.fr"
MAX_SPAN = timedelta(days=90)
MAX_RESULTS = 1000
# The moments a date filter may name: wider than any item, and far enough from the ends of
# Python's calendar (years 1 and 9999) that the default span beside them exists.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)
OPEN311_STATUS = {
    StatusClass.OPEN: "open",
    StatusClass.FIXED: "closed",
    StatusClass.CLOSED: "closed",
}

Record = dict[str, Any]
# The history lines whose public text is the handling body's answer to the resident.
ANSWER_KINDS = (EventKind.PUBLIC_ANSWER.value, EventKind.STATUS_CHANGED.value)


class Open311Error(Exception):
    """A refusal answered as the spec says: an HTTP status and ``[{code, description}]``."""

    def __init__(
        self, status: int, descriptions: list[str], retry_after: int | None = None
    ) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions  # already in the caller's language
        self.retry_after = retry_after  # seconds, for 429
        self.said: tuple[str, dict[str, Any]] | None = None

    @classmethod
    def saying(
        cls, status: int, message: str, *, retry_after: int | None = None, **params: Any
    ) -> Open311Error:
        """A refusal whose description is a msgid, said in the caller's language when
        answered (``in_language``): a 403 or a 404 reads like the 400s."""
        error = cls(status, [message], retry_after)
        error.said = (message, params)
        return error

    def in_language(self, translator: Translator) -> list[str]:
        if self.said is None:
            return self.descriptions
        message, params = self.said
        return [translator.gettext(message, **params)]


def check_jurisdiction(jurisdiction_id: str | None) -> None:
    if jurisdiction_id not in (None, "", JURISDICTION):
        raise Open311Error.saying(
            404,
            N_("Unknown jurisdiction_id: the only one is %(jurisdiction)s."),
            jurisdiction=JURISDICTION,
        )


# Services whose residents may need a hand: their description names the help places.
HELP_GROUPS = frozenset({"digital"})


def service_list(
    reference: ReferenceData, tr: Translator, help_url: str | None = None
) -> list[Record]:
    """Report categories, then services (with metadata when they ask questions); where it
    helps, a service's description ends with the address of the help places' directory."""
    records: list[Record] = []
    for category in reference.categories_in_order():
        group = reference.groups.get(category.group_code)
        records.append(
            {
                "service_code": category.code,
                "service_name": tr.gettext(category.label),
                "description": tr.gettext(category.label),
                "metadata": False,
                "type": "realtime",
                "keywords": "report",
                "group": tr.gettext(group.label) if group else "",
            }
        )
    for spec in reference.services.in_order():
        service_group = reference.services.groups.get(spec.group_code)
        records.append(
            {
                "service_code": spec.code,
                "service_name": tr.gettext(spec.label),
                "description": _with_help(
                    tr.gettext(spec.description), spec.group_code, help_url, tr
                ),
                "metadata": bool(spec.questions),
                "type": "realtime",
                "keywords": "service_request",
                "group": tr.gettext(service_group.label) if service_group else "",
            }
        )
    return records


def _with_help(description: str, group: str, help_url: str | None, tr: Translator) -> str:
    if help_url is None or group not in HELP_GROUPS:
        return description
    places = tr.gettext("Places that help near you, without an appointment: %(url)s", url=help_url)
    return f"{description} {places}"


def service_definition(reference: ReferenceData, code: str, tr: Translator) -> Record:
    if code in reference.categories:
        return {"service_code": code, "attributes": []}
    spec = reference.services.services.get(code)
    if spec is None:
        raise Open311Error.saying(404, N_("No service has the code %(code)s."), code=code[:60])
    return {
        "service_code": code,
        "attributes": [
            {
                "variable": True,
                "code": q.code,
                "datatype": q.datatype.value,
                "required": q.required,
                "datatype_description": tr.gettext(q.description) if q.description else "",
                "order": q.position,
                "description": tr.gettext(q.label),
                "values": [{"key": v.key, "name": tr.gettext(v.label)} for v in q.values],
            }
            for q in spec.questions
        ],
    }


def _w3c(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat(timespec="seconds") if moment else None


def _description(item: Item, tr: Translator) -> str:
    """The public text, or « Hidden by moderation. » in the reader's language."""
    found = moderation.public_text(item)
    return found if found is not None else tr.gettext(moderation.withheld_notice(item))


def request_record(
    item: Item,
    detail: ServiceRequestDetail | None,
    reference: ReferenceData,
    tr: Translator,
    status_notes: str | None,
    media_url: str | None = None,
) -> Record:
    """The public view of an item, as Open311 names it (never a contact, never a home)."""
    if detail is None:
        category = reference.categories.get(item.category_code or "")
        code, name = item.category_code, tr.gettext(category.label) if category else ""
        address = moderation.public_address(item)
        point = (item.latitude, item.longitude)
    else:
        spec = reference.services.services.get(detail.service_code)
        code, name = detail.service_code, tr.gettext(spec.label) if spec else ""
        address = None  # a service request's address is the handling body's business
        public_point = spec is not None and spec.location.value == "point"
        point = (item.latitude, item.longitude) if public_point else (None, None)
    commune = reference.communes.get(item.commune_code)
    body = reference.bodies.get(item.body_code)
    return {
        "service_request_id": item.reference,
        "status": OPEN311_STATUS[STATUS_CLASS[Status(item.status)]],
        "status_notes": status_notes,
        "service_name": name,
        "service_code": code,
        "description": _description(item, tr),
        "agency_responsible": body.name if body else None,
        "service_notice": None,
        "requested_datetime": _w3c(item.created_at),
        "updated_datetime": _w3c(item.updated_at),
        "expected_datetime": _w3c(item.due_at),  # from the target time (routing.due)
        "address": address,
        "address_id": None,
        "zipcode": commune.postal_codes.split(";")[0] if commune and commune.postal_codes else None,
        "lat": point[0],
        "long": point[1],
        "media_url": media_url,
    }


@dataclass(frozen=True)
class RequestQuery:
    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None


def _split(raw: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (raw or "").split(",") if part.strip())


def _moment(raw: str | None, name: str) -> datetime | None:
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error.saying(
            400,
            N_("%(name)s must be a W3C date-time, e.g. %(example)s."),
            name=name,
            example="2026-01-01T00:00:00Z",
        ) from None
    moment = as_utc(moment)
    if not EARLIEST <= moment < LATEST:
        raise Open311Error.saying(
            400,
            N_("%(name)s must be in the years %(first)s to %(last)s."),
            name=name,
            first=EARLIEST.year,
            last=LATEST.year - 1,
        )
    return moment


def parse_request_query(params: dict[str, str], now: datetime) -> RequestQuery:
    """Filters of GET requests; dates default to the last 90 days and span at most 90."""
    ids = _split(params.get("service_request_id"))
    if ids:  # the spec: it overrides every other argument
        return RequestQuery(ids=tuple(i.upper() for i in ids[:MAX_RESULTS]))
    statuses = _split(params.get("status"))
    if any(s not in ("open", "closed") for s in statuses):
        raise Open311Error.saying(
            400, N_("status must be open, closed or both (separated by a comma).")
        )
    start = _moment(params.get("start_date"), "start_date")
    end = _moment(params.get("end_date"), "end_date")
    if start and end and end - start > MAX_SPAN:
        raise Open311Error.saying(
            400,
            N_("start_date and end_date may not be more than %(days)s days apart."),
            days=MAX_SPAN.days,
        )
    if start and end and end < start:
        raise Open311Error.saying(400, N_("end_date is before start_date."))
    if start is None:
        end = now if end is None else end
        start = end - MAX_SPAN
    elif end is None:
        end = start + MAX_SPAN
    return RequestQuery(
        service_codes=_split(params.get("service_code")), statuses=statuses, start=start, end=end
    )


def _publicly_visible(reference: ReferenceData):  # type: ignore[no-untyped-def]
    """Reports, and requests of public services not at a home: nothing else, ever."""
    public_services = [s.code for s in reference.services.services.values() if s.public]
    return or_(
        col(Item.kind) == ItemKind.REPORT.value,
        and_(
            col(Item.kind) == ItemKind.SERVICE_REQUEST.value,
            col(ServiceRequestDetail.at_home).is_(False),
            col(ServiceRequestDetail.service_code).in_(public_services),
        ),
    )


async def find_requests(
    session: AsyncSession,
    reference: ReferenceData,
    query: RequestQuery,
    tr: Translator,
    media_base: str = "",
) -> list[Record]:
    """The public requests matching the query, newest first, at most 1,000, in three
    statements whatever their number (items with details, public answers, approved photos);
    ``media_url`` is the first approved photo's public copy under ``media_base``."""
    statement = (
        select(Item, ServiceRequestDetail)
        .join(
            ServiceRequestDetail,
            col(ServiceRequestDetail.item_id) == col(Item.id),
            isouter=True,
        )
        .where(_publicly_visible(reference))
    )
    if query.ids:
        statement = statement.where(col(Item.reference).in_(query.ids))
    else:
        if query.service_codes:
            statement = statement.where(
                or_(
                    col(Item.category_code).in_(query.service_codes),
                    col(ServiceRequestDetail.service_code).in_(query.service_codes),
                )
            )
        if query.statuses:
            wanted = [
                s.value for s, c in STATUS_CLASS.items() if OPEN311_STATUS[c] in query.statuses
            ]
            statement = statement.where(col(Item.status).in_(wanted))
        if query.start:
            statement = statement.where(col(Item.created_at) >= query.start)
        if query.end:
            statement = statement.where(col(Item.created_at) <= query.end)
    statement = statement.order_by(col(Item.id).desc()).limit(MAX_RESULTS)
    rows = list((await session.exec(statement)).all())
    ids = [item.id for item, _ in rows if item.id]
    notes = await _last_public_texts(session, ids)
    approved = await photos.photos_of(session, ids, [PhotoStatus.APPROVED])
    return [
        request_record(
            item,
            detail,
            reference,
            tr,
            notes.get(item.id or 0),
            _media_url(media_base, approved.get(item.id or 0)),
        )
        for item, detail in rows
    ]


def _media_url(base: str, approved: list[Photo] | None) -> str | None:
    if not approved:
        return None
    return base + photos.photo_path(approved[0], small=False, staff=False)


async def _last_public_texts(session: AsyncSession, item_ids: list[int]) -> dict[int, str]:
    """The latest public answer of each item: Open311's status_notes. Answers only (alone,
    or with a change of status): a re-routing or a merge also leaves a public line with text
    (the new body's name, the other reference), which is no note on the request's status."""
    if not item_ids:
        return {}
    statement = (
        select(ItemEvent.item_id, ItemEvent.text)
        .where(
            col(ItemEvent.item_id).in_(item_ids),
            col(ItemEvent.audience) == Audience.PUBLIC.value,
            col(ItemEvent.kind).in_(ANSWER_KINDS),
            col(ItemEvent.text).is_not(None),
        )
        .order_by(col(ItemEvent.id))
    )
    found: dict[int, str] = {}
    for item_id, text in (await session.exec(statement)).all():
        if text:
            found[item_id] = privacy.mask_personal_data(text)
    return found


@dataclass(frozen=True)
class PostedRequest:
    """What a POST requests carries, read from its form."""

    service_code: str
    latitude: float | None
    longitude: float | None
    address_string: str | None
    description: str
    attributes: dict[str, list[str]]
    commune: str | None
    idempotency_key: str
    contact: privacy.ContactRequest | None
    # Uploaded from the form's ``media`` parts (reports only), attached like photoUploadIds.
    photo_upload_ids: tuple[str, ...] = ()


def _float(raw: str | None, name: str) -> float | None:
    if raw is None or not raw.strip():
        return None
    try:
        return float(raw)
    except ValueError:
        raise Open311Error.saying(400, N_("%(name)s must be a number."), name=name) from None


def parse_posted(form: list[tuple[str, str]]) -> PostedRequest:
    """Read the form: ``attribute[code]`` and ``attribute[code][]`` become answers; personal
    fields are kept only with ``consent_text_version`` (the resident's consent, an ALM
    extension), otherwise they are dropped unread."""
    single: dict[str, str] = {}
    attributes: dict[str, list[str]] = {}
    for name, value in form:
        if name.startswith("attribute[") and "]" in name:
            code = name[len("attribute[") : name.index("]")]
            attributes.setdefault(code, []).append(value)
        else:
            single.setdefault(name, value)
    service_code = single.get("service_code", "").strip()
    if not service_code:
        raise Open311Error.saying(400, N_("service_code is required."))
    consent = single.get("consent_text_version", "").strip()
    contact = None
    if consent and (single.get("email") or single.get("phone")):
        name = " ".join(p for p in (single.get("first_name"), single.get("last_name")) if p)
        contact = privacy.ContactRequest(
            name=name or None,
            email=single.get("email") or None,
            phone=single.get("phone") or None,
            follow_up_consent=True,
            consent_text_version=consent,
            share_with_body=single.get("share_with_handling_body") == "true",
        )
    return PostedRequest(
        service_code=service_code,
        latitude=_float(single.get("lat"), "lat"),
        longitude=_float(single.get("long"), "long"),
        address_string=single.get("address_string") or None,
        description=single.get("description", ""),
        attributes=attributes,
        commune=single.get("commune") or None,
        idempotency_key=single.get("idempotency_key") or f"open311-{uuid.uuid4()}",
        contact=contact,
    )


def describe(errors: list[DomainError], tr: Translator) -> list[str]:
    """Typed errors as Open311 descriptions: "field: message (CODE)"."""
    described = []
    for error in errors:
        message = tr.gettext(error.message, **error.params)
        prefix = f"{error.field}: " if error.field else ""
        described.append(f"{prefix}{message} ({error.code.name})")
    return described


async def submit(
    db: Database,
    reference: ReferenceData,
    posted: PostedRequest,
    client: ApiClient,
    *,
    language: str,
    now: datetime,
    cipher: FieldCipher,
    photo_limits: photos.PhotoLimits | None = None,
) -> Submitted:
    """A report for a category code, a service request for a service code; same rules as
    GraphQL (validation, routing, idempotency, contact with consent, outbox)."""
    channel = f"api:{client.name}"
    scope = f"api:{client.id}"
    if posted.service_code in reference.categories:
        if posted.latitude is None or posted.longitude is None:
            raise Open311Error.saying(400, N_("lat and long are required to report a problem."))
        return await reports.submit_report(
            db,
            reference,
            reports.ReportRequest(
                category_code=posted.service_code,
                latitude=posted.latitude,
                longitude=posted.longitude,
                address_text=posted.address_string,
                description=posted.description,
                idempotency_key=posted.idempotency_key,
                channel=channel,
                language=language,
                contact=posted.contact,
                photo_upload_ids=posted.photo_upload_ids,
            ),
            scope=scope,
            now=now,
            cipher=cipher,
            store_extra=photos.attacher(
                posted.photo_upload_ids,
                scope=scope,
                limits=photo_limits or photos.PhotoLimits(),
                field="media",
            ),
        )
    if posted.service_code not in reference.services.services:
        raise Open311Error.saying(
            404, N_("No service has the code %(code)s."), code=posted.service_code[:60]
        )
    answers = tuple(
        service_requests.Answer(code=code, values=tuple(values))
        if len(values) > 1 or _is_multi(reference, posted.service_code, code)
        else service_requests.Answer(code=code, value=values[0])
        for code, values in posted.attributes.items()
    )
    submitted, _ = await service_requests.submit_service_request(
        db,
        reference,
        service_requests.ServiceRequestRequest(
            service_code=posted.service_code,
            answers=answers,
            commune_code=posted.commune,
            latitude=posted.latitude,
            longitude=posted.longitude,
            address_text=posted.address_string,
            description=posted.description,
            at_home=False,
            idempotency_key=posted.idempotency_key,
            channel=channel,
            language=language,
            contact=posted.contact,
        ),
        scope=scope,
        now=now,
        cipher=cipher,
    )
    return submitted


def _is_multi(reference: ReferenceData, service_code: str, question_code: str) -> bool:
    spec = reference.services.services[service_code]
    question = spec.question(question_code)
    return question is not None and question.datatype.value == "multivaluelist"


def utc_now() -> datetime:
    return datetime.now(UTC)
