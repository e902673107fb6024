"""What the follow page (``/suivi?jeton=``) reads, in one trip to the database.

The page is the resident's own view of their item, so it is never rendered once for many
readers (it holds their text, history and consents): each request reads it afresh. To keep
that cheap, the item with the purposes of its consents in force (one aggregated column), its
history as the resident sees it and its photos are read by three prepared Core statements
run one after the other in a single call on the session's connection (one greenlet switch
instead of four awaits), with no ORM loading:
the item and its photos become detached model objects (``model_construct``: no validation,
never added to a session), which the rules and templates read as they read loaded ones, and
the history lines plain ``EventRow`` values. Their filters are equalities on bound values,
not ``IN`` lists, which SQLAlchemy would expand anew on every execution.

The token is checked between the first statement and the others (``TrackingTokens.opened``):
nothing of an item is read past its row unless the token opens it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session, configure_mappers
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from service.items.models import Item, ItemEvent
from service.items.rules import Audience
from service.photos.models import Photo
from service.photos.types import ATTACHED as ATTACHED_PHOTOS
from service.privacy.models import Consent, ConsentPurpose
from service.privacy.rules import in_force
from service.tracking.rules import TrackingTokens

# The history a token holder reads: the public lines and those meant for the resident.
RESIDENT_AUDIENCES = frozenset({Audience.PUBLIC, Audience.RESIDENT})

# The item's row, and the purposes of its consents in force in one column (space-separated).
_CONSENTS = "consents_in_force"
_ITEM = select(
    Item.__table__,  # type: ignore[attr-defined]
    select(func.aggregate_strings(col(Consent.purpose), " "))
    .where(in_force(Item.__table__.c.id))  # type: ignore[attr-defined]
    .scalar_subquery()
    .label(_CONSENTS),
).where(col(Item.id) == bindparam("item_id"))
_HISTORY = (
    select(
        col(ItemEvent.kind),
        col(ItemEvent.to_status),
        col(ItemEvent.text),
        col(ItemEvent.language),
        col(ItemEvent.created_at),
    )
    .where(
        col(ItemEvent.item_id) == bindparam("item_id"),
        or_(*(col(ItemEvent.audience) == a.value for a in sorted(RESIDENT_AUDIENCES, key=str))),
    )
    .order_by(col(ItemEvent.id))
)
_PHOTOS = (
    select(
        col(Photo.id),
        col(Photo.item_id),
        col(Photo.status),
        col(Photo.version),
        col(Photo.hidden_reason),
        col(Photo.public_edited),
    )
    .where(
        col(Photo.item_id) == bindparam("item_id"),
        or_(*(col(Photo.status) == s.value for s in sorted(ATTACHED_PHOTOS, key=str))),
    )
    .order_by(col(Photo.position))
)


@dataclass(frozen=True, slots=True)
class EventRow:
    """A line of the history, with what ``HistoryEntry.from_row`` reads (``EventLine``)."""

    kind: str
    to_status: str | None
    text: str | None
    language: str | None
    created_at: datetime


@dataclass(frozen=True)
class FollowRows:
    """The item a token opened and what its page shows of it."""

    item: Item
    events: list[EventRow]  # oldest first
    photos: list[Photo]  # attached (pending, approved, hidden), in their order
    consents: set[ConsentPurpose]  # given and not withdrawn


def _detached(model: Any, mapping: Any) -> Any:
    configure_mappers()  # as a model's __init__ does (a no-op once done), which this skips
    return model.model_construct(**mapping)


def _read(
    session: Session, tokens: TrackingTokens, item_id: int, nonce: str, now: datetime
) -> FollowRows:
    connection = session.connection()
    values = {"item_id": item_id}
    row = connection.execute(_ITEM, values).one_or_none()
    fields = {} if row is None else dict(row._mapping)
    purposes = fields.pop(_CONSENTS, None) or ""
    item: Item = tokens.opened(_detached(Item, fields) if fields else None, nonce, now)
    events = [EventRow(*r) for r in connection.execute(_HISTORY, values)]
    photos = [_detached(Photo, r._mapping) for r in connection.execute(_PHOTOS, values)]
    consents = {ConsentPurpose(purpose) for purpose in purposes.split()}
    return FollowRows(item=item, events=events, photos=photos, consents=consents)


async def read_followed(
    session: AsyncSession, tokens: TrackingTokens, token: str, now: datetime
) -> FollowRows:
    """The token's item and its page's rows, or the DomainError saying why it opens nothing
    (forged, revoked, expired) — the same checks and errors as ``TrackingTokens.item_for``."""
    item_id, nonce = tokens.unsigned(token)
    return await session.run_sync(_read, tokens, item_id, nonce, now)
