"""What the index holds: one ``SearchDocument`` per searchable thing, built by its kind.

Every kind registers a ``DocumentBuilder``. Items of the spine (reports today; service
requests and sensor questions as their domains land) share ``ItemDocumentBuilder``: the spine
gives the reference, commune, category, status, masked public description, public answers and
staff-only texts; a domain adds its own texts through hooks (``public_extra``/``staff_extra``)
or replaces the builder for its kind. Things that are not items (a sensor of the register)
register a builder under their own source name and announce changes with
``outbox.append(..., payload={"search": {"source": <name>, "id": <id>}})``.
"""

from __future__ import annotations

import gettext
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.items.models import Item, ItemEvent, ItemKind
from service.items.rules import Audience, as_utc
from service.moderation import rules as moderation
from service.privacy.rules import mask_personal_data
from service.reference import ReferenceData
from service.search.analysis import DEFAULT_LANGUAGE, LANGUAGES

ITEM_SOURCE = "item"


@dataclass(frozen=True)
class SearchDocument:
    """One searchable thing. ``public_*`` fields may reach anyone; ``staff_*`` only the staff
    of ``body_code`` (and the bodies above it). A builder decides which text goes where."""

    source: str  # "item", or another registered source ("sensor")
    entity_id: int
    kind: str  # report, service_request, sensor_question, sensor...
    reference: str
    language: str
    body_code: str
    commune_code: str
    category_code: str
    status: str
    created_at: datetime
    # False: only staff find it (e.g. a service request at a home address).
    public: bool = True
    # Labels naming it (category/service/sensor) per language: weighted highest.
    titles: dict[str, str] = field(default_factory=dict)
    # Commune name and masked address: place names are searched without stemming.
    place: str = ""
    public_text: str = ""
    public_answers: list[str] = field(default_factory=list)
    # The unmasked description, private notes, what the resident added: staff only.
    staff_texts: list[str] = field(default_factory=list)
    # True when nothing of the public text is masked (a sensor's register entry): staff
    # read it as it is, before the staff texts, instead of an unmasked copy among them.
    staff_read_public_text: bool = False

    @property
    def key(self) -> str:
        return document_key(self.source, self.entity_id)


def document_key(source: str, entity_id: int) -> str:
    return f"{source}:{entity_id}"


@dataclass(frozen=True)
class BuildContext:
    """What builders may need besides the database: reference data and the catalogs."""

    reference: ReferenceData
    translations: dict[str, gettext.GNUTranslations]

    def labels(self, msgid: str) -> dict[str, str]:
        """A msgid (category label...) in every language of the index."""
        return {
            language: self.translations[language].gettext(msgid)
            if language in self.translations
            else msgid
            for language in LANGUAGES
        }


class DocumentBuilder(Protocol):
    """Builds the documents of one kind (or one non-item source)."""

    async def build(
        self, session: AsyncSession, rows: Sequence[Item], context: BuildContext
    ) -> list[SearchDocument]:
        """Documents of these items (for a non-item source, ``rows`` is empty and
        ``build_ids`` is used instead)."""
        ...


ExtraTexts = Callable[[AsyncSession, Sequence[Item]], Awaitable[dict[int, list[str]]]]


async def _no_extra(_: AsyncSession, __: Sequence[Item]) -> dict[int, list[str]]:
    return {}


@dataclass(frozen=True)
class ItemDocumentBuilder:
    """The spine's builder, for every kind of item; hooks add a domain's own texts."""

    public_extra: ExtraTexts = _no_extra
    staff_extra: ExtraTexts = _no_extra
    is_public: Callable[[Item], bool] = lambda _: True

    async def build(
        self, session: AsyncSession, rows: Sequence[Item], context: BuildContext
    ) -> list[SearchDocument]:
        ids = [row.id for row in rows if row.id is not None]
        events = await _texts_by_item(session, ids)
        public_extra = await self.public_extra(session, rows)
        staff_extra = await self.staff_extra(session, rows)
        documents = []
        for row in rows:
            assert row.id is not None
            public_answers, staff_texts = events.get(row.id, ([], []))
            commune = context.reference.communes.get(row.commune_code)
            category = (
                context.reference.categories.get(row.category_code) if row.category_code else None
            )
            # What the public reads: nothing of a text moderation withholds (or a rejected
            # item's); staff still find it by its staff texts.
            address = moderation.public_address(row) or ""
            documents.append(
                SearchDocument(
                    source=ITEM_SOURCE,
                    entity_id=row.id,
                    kind=row.kind,
                    reference=row.reference,
                    language=row.language if row.language in LANGUAGES else DEFAULT_LANGUAGE,
                    body_code=row.body_code,
                    commune_code=row.commune_code,
                    category_code=row.category_code or "",
                    status=row.status,
                    created_at=as_utc(row.created_at),
                    public=self.is_public(row),
                    titles=context.labels(category.label) if category else {},
                    place=" ".join(p for p in (commune.name if commune else "", address) if p),
                    public_text=moderation.public_text(row) or "",
                    public_answers=public_answers + public_extra.get(row.id, []),
                    staff_texts=[row.description, row.address_text or "", *staff_texts]
                    + staff_extra.get(row.id, []),
                )
            )
        return documents


async def _texts_by_item(
    session: AsyncSession, ids: list[int]
) -> dict[int, tuple[list[str], list[str]]]:
    """Public texts (answers) and staff-only texts (notes, the resident's additions)."""
    found: dict[int, tuple[list[str], list[str]]] = {i: ([], []) for i in ids}
    if not ids:
        return found
    statement = (
        select(ItemEvent.item_id, ItemEvent.audience, ItemEvent.text)
        .where(col(ItemEvent.item_id).in_(ids), col(ItemEvent.text).is_not(None))
        .order_by(col(ItemEvent.id))
    )
    for item_id, audience, text in (await session.exec(statement)).all():
        if not text:
            continue
        public, staff = found[item_id]
        if audience == Audience.PUBLIC.value:
            public.append(mask_personal_data(text))  # as the public history shows it
        else:
            staff.append(text)
    return found


class SourceBuilder(Protocol):
    """A non-item source: builds its documents from ids, lists its ids for a rebuild."""

    async def build_ids(
        self, session: AsyncSession, ids: Sequence[int], context: BuildContext
    ) -> list[SearchDocument]: ...

    async def ids_after(self, session: AsyncSession, after: int, limit: int) -> list[int]: ...


_item_builders: dict[str, DocumentBuilder] = {
    kind.value: ItemDocumentBuilder() for kind in ItemKind
}
_sources: dict[str, SourceBuilder] = {}


def register_item_kind(kind: str, builder: DocumentBuilder) -> None:
    """Index the items of ``kind`` with ``builder`` (replacing the spine's default)."""
    _item_builders[kind] = builder


def register_source(source: str, builder: SourceBuilder) -> None:
    """Index things that are not items (e.g. "sensor") under their own keys."""
    if source == ITEM_SOURCE:
        raise ValueError("the item source is the spine's")
    _sources[source] = builder


def item_builder(kind: str) -> DocumentBuilder | None:
    return _item_builders.get(kind)


def item_kinds() -> list[str]:
    return sorted(_item_builders)


def sources() -> dict[str, SourceBuilder]:
    return dict(_sources)
