"""GraphQL types shared by every kind of item: status, kind, history, pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

import strawberry
from babel import Locale
from strawberry.types import Info

from service.context import Context
from service.errors import N_, NP_
from service.i18n.translator import Translator
from service.items.lifecycle import KIND_LABELS, STATUS_CLASS, STATUS_LABELS, Status, StatusClass
from service.items.models import (
    EventKind,
    Item,
    ItemKind,
    LocationPrecision,
    Moderation,
    location_precision,
)
from service.items.rules import Audience, Channel, as_utc
from service.moderation import rules as moderation
from service.photos.types import Audience as PhotoAudience
from service.photos.types import PhotoType, item_photos
from service.privacy.rules import mask_personal_data
from service.routing.types import CategoryType
from service.schema_support import described_enum
from service.territory.types import BodyType, CommuneType

described_enum(
    Status,
    name="ItemStatus",
    description="Where an item stands; the same lifecycle for every kind of item.",
    values={
        Status.SUBMITTED: "Received, not yet looked at.",
        Status.ACKNOWLEDGED: "Seen by the handling body.",
        Status.IN_PROGRESS: "Being dealt with.",
        Status.RESOLVED: "Dealt with; the resident may say whether it is fixed.",
        Status.REJECTED: "Not taken up, with a reason the resident sees.",
        Status.DUPLICATE: "The same as another item, which carries on.",
        Status.CLOSED: "Finished.",
    },
)
described_enum(
    StatusClass,
    name="StatusClass",
    description="How a status reads in lists and statistics.",
    values={
        StatusClass.OPEN: "Still to be dealt with.",
        StatusClass.FIXED: "Dealt with.",
        StatusClass.CLOSED: "Finished without a fix (rejected, duplicate, closed).",
    },
)
described_enum(
    ItemKind,
    name="ItemKind",
    description="The kinds of items residents send.",
    values={
        ItemKind.REPORT: "A problem located in public space.",
        ItemKind.SERVICE_REQUEST: "A request for a municipal service.",
        ItemKind.SENSOR_QUESTION: "A question about a sensor, expecting an answer.",
    },
)
described_enum(
    LocationPrecision,
    name="LocationPrecision",
    description="How precisely an item's place is known.",
    values={
        LocationPrecision.POINT: "A point on the map (latitude and longitude).",
        LocationPrecision.COMMUNE: "Only the commune, with the address the resident typed if "
        "any: staff find the place from it (and may add the point).",
    },
)
described_enum(
    EventKind,
    name="HistoryEventKind",
    description="What happened to an item.",
    values={
        EventKind.CREATED: "The item was received.",
        EventKind.STATUS_CHANGED: "Its status changed.",
        EventKind.PUBLIC_ANSWER: "The handling body answered.",
        EventKind.PRIVATE_NOTE: "A note between staff.",
        EventKind.REROUTED: "It was sent to another body or category.",
        EventKind.MERGED: "It was merged with another item.",
        EventKind.INFORMATION_ADDED: "The resident added information.",
        EventKind.FEEDBACK: "The resident said whether it was fixed.",
        EventKind.DELIVERY_FAILED: "It could not be delivered to the handling body.",
        EventKind.ASSIGNED: "A staff member took it or was given it (staff only).",
        EventKind.MODERATED: "Moderation changed what the public reads of its text (hidden, "
        "edited, published again).",
    },
)
described_enum(
    Moderation,
    name="ModerationState",
    description="Whether an item's public text is public (the item is handled either way).",
    values={
        Moderation.VISIBLE: "Public, personal data masked.",
        Moderation.HELD: "Held by pre-moderation (a listed word): waits for staff.",
        Moderation.FLAGGED: "Withheld after enough flags from the public: waits for staff.",
        Moderation.HIDDEN: "Hidden by staff.",
        Moderation.EDITED: "Public as staff rewrote it; the resident's text is kept for staff.",
    },
)
described_enum(
    Channel,
    name="Channel",
    description="How an item reached the service.",
    values={
        Channel.APP: "The mobile app.",
        Channel.WEB: "The website.",
        Channel.COUNTER: "At a town-hall counter, entered by an agent.",
        Channel.PHONE: "By phone, entered by an agent.",
        Channel.LETTER: "By letter, entered by an agent.",
        Channel.EMAIL: "By e-mail, entered by an agent.",
    },
)


def status_label(status: Status, translator: Translator) -> str:
    return translator.gettext(STATUS_LABELS[status])


def public_text(row: Item, translator: Translator) -> str:
    """What the public reads of an item's text: the masked public copy, or « Hidden by
    moderation. » (« Not public: … » for a rejected item) in the reader's language."""
    found = moderation.public_text(row)
    return found if found is not None else translator.gettext(moderation.withheld_notice(row))


def status_class(status: Status) -> StatusClass:
    return STATUS_CLASS[status]


SUPPORT_LABEL = NP_("%(count)s person supports this", "%(count)s people support this")


def language_note(written_in: str | None, translator: Translator) -> str | None:
    """« Written in French. » in the reader's language, when the text is not in it."""
    if not written_in or written_in == translator.locale:
        return None
    name = Locale.parse(written_in).get_display_name(translator.locale) or written_in
    return translator.gettext(N_("Written in %(language)s."), language=name)


class EventLine(Protocol):
    """What a history line is made from: an ``ItemEvent``, or a lighter row with its fields
    (the follow page reads its history with Core, see ``service.web.follow_reads``)."""

    @property
    def kind(self) -> str: ...
    @property
    def to_status(self) -> str | None: ...
    @property
    def text(self) -> str | None: ...
    @property
    def language(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...


@strawberry.type(description="One line of an item's history.")
class HistoryEntry:
    kind: EventKind = strawberry.field(description="What happened.")
    at: datetime = strawberry.field(description="When (UTC).")
    status: Status | None = strawberry.field(description="The status it moved to, if it moved.")
    status_label: str | None = strawberry.field(description="That status, in your language.")
    text: str | None = strawberry.field(description="The answer, reason or information given.")
    text_language: str | None = strawberry.field(
        description="The language staff wrote the text in (fr, en, es, de, ar), if staff did."
    )
    language_note: str | None = strawberry.field(
        description="When the text is in another language than yours, a note saying which "
        "(« Written in French. »), in your language; null otherwise."
    )
    at_label: str = strawberry.field(
        description="When, as a date and time of Angers (Europe/Paris) written the caller's way."
    )

    @classmethod
    def from_row(cls, row: EventLine, translator: Translator, *, public: bool) -> HistoryEntry:
        status = Status(row.to_status) if row.to_status else None
        text = mask_personal_data(row.text) if public and row.text else row.text
        return cls(
            kind=EventKind(row.kind),
            at=as_utc(row.created_at),
            status=status,
            status_label=status_label(status, translator) if status else None,
            text=text,
            text_language=row.language,
            language_note=language_note(row.language, translator) if text else None,
            at_label=translator.datetime(as_utc(row.created_at)),
        )


@strawberry.type(description="Where a page of results stands.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether another page follows.")
    end_cursor: str | None = strawberry.field(
        description="Pass it as `after` to get the next page."
    )


@strawberry.type(description="What every view of an item shows.")
class ItemView:
    reference: str = strawberry.field(description="Public reference, e.g. ALM-2026-004217.")
    kind: ItemKind = strawberry.field(description="Report, service request or sensor question.")
    status: Status = strawberry.field(description="Where it stands.")
    status_class: StatusClass = strawberry.field(description="Open, fixed or closed.")
    status_label: str = strawberry.field(description="The status in the caller's language.")
    latitude: float | None = strawberry.field(description="Latitude of the pin (WGS 84).")
    longitude: float | None = strawberry.field(description="Longitude of the pin (WGS 84).")
    location_precision: LocationPrecision = strawberry.field(
        description="A point, or only the commune (then latitude and longitude are null)."
    )
    support_count: int = strawberry.field(description="How many people said « me too ».")
    created_at: datetime = strawberry.field(description="When it was received (UTC).")
    updated_at: datetime = strawberry.field(description="When it last changed (UTC).")
    resolved_at: datetime | None = strawberry.field(description="When it was resolved (UTC).")
    text_withheld: bool = strawberry.field(
        description="True when the public may not read its text (hidden or held by "
        "moderation, or the item was rejected): the text fields then say so, in the caller's "
        "language."
    )
    item_id: strawberry.Private[int]
    commune_code: strawberry.Private[str]
    category_code: strawberry.Private[str | None]
    body_code: strawberry.Private[str]

    @staticmethod
    def common(row: Item, translator: Translator) -> dict[str, Any]:
        """The constructor arguments every view shares."""
        status = Status(row.status)
        assert row.id is not None
        return {
            "reference": row.reference,
            "kind": ItemKind(row.kind),
            "status": status,
            "status_class": status_class(status),
            "status_label": status_label(status, translator),
            "latitude": row.latitude,
            "longitude": row.longitude,
            "location_precision": location_precision(row),
            "support_count": row.support_count,
            "created_at": as_utc(row.created_at),
            "updated_at": as_utc(row.updated_at),
            "resolved_at": as_utc(row.resolved_at) if row.resolved_at else None,
            "text_withheld": moderation.text_withheld(row),
            "item_id": row.id,
            "commune_code": row.commune_code,
            "category_code": row.category_code,
            "body_code": row.body_code,
        }

    @strawberry.field(
        description="« 12 people support this », in the caller's language and plural rules."
    )
    def support_label(self, info: Info[Context, None]) -> str:
        return info.context.translator.ngettext(*SUPPORT_LABEL, self.support_count)

    @strawberry.field(
        description="When it was received, as a date and time of Angers (Europe/Paris) written "
        "the caller's way."
    )
    def created_at_label(self, info: Info[Context, None]) -> str:
        return info.context.translator.datetime(self.created_at)

    @strawberry.field(description="Its kind, in the caller's language.")
    def kind_label(self, info: Info[Context, None]) -> str:
        return info.context.translator.gettext(KIND_LABELS[self.kind])

    @strawberry.field(description="The commune where it is.")
    def commune(self, info: Info[Context, None]) -> CommuneType:
        return CommuneType.from_row(info.context.reference.communes[self.commune_code])

    @strawberry.field(description="Its category, for reports.")
    def category(self, info: Info[Context, None]) -> CategoryType | None:
        if self.category_code is None:
            return None
        row = info.context.reference.categories.get(self.category_code)
        return CategoryType.from_row(row, info) if row else None

    @strawberry.field(description="The body handling it.")
    def handling_body(self, info: Info[Context, None]) -> BodyType:
        return BodyType.from_row(info.context.reference.bodies[self.body_code])

    @strawberry.field(
        description="Its photos the public may see: approved by the handling body, in order."
    )
    async def photos(self, info: Info[Context, None]) -> list[PhotoType]:
        return await item_photos(info, self.item_id, PhotoAudience.PUBLIC)

    async def _history(
        self, info: Info[Context, None], audiences: frozenset[Audience], *, public: bool
    ) -> list[HistoryEntry]:
        rows = await info.context.history_loader.load((self.item_id, audiences))
        return [HistoryEntry.from_row(r, info.context.translator, public=public) for r in rows]
