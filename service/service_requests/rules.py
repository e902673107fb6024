"""Service requests: validate the typed answers, place and route the request, store it once
on the shared spine, and decide what of it the public may ever see."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import Database
from service.errors import N_, DomainError, ValidationFailed, raise_if_any
from service.invariants import required_row
from service.items import rules as items
from service.items.models import Item, ItemKind
from service.items.submission import StoreExtra, Submitted, store_once
from service.privacy import rules as privacy
from service.privacy.crypto import FieldCipher
from service.reference import ReferenceData
from service.reports.rules import outside_alm
from service.routing import due
from service.routing import rules as routing
from service.routing.models import Competence, DueSubject
from service.service_requests.catalogue import QuestionSpec, ServiceSpec
from service.service_requests.errors import ServiceRequestErrorCode as Code
from service.service_requests.models import Datatype, LocationKind, ServiceRequestDetail
from service.territory.rules import coordinate_errors, unknown_commune

MAX_DESCRIPTION = 4_000
MAX_ADDRESS = 300
MAX_ANSWERS = 50
MAX_STRING = 200
MAX_TEXT = 2_000
NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
ANSWER_LIMITS = {Datatype.STRING: MAX_STRING, Datatype.TEXT: MAX_TEXT}
_INSERT_DETAIL = insert(ServiceRequestDetail.__table__)  # type: ignore[attr-defined]

AnswerValue = str | list[str]


@dataclass(frozen=True)
class Answer:
    """One answer as sent: ``value`` for one value, ``values`` for a multi-value list."""

    code: str
    value: str | None = None
    values: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ServiceRequestRequest:
    service_code: str
    answers: tuple[Answer, ...]
    commune_code: str | None
    latitude: float | None
    longitude: float | None
    address_text: str | None
    description: str
    at_home: bool
    idempotency_key: str
    channel: str
    language: str
    contact: privacy.ContactRequest | None
    # Ids from POST /media/uploads, attached in the submission's transaction.
    photo_upload_ids: tuple[str, ...] = ()


def _field(code: str) -> str:
    return f"answers.{code}"


def unknown_service(service_code: str) -> DomainError:
    return DomainError(
        Code.UNKNOWN_SERVICE,
        N_("There is no service %(service)s."),
        field="serviceCode",
        service=service_code,
    )


def _required(question: QuestionSpec) -> DomainError:
    return DomainError(
        Code.ANSWER_REQUIRED, N_("Please answer this question."), field=_field(question.code)
    )


def _plain(number: float) -> str:
    """1.0 -> "1", 0.5 -> "0.5": how a number is stored and shown in messages."""
    return f"{number:g}"


def _number_answer(question: QuestionSpec, raw: str) -> tuple[str | None, DomainError | None]:
    field = _field(question.code)
    text = raw.strip().replace(" ", "").replace("\u202f", "").replace("\xa0", "")
    if not NUMBER.match(text):
        return None, DomainError(Code.ANSWER_WRONG_TYPE, N_("Please give a number."), field=field)
    number = float(text.replace(",", "."))
    low = question.minimum if question.minimum is not None else -math.inf
    high = question.maximum if question.maximum is not None else math.inf
    if not low <= number <= high:
        return None, DomainError(
            Code.ANSWER_OUT_OF_RANGE,
            N_("Please give a number between %(minimum)s and %(maximum)s."),
            field=field,
            # Numbers, written by the translator in the reader's language (« 0,5 »).
            minimum=int(low) if float(low).is_integer() else low,
            maximum=int(high) if float(high).is_integer() else high,
        )
    return _plain(number), None


def _datetime_answer(
    question: QuestionSpec, raw: str, today: date
) -> tuple[str | None, DomainError | None]:
    field = _field(question.code)
    text = raw.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00")) if "T" in text else None
        day = moment.date() if moment else date.fromisoformat(text)
    except ValueError:
        return None, DomainError(
            Code.ANSWER_WRONG_TYPE,
            N_("Please give a date such as %(example)s."),
            field=field,
            example=(today + timedelta(days=7)).isoformat(),
        )
    if question.minimum is not None and question.maximum is not None:
        first = today + timedelta(days=int(question.minimum))
        last = today + timedelta(days=int(question.maximum))
        if not first <= day <= last:
            return None, DomainError(
                Code.ANSWER_OUT_OF_RANGE,
                N_("Please choose a date between %(first)s and %(last)s."),
                field=field,
                first=first,  # dates, written by the translator (« 12 décembre 2026 »)
                last=last,
            )
    return (moment.isoformat() if moment else day.isoformat()), None


def _choice_errors(question: QuestionSpec, keys: list[str]) -> list[DomainError]:
    allowed = {v.key for v in question.values}
    return [
        DomainError(
            Code.ANSWER_NOT_ALLOWED,
            N_("« %(value)s » is not one of the proposed answers."),
            field=_field(question.code),
            value=key[:60],
        )
        for key in keys
        if key not in allowed
    ][:1]


def _one_answer(
    question: QuestionSpec, answer: Answer, today: date
) -> tuple[AnswerValue | None, list[DomainError]]:
    """The normalised answer, or why it is refused; (None, []) for an empty optional one."""
    field = _field(question.code)
    if question.datatype is Datatype.MULTIVALUELIST:
        given = list(answer.values or ()) + ([answer.value] if answer.value is not None else [])
        keys = list(dict.fromkeys(k.strip() for k in given if k.strip()))
        if not keys:
            return None, [_required(question)] if question.required else []
        errors = _choice_errors(question, keys)
        return (None, errors) if errors else (keys, [])
    if answer.values is not None and len(answer.values) > 1:
        return None, [
            DomainError(Code.ANSWER_WRONG_TYPE, N_("Please give a single answer."), field=field)
        ]
    raw = answer.value if answer.value is not None else next(iter(answer.values or ()), None)
    if raw is None or not raw.strip():
        return None, [_required(question)] if question.required else []
    if question.datatype is Datatype.SINGLEVALUELIST:
        errors = _choice_errors(question, [raw.strip()])
        return (None, errors) if errors else (raw.strip(), [])
    if question.datatype is Datatype.NUMBER:
        value, error = _number_answer(question, raw)
        return value, [error] if error else []
    if question.datatype is Datatype.DATETIME:
        value, error = _datetime_answer(question, raw, today)
        return value, [error] if error else []
    limit = ANSWER_LIMITS[question.datatype]
    if len(raw) > limit:
        return None, [
            DomainError(
                Code.ANSWER_TOO_LONG,
                N_("This answer is longer than %(limit)s characters."),
                field=field,
                limit=limit,
            )
        ]
    if question.datatype is Datatype.STRING and "\n" in raw:
        return None, [
            DomainError(Code.ANSWER_WRONG_TYPE, N_("Please answer on one line."), field=field)
        ]
    return raw.strip(), []


def answer_errors(
    service: ServiceSpec, answers: tuple[Answer, ...], today: date
) -> tuple[dict[str, AnswerValue], list[DomainError]]:
    """Check every answer against its question; one error at most per question."""
    if len(answers) > MAX_ANSWERS:
        return {}, [
            DomainError(
                Code.TOO_MANY_ANSWERS,
                N_("Send at most %(limit)s answers."),
                field="answers",
                limit=MAX_ANSWERS,
            )
        ]
    errors: list[DomainError] = []
    by_code: dict[str, Answer] = {}
    for answer in answers:
        if service.question(answer.code) is None:
            errors.append(
                DomainError(
                    Code.UNKNOWN_QUESTION,
                    N_("This service has no question %(question)s."),
                    field=_field(answer.code[:60]),
                    question=answer.code[:60],
                )
            )
        elif answer.code in by_code:
            errors.append(
                DomainError(
                    Code.DUPLICATE_ANSWER,
                    N_("This question is answered twice."),
                    field=_field(answer.code),
                )
            )
        else:
            by_code[answer.code] = answer
    normalised: dict[str, AnswerValue] = {}
    for question in service.questions:
        given = by_code.get(question.code)
        if given is None:
            if question.required:
                errors.append(_required(question))
            continue
        value, found = _one_answer(question, given, today)
        errors += found
        if value is not None:
            normalised[question.code] = value
    return normalised, errors


def _location_required(service: ServiceSpec) -> DomainError:
    if service.location is LocationKind.POINT:
        return DomainError(
            Code.LOCATION_REQUIRED, N_("Please show the place on the map."), field="latitude"
        )
    if service.location is LocationKind.ADDRESS:
        return DomainError(
            Code.LOCATION_REQUIRED,
            N_("Please give your address and your commune."),
            field="addressText",
        )
    return DomainError(Code.LOCATION_REQUIRED, N_("Please choose your commune."), field="commune")


def place_of(reference: ReferenceData, service: ServiceSpec, request: ServiceRequestRequest) -> str:
    """The commune of the request, from its point or the commune named; refusals typed."""
    has_point = request.latitude is not None and request.longitude is not None
    if (request.latitude is None) != (request.longitude is None):
        raise ValidationFailed([_location_required(service)])
    commune_code = request.commune_code
    if commune_code is not None and commune_code not in reference.communes:
        raise ValidationFailed([unknown_commune(commune_code)])
    if has_point:
        # narrowing: has_point says both are given
        assert request.latitude is not None and request.longitude is not None
        raise_if_any(coordinate_errors(request.latitude, request.longitude))
        located = reference.locator.locate(request.latitude, request.longitude)
        if located is None:
            raise ValidationFailed([outside_alm()])
        if commune_code is not None and commune_code != located:
            raise ValidationFailed(
                [
                    DomainError(
                        Code.LOCATION_MISMATCH,
                        N_("The point on the map is not in the commune you chose."),
                        field="commune",
                    )
                ]
            )
        commune_code = located
    missing_address = (
        service.location is LocationKind.ADDRESS and not (request.address_text or "").strip()
    )
    if (
        commune_code is None
        or (service.location is LocationKind.POINT and not has_point)
        or missing_address
    ):
        raise ValidationFailed([_location_required(service)])
    return commune_code


def not_available(service: ServiceSpec, commune_name: str) -> DomainError:
    return DomainError(
        Code.SERVICE_NOT_AVAILABLE,
        N_("This service is not offered in %(commune)s."),
        field="serviceCode",
        commune=commune_name,
    )


def route_service(
    reference: ReferenceData, service: ServiceSpec, commune_code: str, today: date
) -> routing.RoutingDecision:
    """The commune's override for this service if it has one, else the service's default."""
    override = service.communes.get(commune_code)
    if override is not None and override.body_code:
        route = reference.routes.get(override.body_code)
        how = route.kind if route else "none (unrouted: kept in the body's triage queue)"
        competence = Competence(override.competence or service.competence)
        reason = (
            f"service {service.code}: {competence.value} by override in {commune_code} "
            f"-> {override.body_code}; route {how}"
        )
        return routing.RoutingDecision(competence, override.body_code, route, reason)
    decision = routing.route_item(
        reference, commune_code=commune_code, category=service, today=today
    )
    return routing.RoutingDecision(
        decision.competence, decision.body_code, decision.route, f"service {decision.reason}"
    )


def validation_errors(request: ServiceRequestRequest) -> list[DomainError]:
    errors = items.text_errors(request.description, field="description", maximum=MAX_DESCRIPTION)
    errors += items.text_errors(request.address_text, field="addressText", maximum=MAX_ADDRESS)
    errors += items.idempotency_key_errors(request.idempotency_key)
    if request.contact is not None:
        errors += privacy.contact_errors(request.contact)
    return errors


def _fingerprint(request: ServiceRequestRequest) -> str:
    # The contact is left out: a hash of an e-mail address is still personal data.
    return items.fingerprint(
        {
            "service": request.service_code,
            "answers": sorted(
                (a.code, a.value, list(a.values) if a.values is not None else None)
                for a in request.answers
            ),
            "commune": request.commune_code,
            "latitude": request.latitude,
            "longitude": request.longitude,
            "address": request.address_text,
            "description": request.description,
            "at_home": request.at_home,
            "channel": request.channel,
            "contact": request.contact is not None,
            # Only when there are photos: fingerprints of submissions without stay as they were.
            **({"photos": list(request.photo_upload_ids)} if request.photo_upload_ids else {}),
        }
    )


async def submit_service_request(
    db: Database,
    reference: ReferenceData,
    request: ServiceRequestRequest,
    *,
    scope: str,
    now: datetime,
    cipher: FieldCipher | None = None,
    store_photos: StoreExtra | None = None,
) -> tuple[Submitted, ServiceRequestDetail]:
    """Validate the answers, place, route and store a service request once per key; with
    the details stored (the first submission's, for a retry)."""
    service = reference.services.services.get(request.service_code)
    if service is None:
        raise ValidationFailed([unknown_service(request.service_code[:60])])
    errors = validation_errors(request)
    answers, found = answer_errors(service, request.answers, now.date())
    raise_if_any(errors + found)
    commune_code = place_of(reference, service, request)
    if not service.offered_in(commune_code):
        raise ValidationFailed([not_available(service, reference.communes[commune_code].name)])
    decision = route_service(reference, service, commune_code, now.date())
    at_home = service.home_address or request.at_home
    detail_json = json.dumps(answers, ensure_ascii=False, sort_keys=True)

    detail = ServiceRequestDetail(
        item_id=0, service_code=service.code, answers=detail_json, at_home=at_home
    )

    async def store_detail(session: AsyncSession, item: Item) -> None:
        # Core insert, like the spine's: the ORM's unit of work costs more than the statement.
        assert item.id is not None
        detail.item_id = item.id
        await session.run_sync(
            lambda sync: sync.connection().execute(_INSERT_DETAIL, detail.model_dump())
        )
        if store_photos is not None:
            await store_photos(session, item)

    submitted = await store_once(
        db,
        items.NewItem(
            kind=ItemKind.SERVICE_REQUEST,
            commune_code=commune_code,
            category_code=None,
            decision=decision,
            latitude=request.latitude,
            longitude=request.longitude,
            address_text=(request.address_text or "").strip() or None,
            description=request.description.strip(),
            channel=request.channel,
            language=request.language,
            idempotency_scope=scope,
            idempotency_key=request.idempotency_key,
            request_fingerprint=_fingerprint(request),
            due_in=due.due_in(reference, DueSubject.SERVICE, service.code, decision.body_code),
        ),
        contact=request.contact,
        now=now,
        cipher=cipher,
        store_extra=store_detail,
    )
    if submitted.replayed:  # the first submission's details, as stored then
        async with db.reading() as session:
            stored = await session.get(ServiceRequestDetail, submitted.item.id)
        return submitted, required_row(stored, "service_request_detail", submitted.item.id)
    return submitted, detail


def parsed_answers(detail: ServiceRequestDetail) -> dict[str, AnswerValue]:
    loaded: dict[str, AnswerValue] = json.loads(detail.answers)
    return loaded


@dataclass(frozen=True)
class GivenAnswer:
    """A stored answer with its question: its values, and how people read them."""

    question: QuestionSpec
    values: list[str]

    def labels(self, gettext: Callable[[str], str]) -> list[str]:
        """The values as read: a listed value's label translated, a free answer as written
        (what a resident wrote is never looked up in the catalogs)."""
        return [
            gettext(label) if (label := self.question.value_label(v)) else v for v in self.values
        ]


def given_answers(
    service: ServiceSpec, detail: ServiceRequestDetail, *, public: bool
) -> list[GivenAnswer]:
    """The answers of a request in the order of the service's questions; with ``public``,
    only those the service marks public."""
    stored = parsed_answers(detail)
    return [
        GivenAnswer(question, raw if isinstance(raw, list) else [raw])
        for question in service.questions
        if (raw := stored.get(question.code)) is not None and (question.public or not public)
    ]


def is_public(service: ServiceSpec | None, detail: ServiceRequestDetail) -> bool:
    """Whether anyone may see the request: the service says so and it is not at a home."""
    return service is not None and service.public and not detail.at_home


async def details_of(session: AsyncSession, item_ids: list[int]) -> dict[int, ServiceRequestDetail]:
    """The service part of several requests, in one statement."""
    if not item_ids:
        return {}
    statement = select(ServiceRequestDetail).where(col(ServiceRequestDetail.item_id).in_(item_ids))
    return {d.item_id: d for d in (await session.exec(statement)).all()}


async def public_request(
    session: AsyncSession, reference: ReferenceData, item_reference: str
) -> tuple[Item, ServiceRequestDetail] | None:
    """A service request the public may see, by its reference; None for any other."""
    item = await items.get_by_reference(session, item_reference)
    if item is None or item.kind != ItemKind.SERVICE_REQUEST.value or item.id is None:
        return None
    detail = await session.get(ServiceRequestDetail, item.id)
    if detail is None or not is_public(
        reference.services.services.get(detail.service_code), detail
    ):
        return None
    return item, detail
