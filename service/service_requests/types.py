"""GraphQL types of service requests: the catalogue, and what a request shows to whom."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from service.context import Context
from service.items.models import Item, LocationPrecision
from service.items.rules import Audience
from service.items.types import (
    AssistedChannel,
    ContactInput,
    HistoryEntry,
    ItemView,
    ResidentChannel,
    public_text,
)
from service.routing.models import Competence
from service.schema_support import described_enum
from service.service_requests import rules
from service.service_requests.catalogue import QuestionSpec, ServiceSpec
from service.service_requests.errors import ServiceRequestErrorCode
from service.service_requests.models import Datatype, LocationKind, ServiceRequestDetail
from service.territory.types import CommuneType

described_enum(
    Datatype,
    name="QuestionDatatype",
    description="The kind of answer a question takes (Open311 GeoReport v2 datatypes).",
    values={
        Datatype.STRING: "A short text on one line (at most 200 characters).",
        Datatype.NUMBER: "A number, within the question's minimum and maximum.",
        Datatype.DATETIME: "A date (2026-12-31) or date and time (ISO 8601), within the "
        "question's range of days from today.",
        Datatype.TEXT: "A longer text (at most 2,000 characters).",
        Datatype.SINGLEVALUELIST: "One key among the question's values, sent as `value`.",
        Datatype.MULTIVALUELIST: "One or more keys among the question's values, sent as `values`.",
    },
)
described_enum(
    LocationKind,
    name="ServiceLocation",
    description="What a request for a service must say about the place.",
    values={
        LocationKind.POINT: "A point on the map, in public space (latitude and longitude).",
        LocationKind.ADDRESS: "The resident's address: commune (or a point) and address text.",
        LocationKind.COMMUNE: "Only the commune.",
    },
)
described_enum(
    ServiceRequestErrorCode,
    name="ServiceRequestErrorCode",
    description="Why a service request was refused.",
    values={
        ServiceRequestErrorCode.UNKNOWN_SERVICE: "No service has this code.",
        ServiceRequestErrorCode.SERVICE_NOT_AVAILABLE: "The service is not offered in the commune.",
        ServiceRequestErrorCode.UNKNOWN_COMMUNE: "No commune of ALM has this INSEE code.",
        ServiceRequestErrorCode.LOCATION_REQUIRED: "The service needs a place (point, address "
        "or commune) that is missing.",
        ServiceRequestErrorCode.LOCATION_MISMATCH: "The point is not in the commune given.",
        ServiceRequestErrorCode.OUTSIDE_ALM: "The point is outside the 29 communes of ALM.",
        ServiceRequestErrorCode.LATITUDE_OUT_OF_RANGE: "The latitude is not between -90 and 90.",
        ServiceRequestErrorCode.LONGITUDE_OUT_OF_RANGE: "The longitude is not between -180 and "
        "180.",
        ServiceRequestErrorCode.UNKNOWN_QUESTION: "The service has no question with this code.",
        ServiceRequestErrorCode.DUPLICATE_ANSWER: "The same question is answered twice.",
        ServiceRequestErrorCode.ANSWER_REQUIRED: "A required question has no answer.",
        ServiceRequestErrorCode.ANSWER_WRONG_TYPE: "The answer is not of the question's datatype.",
        ServiceRequestErrorCode.ANSWER_NOT_ALLOWED: "The answer is not one of the question's "
        "values.",
        ServiceRequestErrorCode.ANSWER_OUT_OF_RANGE: "The number or date is outside the "
        "question's range.",
        ServiceRequestErrorCode.ANSWER_TOO_LONG: "The answer is longer than its datatype allows.",
        ServiceRequestErrorCode.TOO_MANY_ANSWERS: "More than 50 answers were sent.",
        ServiceRequestErrorCode.TEXT_REQUIRED: "A required text is empty.",
        ServiceRequestErrorCode.TEXT_TOO_LONG: "A text is longer than its limit.",
        ServiceRequestErrorCode.INVALID_IDEMPOTENCY_KEY: "The idempotency key is not 8-100 "
        "safe characters.",
        ServiceRequestErrorCode.IDEMPOTENCY_KEY_REUSED: "The key was used for a different "
        "submission.",
        ServiceRequestErrorCode.INVALID_EMAIL: "The e-mail address is not valid.",
        ServiceRequestErrorCode.INVALID_PHONE: "The phone number is not valid.",
        ServiceRequestErrorCode.CONTACT_INCOMPLETE: "A contact needs an e-mail address or a phone.",
        ServiceRequestErrorCode.CONSENT_REQUIRED: "A contact needs the resident's explicit "
        "consent.",
        ServiceRequestErrorCode.NAME_TOO_LONG: "The contact name is too long.",
        ServiceRequestErrorCode.NOT_AUTHENTICATED: "This needs a staff session or access token.",
        ServiceRequestErrorCode.FORBIDDEN: "The caller's role or scopes do not allow this.",
        ServiceRequestErrorCode.NOT_FOUND: "No service request with this reference in the "
        "caller's bodies.",
        ServiceRequestErrorCode.UNKNOWN_UPLOAD: "A photo upload id is unknown to this caller, "
        "or already attached to another item.",
        ServiceRequestErrorCode.TOO_MANY_PHOTOS: "More photos than an item may have (3 by "
        "default).",
        ServiceRequestErrorCode.UNKNOWN_HELP_PLACE: "No help place of the directory has this slug.",
    },
)


@strawberry.type(description="Why a service request was refused.")
class ServiceRequestError:
    field: str | None = strawberry.field(
        description="The input field at fault: `answers.<question code>` for an answer."
    )
    message: str = strawberry.field(description="What went wrong, in the caller's language.")
    code: ServiceRequestErrorCode = strawberry.field(description="Stable code for programs.")


@strawberry.type(name="ServiceQuestionValue", description="One value a list question offers.")
class ServiceQuestionValueType:
    key: str = strawberry.field(description="What to send as the answer.")
    label: str = strawberry.field(description="What to show, in the caller's language.")


@strawberry.type(name="ServiceQuestion", description="A typed question a service asks.")
class ServiceQuestionType:
    code: str = strawberry.field(description="Stable code; errors name `answers.<code>`.")
    datatype: Datatype = strawberry.field(description="The kind of answer it takes.")
    required: bool = strawberry.field(description="Whether it must be answered.")
    order: int = strawberry.field(description="Where to show it (ascending).")
    label: str = strawberry.field(description="The question, in the caller's language.")
    description: str | None = strawberry.field(description="Help text, in the same language.")
    minimum: float | None = strawberry.field(
        description="Numbers: the smallest value; dates: the earliest, in days from today."
    )
    maximum: float | None = strawberry.field(
        description="Numbers: the largest value; dates: the latest, in days from today."
    )
    values: list[ServiceQuestionValueType] = strawberry.field(
        description="For list questions: the values to choose from, in order."
    )

    @classmethod
    def from_spec(cls, spec: QuestionSpec, info: Info[Context, None]) -> ServiceQuestionType:
        tr = info.context.translator
        return cls(
            code=spec.code,
            datatype=spec.datatype,
            required=spec.required,
            order=spec.position,
            label=tr.gettext(spec.label),
            description=tr.gettext(spec.description) if spec.description else None,
            minimum=spec.minimum,
            maximum=spec.maximum,
            values=[
                ServiceQuestionValueType(key=v.key, label=tr.gettext(v.label)) for v in spec.values
            ],
        )


@strawberry.type(name="ServiceGroup", description="A group of services in the picker.")
class ServiceGroupType:
    code: strawberry.ID = strawberry.field(description="Stable code, e.g. waste.")
    label: str = strawberry.field(description="Name in the caller's language.")


@strawberry.type(name="Service", description="A municipal service residents may request.")
class ServiceType:
    code: strawberry.ID = strawberry.field(description="Stable code, e.g. bulky_waste_pickup.")
    label: str = strawberry.field(description="Name in the caller's language.")
    description: str = strawberry.field(description="What it is, in the caller's language.")
    competence: Competence = strawberry.field(description="Who handles it by default.")
    location: LocationKind = strawberry.field(description="What a request must say of the place.")
    home_address: bool = strawberry.field(
        description="Requests are at the resident's home: never shown publicly."
    )
    public: bool = strawberry.field(
        description="Requests are shown publicly (place, masked description, public answers)."
    )
    questions: list[ServiceQuestionType] = strawberry.field(description="Its questions, in order.")
    spec: strawberry.Private[ServiceSpec]

    @classmethod
    def from_spec(cls, spec: ServiceSpec, info: Info[Context, None]) -> ServiceType:
        tr = info.context.translator
        return cls(
            code=strawberry.ID(spec.code),
            label=tr.gettext(spec.label),
            description=tr.gettext(spec.description),
            competence=Competence(spec.competence),
            location=spec.location,
            home_address=spec.home_address,
            public=spec.public,
            questions=[ServiceQuestionType.from_spec(q, info) for q in spec.questions],
            spec=spec,
        )

    @strawberry.field(description="The group it belongs to.")
    def group(self, info: Info[Context, None]) -> ServiceGroupType | None:
        row = info.context.reference.services.groups.get(self.spec.group_code)
        if row is None:
            return None
        return ServiceGroupType(
            code=strawberry.ID(row.code), label=info.context.translator.gettext(row.label)
        )

    @strawberry.field(description="The communes where it is offered, by name.")
    def communes(self, info: Info[Context, None]) -> list[CommuneType]:
        reference = info.context.reference
        return [
            CommuneType.from_row(c)
            for c in reference.communes_by_name()
            if self.spec.offered_in(c.code)
        ]


@strawberry.type(description="An answer to one of the service's questions.")
class ServiceRequestAnswer:
    code: str = strawberry.field(description="The question's code.")
    question: str = strawberry.field(description="The question, in the caller's language.")
    values: list[str] = strawberry.field(
        description="The answer as stored: one entry, or several for a multi-value list."
    )
    labels: list[str] = strawberry.field(
        description="The answer as people read it: value labels in the caller's language."
    )


def _answers(
    spec: ServiceSpec | None, detail: ServiceRequestDetail, info: Info[Context, None], public: bool
) -> list[ServiceRequestAnswer]:
    if spec is None:
        return []
    tr = info.context.translator
    return [
        ServiceRequestAnswer(
            code=given.question.code,
            question=tr.gettext(given.question.label),
            values=given.values,
            labels=given.labels(tr.gettext),
        )
        for given in rules.given_answers(spec, detail, public=public)
    ]


@strawberry.type(
    name="ServiceRequest",
    description="A request for a service. Publicly, only requests of public services that are "
    "not at a home are shown, with the answers the service marks public.",
)
class ServiceRequestType(ItemView):
    description: str = strawberry.field(
        description="What the resident wrote, personal data masked; publicly, « Hidden by "
        "moderation. » in the caller's language when `textWithheld`."
    )
    answers: list[ServiceRequestAnswer] = strawberry.field(
        description="The answers: all of them for the resident who sent it and the handling "
        "body, the public ones otherwise."
    )
    address_text: str | None = strawberry.field(
        description="The address given: for the resident who sent it and the handling body "
        "only (null publicly)."
    )
    service_code: strawberry.Private[str]
    audiences: strawberry.Private[frozenset[Audience]]

    @classmethod
    def from_row(
        cls,
        row: Item,
        detail: ServiceRequestDetail,
        info: Info[Context, None],
        *,
        public: bool,
    ) -> ServiceRequestType:
        spec = info.context.reference.services.services.get(detail.service_code)
        common = ItemView.common(row, info.context.translator)
        if public and spec is not None and spec.location is not LocationKind.POINT:
            common["latitude"] = common["longitude"] = None
            common["location_precision"] = LocationPrecision.COMMUNE  # what this reader gets
        return cls(
            **common,
            description=public_text(row, info.context.translator)
            if public
            else row.public_description,
            answers=_answers(spec, detail, info, public),
            address_text=None if public else row.address_text,
            service_code=detail.service_code,
            audiences=frozenset({Audience.PUBLIC})
            if public
            else frozenset({Audience.PUBLIC, Audience.RESIDENT}),
        )

    @strawberry.field(description="The service requested.")
    def service(self, info: Info[Context, None]) -> ServiceType | None:
        spec = info.context.reference.services.services.get(self.service_code)
        return ServiceType.from_spec(spec, info) if spec else None

    @strawberry.field(description="Its history, oldest first (public lines only, publicly).")
    async def history(self, info: Info[Context, None]) -> list[HistoryEntry]:
        public = self.audiences == frozenset({Audience.PUBLIC})
        return await self._history(info, self.audiences, public=public)


@strawberry.type(description="A service request for its handling body's staff, or why not.")
class HandledServiceRequestResult:
    service_request: ServiceRequestType | None = strawberry.field(
        description="The request with every answer and the address; null on errors."
    )
    errors: list[ServiceRequestError] = strawberry.field(description="Empty on success.")


@strawberry.input(description="The answer to one question of the service.")
class ServiceAnswerInput:
    code: str = strawberry.field(description="The question's code.")
    value: str | None = strawberry.field(
        default=None,
        description="The answer, for every datatype but multivaluelist: text, a number "
        "(1.5 or 1,5), a date (ISO 8601) or a value key.",
    )
    values: list[str] | None = strawberry.field(
        default=None, description="The keys chosen, for a multivaluelist question."
    )


@strawberry.input(description="What every service request carries.")
class ServiceRequestFieldsInput:
    service_code: strawberry.ID = strawberry.field(description="From `services`.")
    idempotency_key: str = strawberry.field(
        description="Made by the client for this submission; a retry with it returns the same "
        "request instead of a second one. 8-100 letters, digits or . _ : -"
    )
    answers: list[ServiceAnswerInput] = strawberry.field(
        default_factory=list, description="Answers to the service's questions."
    )
    commune: strawberry.ID | None = strawberry.field(
        default=None, description="INSEE code of the commune, when there is no point."
    )
    latitude: float | None = strawberry.field(
        default=None, description="Latitude of the place (WGS 84), with longitude."
    )
    longitude: float | None = strawberry.field(
        default=None, description="Longitude of the place (WGS 84), with latitude."
    )
    address_text: str | None = strawberry.field(
        default=None, description="The address, up to 300 characters; seen by staff only."
    )
    at_home_address: bool = strawberry.field(
        default=False,
        description="The place is the resident's home: the request is then never public.",
    )
    description: str = strawberry.field(
        default="", description="Anything else to say, up to 4,000 characters."
    )
    contact: ContactInput | None = strawberry.field(
        default=None, description="Only if the resident wants to be contacted."
    )
    photo_upload_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Ids returned by `POST /media/uploads` (at most 3 by default), in order. "
        "Seen by the handling body; public only for a public request, once approved.",
    )


@strawberry.input(description="A request for a service, from a resident.")
class ServiceRequestCreateInput(ServiceRequestFieldsInput):
    channel: ResidentChannel = strawberry.field(
        default=ResidentChannel.WEB, description="Where it was sent from."
    )


@strawberry.input(description="A service request an agent enters for a resident (staff only).")
class AssistedServiceRequestCreateInput(ServiceRequestFieldsInput):
    channel: AssistedChannel = strawberry.field(
        default=AssistedChannel.COUNTER, description="How the resident reached the agent."
    )
    help_place: str | None = strawberry.field(
        default=None,
        description="The slug of the help place (`helpPlaces`) the agent works at, if any: "
        "counted, k-anonymously, in the open data on the use of help places.",
    )


@strawberry.type(description="The result of an assisted service request.")
class AssistedServiceRequestCreatePayload:
    service_request: ServiceRequestType | None = strawberry.field(
        description="The request; null on errors."
    )
    tracking_token: str | None = strawberry.field(
        description="The full tracking token (for an e-mail or a QR code)."
    )
    short_code: str | None = strawberry.field(
        description="A short code to read out or write down; with the reference, it opens the "
        "request like the token (`trackedByCode`)."
    )
    errors: list[ServiceRequestError] = strawberry.field(description="Empty on success.")


@strawberry.type(description="The result of a service request.")
class ServiceRequestCreatePayload:
    service_request: ServiceRequestType | None = strawberry.field(
        description="The request, as its sender sees it; null on errors."
    )
    tracking_token: str | None = strawberry.field(
        description="Keep it: with it the resident follows the request without an account. "
        "The same for a retried submission."
    )
    errors: list[ServiceRequestError] = strawberry.field(description="Empty on success.")
