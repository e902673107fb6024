"""Retention: what the purge removes once its purpose is over, counted before it is done.

Categories (the periods come from the settings, see README "Personal data"):
- ``contacts``: a finished item's contact, ``contact_retention_days`` after it finished;
- ``free_texts``: a finished item's description, address, history texts and service-request
  answers are redacted
  ``free_text_retention_days`` after it finished; the anonymous item stays for statistics;
- ``device_pseudonyms``: the keyed hashes of « me too » devices, at the same time;
- ``contact_reads``: the log of staff reads of contacts, ``access_log_retention_days`` old;
- ``opinion_comments``: the comment of an opinion on a sensor, ``free_text_retention_days``
  after the opinion was last changed (its acceptance and concerns stay for statistics).

A finished item is one whose status is not open; it finished when it was closed, else resolved,
else last updated (rejected and duplicate items). The dry run counts with the very conditions
the purge deletes with, at the same clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, update
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import Database
from service.items.lifecycle import OPEN_STATUSES
from service.items.models import Item, ItemEvent, Support
from service.moderation.models import ItemFlag
from service.photos.models import Photo
from service.photos.retention import delete_item_photos, sweep
from service.photos.storage import PhotoStore, photo_store
from service.privacy import rules as privacy
from service.privacy.models import Contact, ContactAccess, PrivacyAction
from service.sensors import changes as sensor_changes
from service.sensors.models import SensorOpinion
from service.service_requests.models import ServiceRequestDetail
from service.settings import Settings
from service.tracking import my_items
from service.tracking.models import DeviceItem

NO_ANSWERS = "{}"  # a service request's answers once redacted

logger = logging.getLogger(__name__)

CATEGORIES = (
    "contacts",
    "free_texts",
    "device_pseudonyms",
    "contact_reads",
    "opinion_comments",
)
BATCH = 200


@dataclass(frozen=True)
class RetentionPeriods:
    contact_days: int = 30
    free_text_days: int = 1826
    access_log_days: int = 365


def retention_periods(settings: Settings) -> RetentionPeriods:
    return RetentionPeriods(
        contact_days=settings.contact_retention_days,
        free_text_days=settings.free_text_retention_days,
        access_log_days=settings.access_log_retention_days,
    )


async def run_daily_purge(
    db: Database,
    settings: Settings,
    stop: asyncio.Event,
    clock: Callable[[], datetime],
) -> None:
    """Purge at start-up, then every ``purge_interval_hours``, until ``stop`` is set.

    Every process may run it: each batch re-selects what is due inside its write transaction,
    so two processes never remove the same row twice (the second finds nothing)."""
    while not stop.is_set():
        try:
            await purge(
                db,
                retention_periods(settings),
                clock(),
                photos=photo_store(settings.data_dir),
                unattached_photo_hours=settings.photo_unattached_hours,
            )
        except Exception as error:  # the next round retries; the service keeps serving
            # The type only: a message or traceback may quote the rows' data (debug level).
            logger.error("purge failed: %s", type(error).__name__)
            logger.debug("purge failure", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.purge_interval_hours * 3600)


def _finished_before(cutoff: datetime) -> ColumnElement[bool]:
    finished = func.coalesce(Item.closed_at, Item.resolved_at, Item.updated_at)
    return and_(col(Item.status).not_in([s.value for s in OPEN_STATUSES]), finished < cutoff)


def _has_free_text() -> ColumnElement[bool]:
    event_text = exists().where(
        col(ItemEvent.item_id) == col(Item.id), col(ItemEvent.text).is_not(None)
    )
    answers = exists().where(
        col(ServiceRequestDetail.item_id) == col(Item.id),
        col(ServiceRequestDetail.answers) != NO_ANSWERS,
    )
    photos = exists().where(col(Photo.item_id) == col(Item.id))
    devices = exists().where(col(DeviceItem.item_id) == col(Item.id))
    return or_(
        devices,
        col(Item.description) != "",
        photos,
        col(Item.public_description) != "",
        col(Item.address_text).is_not(None),
        event_text,
        answers,
    )


def _due_ids(category: str, periods: RetentionPeriods, now: datetime, after: int = 0) -> Any:
    """The ids (item ids, or row ids) a category would purge at ``now``, in id order from
    ``after`` on (keyset batches: each batch resumes where the last stopped)."""
    if category == "contacts":
        cutoff = now - timedelta(days=periods.contact_days)
        return (
            select(Contact.item_id)
            .join(Item, col(Item.id) == col(Contact.item_id))
            .where(_finished_before(cutoff), col(Contact.item_id) > after)
            .order_by(col(Contact.item_id))
        )
    if category == "free_texts":
        cutoff = now - timedelta(days=periods.free_text_days)
        return (
            select(Item.id)
            .where(_finished_before(cutoff), _has_free_text(), col(Item.id) > after)
            .order_by(col(Item.id))
        )
    if category == "device_pseudonyms":
        cutoff = now - timedelta(days=periods.free_text_days)
        return (
            select(Support.id)
            .join(Item, col(Item.id) == col(Support.item_id))
            .where(_finished_before(cutoff), col(Support.id) > after)
            .order_by(col(Support.id))
        )
    if category == "opinion_comments":
        cutoff = now - timedelta(days=periods.free_text_days)
        return (
            select(SensorOpinion.id)
            .where(
                col(SensorOpinion.updated_at) < cutoff,
                col(SensorOpinion.comment).is_not(None),
                col(SensorOpinion.id) > after,
            )
            .order_by(col(SensorOpinion.id))
        )
    if category == "contact_reads":
        cutoff = now - timedelta(days=periods.access_log_days)
        return (
            select(ContactAccess.id)
            .where(col(ContactAccess.at) < cutoff, col(ContactAccess.id) > after)
            .order_by(col(ContactAccess.id))
        )
    raise ValueError(category)


async def count_due(
    session: AsyncSession, periods: RetentionPeriods, now: datetime
) -> dict[str, int]:
    """What a purge at ``now`` would remove, per category (the dry run)."""
    counts = {}
    for category in CATEGORIES:
        due = _due_ids(category, periods, now).order_by(None).subquery()
        counts[category] = (await session.exec(select(func.count()).select_from(due))).one()
    return counts


async def redact_free_text(session: AsyncSession, item: Item, now: datetime) -> int:
    """Blank what the resident (or staff about them) wrote; the anonymous item stays.

    Returns how many texts were removed; the search index hears of it through the outbox."""
    removed = int(bool(item.description)) + int(item.address_text is not None)
    item.description = ""
    item.public_description = ""
    item.address_text = None
    session.add(item)
    assert item.id is not None
    return removed + await _redact_items(session, [item.id], now, items_too=False)


async def _redact_items(
    session: AsyncSession, ids: list[int], now: datetime, *, items_too: bool = True
) -> int:
    """Blank the free text of many items in two statements; one outbox entry per item."""
    if items_too:
        await session.exec(
            update(Item)
            .where(col(Item.id).in_(ids))
            .values(description="", public_description="", address_text=None)
        )
    events = await session.exec(
        update(ItemEvent)
        .where(col(ItemEvent.item_id).in_(ids), col(ItemEvent.text).is_not(None))
        .values(text=None)
    )
    # A service request's answers may hold personal text (a gate code, a name on a bell).
    await session.exec(
        update(ServiceRequestDetail)
        .where(col(ServiceRequestDetail.item_id).in_(ids))
        .values(answers=NO_ANSWERS)
    )
    # The public's flags on these items (a device pseudonym, a comment) have served.
    await session.exec(delete(ItemFlag).where(col(ItemFlag.item_id).in_(ids)))
    # The devices that kept these items in « my items » forget them (opt-in, ends here).
    await my_items.forget_items(session, ids)
    # Photos go with the free text (their files: see ``sweep``, or the erasure's own removal).
    await delete_item_photos(session, ids)
    await privacy.announce(session, "item.redacted", ids, now)
    return int(events.rowcount)


async def purge(
    db: Database,
    periods: RetentionPeriods,
    now: datetime,
    *,
    dry_run: bool = False,
    actor: str = "system",
    progress: Callable[[str, int, int], None] | None = None,
    photos: PhotoStore | None = None,
    unattached_photo_hours: float = 24.0,
) -> dict[str, int]:
    """Remove what is past its retention, in short batches; log the counts (never the data).
    With ``photos``, the files of the photos purged (and of uploads never attached) go too.

    ``progress(category, done, total)`` is called after each batch. Returns the counts per
    category: with ``dry_run``, what would go (nothing changes and nothing is logged).
    """
    async with db.reading() as session:
        planned = await count_due(session, periods, now)
    if dry_run:
        return planned
    done = dict.fromkeys(CATEGORIES, 0)
    for category in CATEGORIES:
        last = 0
        while True:
            async with db.writing() as session:
                due = _due_ids(category, periods, now, after=last).limit(BATCH)
                ids = list((await session.exec(due)).all())
                if ids:
                    await _purge_batch(session, category, ids, now)
                    last = ids[-1]
            done[category] += len(ids)
            if progress is not None:
                progress(category, done[category], max(planned[category], done[category]))
            if len(ids) < BATCH:
                break
    if photos is not None:
        done.update(await sweep(db, photos, unattached_hours=unattached_photo_hours, now=now))
    async with db.writing() as session:
        privacy.log(session, PrivacyAction.PURGE, actor=actor, now=now, counts=done)
    logger.info("purge: %s", ", ".join(f"{n} {c}" for c, n in done.items()))
    return done


async def _purge_batch(session: AsyncSession, category: str, ids: list[int], now: datetime) -> None:
    if category == "contacts":
        await privacy.delete_contacts(session, ids, now)
    elif category == "free_texts":
        await _redact_items(session, ids, now)
    elif category == "device_pseudonyms":
        await session.exec(delete(Support).where(col(Support.id).in_(ids)))
    elif category == "contact_reads":
        await session.exec(delete(ContactAccess).where(col(ContactAccess.id).in_(ids)))
    elif category == "opinion_comments":
        sensors = await session.exec(
            select(SensorOpinion.sensor_id).where(col(SensorOpinion.id).in_(ids)).distinct()
        )
        sensor_ids = list(sensors.all())
        await session.exec(
            update(SensorOpinion).where(col(SensorOpinion.id).in_(ids)).values(comment=None)
        )
        # The sensors' search documents hold the comments: a purged one must not be found.
        sensor_changes.announce(session, sensor_ids, now)
