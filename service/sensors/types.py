"""GraphQL types of sensor transparency: the DTPR taxonomy, the public register, opinions
and their suppressed aggregates, questions about a sensor."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from service.context import Context
from service.items.models import Item
from service.items.rules import Audience, as_utc
from service.items.types import (
    ContactInput,
    HistoryEntry,
    ItemView,
    PageInfo,
    ResidentChannel,
    public_text,
)
from service.pagination import page_size
from service.schema_support import described_enum
from service.sensors import rules
from service.sensors.errors import SensorErrorCode
from service.sensors.models import (
    Concern,
    DtprCategory,
    DtprElement,
    Sensor,
    SensorElement,
    SensorOpinion,
    SensorStatus,
    TranslationSource,
    Understood,
)
from service.sensors.opinions import OpinionSummary, shown, summarise
from service.sensors.signs import STATUS_LABELS, SignEntry, sign_entries, translation_note
from service.territory.types import BodyType, CommuneType

described_enum(
    SensorErrorCode,
    name="SensorErrorCode",
    description="Why a sensor operation was refused.",
    values={
        SensorErrorCode.NOT_FOUND: "No sensor has this slug.",
        SensorErrorCode.SLUG_TAKEN: "Another sensor already has this slug.",
        SensorErrorCode.INVALID_SLUG: "The slug is not 3-60 lower-case letters, digits, hyphens.",
        SensorErrorCode.UNKNOWN_BODY: "No body has this code.",
        SensorErrorCode.UNKNOWN_DTPR_ELEMENT: "DTPR has no such element in that category.",
        SensorErrorCode.MISSING_VARIABLE: "A DTPR element needs a value for one of its variables.",
        SensorErrorCode.UNKNOWN_DTPR_VARIABLE: "A DTPR element has no variable of this name.",
        SensorErrorCode.INVALID_URL: "The link is not an http(s) address.",
        SensorErrorCode.INVALID_DATES: "Planned, installed and removed dates are out of order.",
        SensorErrorCode.OUTSIDE_ALM: "The point is outside the 29 communes of ALM.",
        SensorErrorCode.LATITUDE_OUT_OF_RANGE: "The latitude is not between -90 and 90.",
        SensorErrorCode.LONGITUDE_OUT_OF_RANGE: "The longitude is not between -180 and 180.",
        SensorErrorCode.RADIUS_OUT_OF_RANGE: "The radius is not between 1 and 5,000 metres.",
        SensorErrorCode.TEXT_REQUIRED: "A required text is empty.",
        SensorErrorCode.TEXT_TOO_LONG: "A text (or a list) is longer than its limit.",
        SensorErrorCode.INVALID_ACCEPTANCE: "The acceptance is not a whole number from 1 to 5.",
        SensorErrorCode.INVALID_DEVICE_KEY: "The device key is not 8-100 safe characters.",
        SensorErrorCode.INVALID_IDEMPOTENCY_KEY: "The idempotency key is not 8-100 safe "
        "characters.",
        SensorErrorCode.IDEMPOTENCY_KEY_REUSED: "The key was used for a different submission.",
        SensorErrorCode.SENSOR_REMOVED: "The sensor was removed: it takes no more opinions.",
        SensorErrorCode.TOO_MANY_OPINIONS: "Too many opinions from this device or network "
        "within an hour.",
        SensorErrorCode.INVALID_EMAIL: "The e-mail address is not valid.",
        SensorErrorCode.INVALID_PHONE: "The phone number is not valid.",
        SensorErrorCode.CONTACT_INCOMPLETE: "A contact needs an e-mail address or a phone.",
        SensorErrorCode.CONSENT_REQUIRED: "A contact needs the resident's explicit consent.",
        SensorErrorCode.NAME_TOO_LONG: "The contact name is too long.",
        SensorErrorCode.NOT_AUTHENTICATED: "This needs a staff session or access token.",
        SensorErrorCode.FORBIDDEN: "The caller may not manage this sensor.",
    },
)
described_enum(
    SensorStatus,
    name="SensorStatus",
    description="Where a sensor stands in the register.",
    values={
        SensorStatus.PLANNED: "Announced, not yet installed.",
        SensorStatus.ACTIVE: "Installed and collecting.",
        SensorStatus.REMOVED: "Taken away; its page stays public.",
    },
)
described_enum(
    TranslationSource,
    name="TranslationSource",
    description="Who wrote a DTPR text, so that a sign can say « traduction non officielle ».",
    values={
        TranslationSource.OFFICIAL: "DTPR's own text (French and English), as published.",
        TranslationSource.ADAPTED: "ALM's translation of DTPR's English (Spanish, German, "
        "Arabic): an adaptation under CC BY 4.0, not an official DTPR translation.",
    },
)
described_enum(
    Understood,
    name="SignUnderstood",
    description="Did the sign help the resident understand the sensor?",
    values={
        Understood.YES: "Yes.",
        Understood.PARTLY: "Partly.",
        Understood.NO: "No.",
    },
)
described_enum(
    Concern,
    name="SensorConcern",
    description="What worries a resident about a sensor.",
    values={
        Concern.PRIVACY: "Privacy, personal data.",
        Concern.USEFULNESS: "Whether it is useful.",
        Concern.COST: "What it costs.",
        Concern.ENVIRONMENT: "Its environmental footprint.",
        Concern.SECURITY: "Its security (hacking, misuse).",
        Concern.OTHER: "Something else.",
    },
)

MAX_QUESTIONS = 50  # a sensor's newest questions, at most


@strawberry.type(description="Why a sensor operation was refused.")
class SensorError:
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    message: str = strawberry.field(description="What went wrong, in the caller's language.")
    code: SensorErrorCode = strawberry.field(description="Stable code for programs.")


# ---------------------------------------------------------------------------- taxonomy


@strawberry.type(description="One element of a DTPR category, e.g. purpose « Mobility ».")
class DtprElementType:
    id: strawberry.ID = strawberry.field(description="Unique within its category only.")
    category_id: strawberry.ID = strawberry.field(description="Its category, e.g. purpose.")
    name: str = strawberry.field(description="Its name; may hold variables like {{duration}}.")
    description: str = strawberry.field(description="What it means.")
    variables: list[str] = strawberry.field(
        description="The variables a sensor must give a value for, e.g. duration."
    )
    language: str = strawberry.field(description="The language of name and description.")
    is_fallback: bool = strawberry.field(
        description="True when there is no text in the caller's language: French is shown "
        "(or English when French is missing too)."
    )
    translation: TranslationSource = strawberry.field(
        description="OFFICIAL for DTPR's own text, ADAPTED for ALM's unofficial translation."
    )

    @classmethod
    def from_row(cls, row: DtprElement, texts: rules.Texts, locale: str) -> DtprElementType:
        name, text = texts.name(locale), texts.description(locale)
        return cls(
            id=strawberry.ID(row.id),
            category_id=strawberry.ID(row.category_id),
            name=name.text,
            description=text.text,
            variables=rules.variables_of(row.name_en, row.description_en),
            language=name.language,
            is_fallback=name.fallback or text.fallback,
            translation=rules.least_official(name, text),
        )


@strawberry.type(description="One of the 8 categories of a DTPR device sign.")
class DtprCategoryType:
    id: strawberry.ID = strawberry.field(
        description="purpose, tech, data, process, access, storage, retention or accountable."
    )
    name: str = strawberry.field(description="Its name.")
    description: str = strawberry.field(description="The question it answers.")
    language: str = strawberry.field(description="The language of name and description.")
    is_fallback: bool = strawberry.field(description="True when not in the caller's language.")
    translation: TranslationSource = strawberry.field(
        description="OFFICIAL for DTPR's own text, ADAPTED for ALM's unofficial translation."
    )
    elements: list[DtprElementType] = strawberry.field(description="Its elements, in order.")

    @classmethod
    def from_row(cls, row: DtprCategory, taxonomy: rules.Taxonomy, locale: str) -> DtprCategoryType:
        texts = taxonomy.texts_of(row)
        name, text = texts.name(locale), texts.description(locale)
        return cls(
            id=strawberry.ID(row.id),
            name=name.text,
            description=text.text,
            language=name.language,
            is_fallback=name.fallback or text.fallback,
            translation=rules.least_official(name, text),
            elements=[
                DtprElementType.from_row(e, taxonomy.texts_of(e), locale)
                for e in taxonomy.elements_of(row.id)
            ],
        )


@strawberry.type(description="The DTPR device taxonomy, with its licence and attribution.")
class DtprTaxonomy:
    categories: list[DtprCategoryType] = strawberry.field(description="The 8 categories.")
    translation_note: str | None = strawberry.field(
        description="What to show, in the caller's language, when some texts are ALM's "
        "unofficial translation (« traduction non officielle »); null when all are DTPR's own."
    )
    attribution: str = strawberry.field(
        description="The credit to show wherever the taxonomy is shown (CC BY 4.0)."
    )
    license: str = strawberry.field(description="The licence of the taxonomy.")
    license_url: str = strawberry.field(description="The text of the licence.")
    source_url: str = strawberry.field(description="Where the taxonomy was taken from.")


# ---------------------------------------------------------------------------- register


@strawberry.type(description="A value a sensor gives to a variable of a DTPR element.")
class DtprVariable:
    name: str = strawberry.field(description="E.g. duration.")
    value: str = strawberry.field(description="E.g. 12 mois.")


@strawberry.type(description="One DTPR element on a sensor's sign, its variables filled in.")
class SensorDtprEntry:
    category_id: strawberry.ID = strawberry.field(description="The element's category.")
    category_name: str = strawberry.field(description="The category's name.")
    element_id: strawberry.ID = strawberry.field(description="The element, in its category.")
    name: str = strawberry.field(description="The element's name, variables filled in.")
    description: str = strawberry.field(description="What it means, variables filled in.")
    variables: list[DtprVariable] = strawberry.field(description="The values given.")
    language: str = strawberry.field(description="The language of the texts.")
    is_fallback: bool = strawberry.field(description="True when not in the caller's language.")
    translation: TranslationSource = strawberry.field(
        description="OFFICIAL for DTPR's own text, ADAPTED for ALM's unofficial translation."
    )

    @classmethod
    def of(cls, entry: SignEntry) -> SensorDtprEntry:
        return cls(
            category_id=strawberry.ID(entry.category_id),
            category_name=entry.category_name,
            element_id=strawberry.ID(entry.element_id),
            name=entry.name,
            description=entry.description,
            variables=[DtprVariable(name=k, value=v) for k, v in sorted(entry.variables.items())],
            language=entry.language,
            is_fallback=entry.is_fallback,
            translation=entry.translation,
        )


def dtpr_entries(
    rows: list[SensorElement], taxonomy: rules.Taxonomy, locale: str
) -> list[SensorDtprEntry]:
    return [SensorDtprEntry.of(entry) for entry in sign_entries(rows, taxonomy, locale)]


@strawberry.type(description="A count as published: below 5 it is withheld (k-anonymity).")
class SuppressedCount:
    count: int | None = strawberry.field(description="The count; null when fewer than 5.")
    fewer_than_five: bool = strawberry.field(description="True when withheld (fewer than 5).")

    @classmethod
    def of(cls, n: int) -> SuppressedCount:
        return cls(count=shown(n), fewer_than_five=shown(n) is None)


@strawberry.type(description="How many residents gave an acceptance level.")
class AcceptanceCount:
    acceptance: int = strawberry.field(description="1 (not at all) to 5 (fully).")
    opinions: SuppressedCount = strawberry.field(description="How many gave it.")


@strawberry.type(description="How many residents said the sign helped them understand.")
class UnderstoodCount:
    understood: Understood = strawberry.field(description="Yes, partly or no.")
    opinions: SuppressedCount = strawberry.field(description="How many said so.")


@strawberry.type(description="How many residents named a concern.")
class ConcernCount:
    concern: Concern = strawberry.field(description="The concern.")
    opinions: SuppressedCount = strawberry.field(description="How many named it.")


@strawberry.type(
    description="What residents think of a sensor (or of the sensors of a place), over a "
    "period. Every count below 5 is withheld, and so are the mean and the rate."
)
class OpinionSummaryType:
    opinions: SuppressedCount = strawberry.field(description="How many opinions.")
    mean_acceptance: float | None = strawberry.field(
        description="Mean acceptance, 1 to 5; null under 5 opinions."
    )
    understood_rate: float | None = strawberry.field(
        description="Share (0 to 1) who said the sign made it clear; null under 5 opinions."
    )
    acceptance: list[AcceptanceCount] = strawberry.field(description="Per level, 1 to 5.")
    understood: list[UnderstoodCount] = strawberry.field(description="Yes, partly, no.")
    concerns: list[ConcernCount] = strawberry.field(description="Per concern.")

    @classmethod
    def of(cls, summary: OpinionSummary) -> OpinionSummaryType:
        return cls(
            opinions=SuppressedCount.of(summary.count),
            mean_acceptance=summary.mean_acceptance,
            understood_rate=summary.understood_rate,
            acceptance=[
                AcceptanceCount(acceptance=level, opinions=SuppressedCount.of(n))
                for level, n in sorted(summary.acceptance.items())
            ],
            understood=[
                UnderstoodCount(understood=u, opinions=SuppressedCount.of(n))
                for u, n in summary.understood.items()
            ],
            concerns=[
                ConcernCount(concern=c, opinions=SuppressedCount.of(n))
                for c, n in summary.concerns.items()
            ],
        )


@strawberry.type(name="Sensor", description="A sensor in public space, as the register shows it.")
class SensorType:
    slug: strawberry.ID = strawberry.field(
        description="Its stable identifier, printed on the sign and its QR code."
    )
    name: str = strawberry.field(description="Its name.")
    description: str = strawberry.field(description="What it does, in plain words.")
    latitude: float = strawberry.field(description="Latitude (WGS 84).")
    longitude: float = strawberry.field(description="Longitude (WGS 84).")
    place_name: str | None = strawberry.field(description="The place, e.g. place de la Fraternité.")
    personal_data: bool = strawberry.field(description="Whether it collects personal data.")
    anonymisation: str | None = strawberry.field(
        description="How the data is anonymised, if it is."
    )
    hosted_in_eu: bool = strawberry.field(description="Whether its data stays in the EU.")
    hosting: str | None = strawberry.field(description="Who hosts the data, where.")
    open_data_url: str | None = strawberry.field(description="Where its data is published.")
    status: SensorStatus = strawberry.field(description="Planned, active or removed.")
    status_label: str = strawberry.field(description="The status in the caller's language.")
    planned_on: date | None = strawberry.field(description="When it was announced.")
    installed_on: date | None = strawberry.field(description="When it was installed.")
    removed_on: date | None = strawberry.field(description="When it was removed.")
    is_example: bool = strawberry.field(
        description="True for invented example data (demo): not a real sensor."
    )
    public_reply: str | None = strawberry.field(
        description="The accountable body's public reply to the opinions on this sensor."
    )
    public_reply_at: datetime | None = strawberry.field(description="When it was published.")
    updated_at: datetime = strawberry.field(description="When the entry last changed (UTC).")
    dtpr: list[SensorDtprEntry] = strawberry.field(
        description="Its DTPR sign: purpose, technology, data, processing, access, storage, "
        "retention, accountable; in the caller's language (see each entry's translation)."
    )
    dtpr_translation_note: str | None = strawberry.field(
        description="What to print under the sign, in the caller's language, when some of its "
        "texts are ALM's unofficial translation (« traduction non officielle »); null when all "
        "are DTPR's own."
    )
    sensor_id: strawberry.Private[int]
    commune_code: strawberry.Private[str]
    body_code: strawberry.Private[str]

    @classmethod
    def from_row(
        cls,
        row: Sensor,
        elements: list[SensorElement],
        taxonomy: rules.Taxonomy,
        info: Info[Context, None],
    ) -> SensorType:
        translator = info.context.translator
        status = SensorStatus(row.status)
        dtpr = dtpr_entries(elements, taxonomy, translator.locale)
        assert row.id is not None
        return cls(
            slug=strawberry.ID(row.slug),
            name=row.name,
            description=row.description,
            latitude=row.latitude,
            longitude=row.longitude,
            place_name=row.place_name,
            personal_data=row.personal_data,
            anonymisation=row.anonymisation,
            hosted_in_eu=row.hosted_in_eu,
            hosting=row.hosting,
            open_data_url=row.open_data_url,
            status=status,
            status_label=translator.gettext(STATUS_LABELS[status]),
            planned_on=row.planned_on,
            installed_on=row.installed_on,
            removed_on=row.removed_on,
            is_example=row.is_example,
            public_reply=row.public_reply,
            public_reply_at=as_utc(row.public_reply_at) if row.public_reply_at else None,
            updated_at=as_utc(row.updated_at),
            dtpr=dtpr,
            dtpr_translation_note=translation_note(
                rules.least_official_of(e.translation for e in dtpr), translator
            ),
            sensor_id=row.id,
            commune_code=row.commune_code,
            body_code=row.accountable_body_code,
        )

    @strawberry.field(description="The commune where it stands.")
    def commune(self, info: Info[Context, None]) -> CommuneType:
        return CommuneType.from_row(info.context.reference.communes[self.commune_code])

    @strawberry.field(description="The body accountable for it, which answers questions.")
    def accountable_body(self, info: Info[Context, None]) -> BodyType:
        return BodyType.from_row(info.context.reference.bodies[self.body_code])

    @strawberry.field(
        description="What residents think of it, over a period (counts under 5 withheld)."
    )
    async def opinions(
        self,
        info: Info[Context, None],
        since: Annotated[datetime | None, strawberry.argument(description="From.")] = None,
        until: Annotated[datetime | None, strawberry.argument(description="Until.")] = None,
    ) -> OpinionSummaryType:
        async with info.context.db.reading() as session:
            summary = await summarise(session, [self.sensor_id], since=since, until=until)
        return OpinionSummaryType.of(summary)

    @strawberry.field(description="The newest questions residents asked about it, with answers.")
    async def questions(
        self,
        info: Info[Context, None],
        first: Annotated[
            int, strawberry.argument(description="How many, 1 to 50 (more is read as 50).")
        ] = 10,
    ) -> list[SensorQuestionType]:
        size = page_size(first, MAX_QUESTIONS)
        async with info.context.db.reading() as session:
            rows = await rules.questions_of(session, self.sensor_id, size)
        return [SensorQuestionType.from_row(row, info) for row in rows]


@strawberry.type(description="A sensor in a list, with its cursor.")
class SensorEdge:
    cursor: str = strawberry.field(description="Where this sensor stands in the list.")
    node: SensorType = strawberry.field(description="The sensor.")
    distance_meters: int | None = strawberry.field(
        description="Distance from the `near` point, when one was given."
    )


@strawberry.type(description="A page of the sensor register.")
class SensorConnection:
    edges: list[SensorEdge] = strawberry.field(description="The sensors of this page.")
    page_info: PageInfo = strawberry.field(description="How to get the next page.")
    total_count: int = strawberry.field(description="How many sensors match the filter.")
    errors: list[SensorError] = strawberry.field(description="Empty unless the filter is invalid.")


@strawberry.type(description="What residents think of the sensors of one place.")
class PlaceOpinions:
    place_name: str = strawberry.field(description="The place.")
    sensor_count: int = strawberry.field(description="How many sensors it has (any status).")
    opinions: OpinionSummaryType = strawberry.field(description="Their opinions, together.")


@strawberry.type(description="A resident's opinion as its device sees it back.")
class SensorOpinionType:
    acceptance: int = strawberry.field(description="1 (not at all) to 5 (fully).")
    understood: Understood = strawberry.field(description="Did the sign help?")
    concerns: list[Concern] = strawberry.field(description="What worries them.")
    given_at: datetime = strawberry.field(description="When this device first gave one.")
    updated_at: datetime = strawberry.field(description="When it last changed it.")

    @classmethod
    def from_row(cls, row: SensorOpinion) -> SensorOpinionType:
        return cls(
            acceptance=row.acceptance,
            understood=Understood(row.understood),
            concerns=[Concern(c) for c in row.concerns.split()],
            given_at=as_utc(row.created_at),
            updated_at=as_utc(row.updated_at),
        )


@strawberry.type(
    name="SensorQuestion",
    description="A question a resident asked about a sensor, answered by its accountable body "
    "(public view).",
)
class SensorQuestionType(ItemView):
    question: str = strawberry.field(
        description="What the resident asked, personal data masked; « Hidden by moderation. » "
        "in the caller's language when `textWithheld`."
    )

    @classmethod
    def from_row(cls, row: Item, info: Info[Context, None]) -> SensorQuestionType:
        translator = info.context.translator
        return cls(**ItemView.common(row, translator), question=public_text(row, translator))

    @strawberry.field(description="Its public history, answers included, oldest first.")
    async def history(self, info: Info[Context, None]) -> list[HistoryEntry]:
        return await self._history(info, frozenset({Audience.PUBLIC}), public=True)

    @strawberry.field(description="The slug of the sensor it is about.")
    async def sensor_slug(self, info: Info[Context, None]) -> strawberry.ID | None:
        async with info.context.db.reading() as session:
            sensor = await rules.sensor_of_question(session, self.item_id)
        return strawberry.ID(sensor.slug) if sensor else None


# ---------------------------------------------------------------------------- inputs


@strawberry.input(description="A point and a radius.")
class NearInput:
    latitude: float = strawberry.field(description="Latitude (WGS 84).")
    longitude: float = strawberry.field(description="Longitude (WGS 84).")
    radius_meters: int = strawberry.field(default=500, description="1 to 5,000 metres.")


@strawberry.input(description="Filters of the register; all optional.")
class SensorFilterInput:
    commune: strawberry.ID | None = strawberry.field(default=None, description="INSEE code.")
    purpose: strawberry.ID | None = strawberry.field(
        default=None, description="A DTPR purpose element, e.g. mobility."
    )
    tech: strawberry.ID | None = strawberry.field(
        default=None, description="A DTPR tech element, e.g. induction_loop."
    )
    status: list[SensorStatus] | None = strawberry.field(
        default=None, description="Any of these; planned and active when not given."
    )
    near: NearInput | None = strawberry.field(
        default=None, description="Only sensors within the radius, nearest first."
    )
    place_name: str | None = strawberry.field(default=None, description="Only this place.")


@strawberry.input(description="A value for a variable of a DTPR element.")
class DtprVariableInput:
    name: str = strawberry.field(description="E.g. duration.")
    value: str = strawberry.field(description="E.g. 12 mois (up to 100 characters).")


@strawberry.input(description="A DTPR element to show on the sign.")
class DtprChoiceInput:
    category: strawberry.ID = strawberry.field(description="E.g. retention.")
    element: strawberry.ID = strawberry.field(description="E.g. data_retained.")
    variables: list[DtprVariableInput] = strawberry.field(
        default_factory=list, description="Values for the element's variables."
    )


@strawberry.input(description="A new sensor in the register (its accountable body's staff).")
class SensorCreateInput:
    slug: str = strawberry.field(
        description="Printed on the sign: 3-60 lower-case letters, digits and hyphens; final."
    )
    name: str = strawberry.field(description="Its name, up to 200 characters.")
    latitude: float = strawberry.field(description="Latitude (WGS 84), inside ALM.")
    longitude: float = strawberry.field(description="Longitude (WGS 84), inside ALM.")
    accountable_body_code: strawberry.ID = strawberry.field(
        description="The body accountable for it (from `bodies`); it answers questions."
    )
    description: str = strawberry.field(default="", description="What it does.")
    place_name: str | None = strawberry.field(default=None, description="The place.")
    dtpr: list[DtprChoiceInput] = strawberry.field(
        default_factory=list, description="Its DTPR sign, in order (at most 40 elements)."
    )
    personal_data: bool = strawberry.field(default=False, description="Collects personal data.")
    anonymisation: str | None = strawberry.field(default=None, description="How it anonymises.")
    hosted_in_eu: bool = strawberry.field(default=True, description="Data stays in the EU.")
    hosting: str | None = strawberry.field(default=None, description="Who hosts it, where.")
    open_data_url: str | None = strawberry.field(default=None, description="Open-data link.")
    status: SensorStatus = strawberry.field(
        default=SensorStatus.PLANNED, description="Planned unless given."
    )
    planned_on: date | None = strawberry.field(default=None, description="Announced on.")
    installed_on: date | None = strawberry.field(default=None, description="Installed on.")
    removed_on: date | None = strawberry.field(default=None, description="Removed on.")


@strawberry.input(
    description="Changes to a sensor; a field left out stays as it is, an empty text clears it."
)
class SensorUpdateInput:
    slug: strawberry.ID = strawberry.field(description="Which sensor (the slug never changes).")
    name: str | None = strawberry.field(default=None, description="Its name.")
    latitude: float | None = strawberry.field(default=None, description="With longitude.")
    longitude: float | None = strawberry.field(default=None, description="With latitude.")
    accountable_body_code: strawberry.ID | None = strawberry.field(
        default=None, description="Hand it to another body (one the caller also manages)."
    )
    description: str | None = strawberry.field(default=None, description="What it does.")
    place_name: str | None = strawberry.field(default=None, description="The place.")
    dtpr: list[DtprChoiceInput] | None = strawberry.field(
        default=None, description="Replaces its whole DTPR sign."
    )
    personal_data: bool | None = strawberry.field(default=None, description="Personal data.")
    anonymisation: str | None = strawberry.field(default=None, description="How it anonymises.")
    hosted_in_eu: bool | None = strawberry.field(default=None, description="Data in the EU.")
    hosting: str | None = strawberry.field(default=None, description="Who hosts it, where.")
    open_data_url: str | None = strawberry.field(default=None, description="Open-data link.")
    status: SensorStatus | None = strawberry.field(
        default=None,
        description="REMOVED takes it off the map (its page stays); dates default to today.",
    )
    planned_on: date | None = strawberry.field(default=None, description="Announced on.")
    installed_on: date | None = strawberry.field(default=None, description="Installed on.")
    removed_on: date | None = strawberry.field(default=None, description="Removed on.")


@strawberry.input(description="A resident's opinion on a sensor: anonymous, no personal data.")
class SensorOpinionCreateInput:
    sensor_slug: strawberry.ID = strawberry.field(description="From the sign or its QR code.")
    acceptance: int = strawberry.field(description="Do you accept this sensor? 1 to 5.")
    understood: Understood = strawberry.field(description="Did the sign help you understand?")
    device_key: str = strawberry.field(
        description="A random key the app keeps for this device: one opinion per device and "
        "sensor, a second replaces the first. Kept only as a keyed hash."
    )
    idempotency_key: str = strawberry.field(
        description="Made by the client for this submission (8-100 safe characters)."
    )
    concerns: list[Concern] = strawberry.field(default_factory=list, description="Worries.")
    comment: str | None = strawberry.field(
        default=None,
        description="Up to 1,000 characters, read by the accountable body; never published. "
        "To get an answer, ask a question instead.",
    )


@strawberry.input(description="A question about a sensor that expects an answer.")
class SensorQuestionCreateInput:
    sensor_slug: strawberry.ID = strawberry.field(description="From the sign or its QR code.")
    question: str = strawberry.field(description="The question, up to 4,000 characters.")
    idempotency_key: str = strawberry.field(
        description="Made by the client; a retry with it returns the same question."
    )
    contact: ContactInput | None = strawberry.field(
        default=None, description="Only if the resident wants to be contacted."
    )
    channel: ResidentChannel = strawberry.field(
        default=ResidentChannel.WEB, description="Where it was sent from."
    )


# ---------------------------------------------------------------------------- payloads


@strawberry.type(description="The result of adding a sensor.")
class SensorCreatePayload:
    sensor: SensorType | None = strawberry.field(description="The sensor; null on errors.")
    errors: list[SensorError] = strawberry.field(description="Empty on success.")


@strawberry.type(description="The result of editing a sensor.")
class SensorUpdatePayload:
    sensor: SensorType | None = strawberry.field(description="The sensor; null on errors.")
    errors: list[SensorError] = strawberry.field(description="Empty on success.")


@strawberry.type(description="The result of publishing a reply to the opinions on a sensor.")
class SensorReplyPublishPayload:
    sensor: SensorType | None = strawberry.field(description="The sensor; null on errors.")
    errors: list[SensorError] = strawberry.field(description="Empty on success.")


@strawberry.type(description="The result of giving an opinion.")
class SensorOpinionCreatePayload:
    opinion: SensorOpinionType | None = strawberry.field(description="Null on errors.")
    replaced: bool = strawberry.field(
        description="True when it replaced this device's earlier opinion on the sensor."
    )
    errors: list[SensorError] = strawberry.field(description="Empty on success.")


@strawberry.type(description="The result of asking a question about a sensor.")
class SensorQuestionCreatePayload:
    question: SensorQuestionType | None = strawberry.field(description="Null on errors.")
    tracking_token: str | None = strawberry.field(
        description="Keep it: with it the resident reads the answer without an account."
    )
    errors: list[SensorError] = strawberry.field(description="Empty on success.")


async def sensor_views(info: Info[Context, None], sensors: list[Sensor]) -> list[SensorType]:
    """Views of several sensors with their DTPR signs, in two statements whatever their number."""
    async with info.context.db.reading() as session:
        taxonomy = await rules.load_taxonomy(session, info.context.translator.locale)
        elements = await rules.elements_of(session, [s.id for s in sensors if s.id is not None])
    return [SensorType.from_row(s, elements[s.id or 0], taxonomy, info) for s in sensors]
