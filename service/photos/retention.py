"""Photos leave with the item's free text (erasure by token, the purge after retention), and
uploads never attached leave after a day. Rows go in the caller's transaction; files are
removed by id right after, and a sweep removes any file left without a row."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import Database
from service.photos.models import Photo, PhotoStatus
from service.photos.storage import PhotoStore

logger = logging.getLogger(__name__)
# A file younger than this without a row may be an upload whose row is being written.
SETTLING_SECONDS = 3600


async def delete_item_photos(session: AsyncSession, item_ids: Iterable[int]) -> list[str]:
    """Delete the items' photo rows; returns their ids (for ``remove_files``)."""
    ids = list(item_ids)
    if not ids:
        return []
    photo_ids = list(
        (await session.exec(select(Photo.id).where(col(Photo.item_id).in_(ids)))).all()
    )
    if photo_ids:
        await session.exec(delete(Photo).where(col(Photo.id).in_(photo_ids)))
    return photo_ids


def remove_files(store: PhotoStore, photo_ids: Iterable[str]) -> int:
    """Remove every copy of these photos; returns how many files went."""
    return sum(store.delete(photo_id) for photo_id in photo_ids)


async def sweep(
    db: Database, store: PhotoStore, *, unattached_hours: float, now: datetime
) -> dict[str, int]:
    """Uploads never attached within ``unattached_hours`` go, and so do files without a row
    (a purge's rows, a crash between a row's deletion and its files'), once settled."""
    cutoff = now - timedelta(hours=unattached_hours)
    async with db.writing() as session:
        stale = list(
            (
                await session.exec(
                    select(Photo.id).where(
                        Photo.status == PhotoStatus.UPLOADED.value,
                        col(Photo.created_at) < cutoff,
                    )
                )
            ).all()
        )
        if stale:
            await session.exec(delete(Photo).where(col(Photo.id).in_(stale)))
    remove_files(store, stale)
    async with db.reading() as session:
        known = set((await session.exec(select(Photo.id))).all())
    settled = time.time() - SETTLING_SECONDS
    orphans = [i for i, written in store.ids() if i not in known and written < settled]
    remove_files(store, orphans)
    if stale or orphans:
        logger.info(
            "photos: %d unattached uploads and %d orphan photos removed", len(stale), len(orphans)
        )
    return {"unattached_uploads": len(stale), "orphan_photos": len(orphans)}
