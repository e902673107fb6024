"""Photos: upload once per idempotency key, attach to an item, moderate, show, erase, purge.

A photo is uploaded on its own (``POST /media/uploads``), processed there (the original bytes
are never stored), and attached by its id to the submission that carries it, in the
submission's transaction. Attached, it waits for the handling body's review unless the body
publishes photos at once; the public only ever sees approved photos.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import Database
from service.errors import N_, DomainError, ValidationFailed, raise_if_any
from service.items import rules as items
from service.items.models import Item
from service.photos import processing
from service.photos.errors import PhotoErrorCode
from service.photos.models import Photo, PhotoStatus
from service.photos.storage import PhotoStore, new_photo_id
from service.reference import ReferenceData
from service.staff import triage
from service.staff.permissions import covered_bodies, require_item_work
from service.staff.rules import StaffIdentity

logger = logging.getLogger(__name__)

MAX_REASON = 500
ATTACHED_STATUSES = (PhotoStatus.PENDING, PhotoStatus.APPROVED, PhotoStatus.HIDDEN)
# Decoding is CPU and memory: at most this many photos are processed at once per process.
_PROCESSING = asyncio.Semaphore(1)


@dataclass(frozen=True)
class PhotoLimits:
    max_bytes: int = 10_000_000
    max_pixels: int = 50_000_000
    per_item: int = 3
    # Bodies whose photos are public at once (no review).
    auto_publish_bodies: frozenset[str] = frozenset()
    unattached_hours: float = 24.0


def file_too_large(limit: int) -> DomainError:
    return DomainError(
        PhotoErrorCode.FILE_TOO_LARGE,
        N_("A photo may be at most %(megabytes)s MB."),
        field="photo",
        megabytes=limit // 1_000_000,
    )


def empty_file() -> DomainError:
    return DomainError(PhotoErrorCode.EMPTY_FILE, N_("The photo is empty."), field="photo")


def unknown_upload(field: str) -> DomainError:
    return DomainError(
        PhotoErrorCode.UNKNOWN_UPLOAD,
        N_("This photo was not received, or already belongs to another item: send it again."),
        field=field,
    )


def too_many_photos(limit: int, field: str) -> DomainError:
    return DomainError(
        PhotoErrorCode.TOO_MANY_PHOTOS,
        N_("At most %(count)s photos per item."),
        field=field,
        count=limit,
    )


def not_found() -> DomainError:
    return DomainError(PhotoErrorCode.NOT_FOUND, N_("There is no such photo."), field="photoId")


@dataclass(frozen=True)
class Uploaded:
    photo: Photo
    replayed: bool


async def upload(
    db: Database,
    store: PhotoStore,
    data: bytes,
    *,
    scope: str,
    key: str,
    limits: PhotoLimits,
    now: datetime,
) -> Uploaded:
    """Process and keep a photo once per (caller, key): a retry after a dropped connection
    returns the first upload; the same key with other bytes is refused."""
    raise_if_any(items.idempotency_key_errors(key))
    if not data:
        raise ValidationFailed([empty_file()])
    if len(data) > limits.max_bytes:
        raise ValidationFailed([file_too_large(limits.max_bytes)])
    sha256 = hashlib.sha256(data).hexdigest()
    existing = await _by_key(db, scope, key)
    if existing is not None:
        return _replay(existing, sha256)
    async with _PROCESSING:
        processed = await asyncio.to_thread(_process_or_errors, data, limits.max_pixels)
    photo = Photo(
        id=new_photo_id(),
        status=PhotoStatus.UPLOADED.value,
        upload_scope=scope,
        upload_key=key,
        source_sha256=sha256,
        width=processed.width,
        height=processed.height,
        created_at=now,
    )
    store.put(photo.id, "full", processed.full)
    store.put(photo.id, "small", processed.small)
    try:
        async with db.writing() as session:
            session.add(photo)
    except IntegrityError:
        # A concurrent retry with the same key won: keep its photo, drop these files.
        store.delete(photo.id)
        existing = await _by_key(db, scope, key)
        if existing is None:
            raise
        return _replay(existing, sha256)
    return Uploaded(photo, replayed=False)


def _process_or_errors(data: bytes, max_pixels: int) -> processing.Processed:
    try:
        return processing.process(data, max_pixels=max_pixels)
    except DomainError as error:
        raise ValidationFailed([error]) from None


def _replay(existing: Photo, sha256: str) -> Uploaded:
    if existing.source_sha256 != sha256:
        raise ValidationFailed([items.reused_key()])
    return Uploaded(existing, replayed=True)


async def _by_key(db: Database, scope: str, key: str) -> Photo | None:
    async with db.reading() as session:
        statement = select(Photo).where(Photo.upload_scope == scope, Photo.upload_key == key)
        return (await session.exec(statement)).first()


def upload_id_errors(ids: Sequence[str], limits: PhotoLimits, field: str) -> list[DomainError]:
    """What can be told of a submission's photo ids without the database."""
    if len(set(ids)) > limits.per_item:
        return [too_many_photos(limits.per_item, field)]
    return []


async def attach(
    session: AsyncSession,
    item: Item,
    upload_ids: Sequence[str],
    *,
    scope: str,
    limits: PhotoLimits,
    field: str = "photoUploadIds",
) -> list[Photo]:
    """Give the item the photos its submitter uploaded (same caller, not attached yet), in
    the submission's transaction: pending review, or public when the body auto-publishes."""
    wanted = list(dict.fromkeys(upload_ids))
    if not wanted:
        return []
    assert item.id is not None
    already = (
        await session.exec(select(func.count()).select_from(Photo).where(Photo.item_id == item.id))
    ).one()
    if already + len(wanted) > limits.per_item:
        raise ValidationFailed([too_many_photos(limits.per_item, field)])
    rows = (
        await session.exec(
            select(Photo).where(
                col(Photo.id).in_(wanted),
                Photo.upload_scope == scope,
                Photo.status == PhotoStatus.UPLOADED.value,
                col(Photo.item_id).is_(None),
            )
        )
    ).all()
    found = {row.id: row for row in rows}
    if len(found) != len(wanted):
        raise ValidationFailed([unknown_upload(field)])
    status = (
        PhotoStatus.APPROVED
        if item.body_code in limits.auto_publish_bodies
        else PhotoStatus.PENDING
    )
    attached = []
    for position, photo_id in enumerate(wanted, start=int(already)):
        photo = found[photo_id]
        photo.item_id = item.id
        photo.position = position
        photo.status = status.value
        session.add(photo)
        attached.append(photo)
    return attached


def attacher(
    upload_ids: Sequence[str], *, scope: str, limits: PhotoLimits, field: str = "photoUploadIds"
) -> Callable[[AsyncSession, Item], Awaitable[None]] | None:
    """What a submission stores beside its item: its photos (``store_once``'s store_extra)."""
    if not upload_ids:
        return None

    async def store(session: AsyncSession, item: Item) -> None:
        await attach(session, item, upload_ids, scope=scope, limits=limits, field=field)

    return store


async def photos_of(
    session: AsyncSession, item_ids: Iterable[int], statuses: Iterable[PhotoStatus]
) -> dict[int, list[Photo]]:
    """The items' photos in the given states, in their order."""
    ids = sorted(set(item_ids))
    found: dict[int, list[Photo]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = await session.exec(
        select(Photo)
        .where(
            col(Photo.item_id).in_(ids),
            col(Photo.status).in_([s.value for s in statuses]),
        )
        .order_by(col(Photo.item_id), col(Photo.position))
    )
    for row in rows:
        assert row.item_id is not None
        found[row.item_id].append(row)
    return found


# -- moderation (staff of the handling body) ----------------------------------------------


class Act:
    APPROVE = "photo.approve"
    HIDE = "photo.hide"
    ROTATE = "photo.rotate"
    BLUR = "photo.blur"


async def photo_in_scope(
    session: AsyncSession,
    identity: StaffIdentity | None,
    reference: ReferenceData,
    photo_id: str,
) -> tuple[Photo, Item, StaffIdentity]:
    """The photo, its item and the staff member, if the photo belongs to an item of the
    bodies they cover; a photo elsewhere is "not found" (its existence is not theirs)."""
    staff = require_item_work(identity, "items:write")
    photo = await session.get(Photo, photo_id)
    if photo is None or photo.item_id is None:
        raise not_found()
    item = await session.get(Item, photo.item_id)
    if item is None or item.body_code not in covered_bodies(staff, reference):
        raise not_found()
    return photo, item, staff


async def may_see_staff_copy(
    session: AsyncSession,
    identity: StaffIdentity | None,
    reference: ReferenceData,
    photo_id: str,
) -> Photo | None:
    """The photo when this staff member may see its staff copy (any state), else None."""
    if identity is None:
        return None
    try:
        photo, _, _ = await photo_in_scope(session, identity, reference, photo_id)
    except DomainError:
        return None
    return photo


def reason_errors(reason: str) -> list[DomainError]:
    errors = items.text_errors(reason, field="reason", maximum=MAX_REASON, required=True)
    for error in errors:
        if error.code.name == "TEXT_REQUIRED":
            error.code = PhotoErrorCode.REASON_REQUIRED
    return errors


def rectangle_errors(box: tuple[float, float, float, float]) -> list[DomainError]:
    left, top, width, height = box
    if 0 <= left < 1 and 0 <= top < 1 and 0 < width <= 1 - left and 0 < height <= 1 - top:
        return []
    return [
        DomainError(
            PhotoErrorCode.INVALID_RECTANGLE,
            N_("The rectangle must lie inside the photo (fractions between 0 and 1)."),
            field="rectangle",
        )
    ]


def rotation_errors(degrees: int) -> list[DomainError]:
    if degrees in (90, 180, 270):
        return []
    return [
        DomainError(
            PhotoErrorCode.INVALID_ROTATION,
            N_("Turn a photo by 90, 180 or 270 degrees."),
            field="degrees",
        )
    ]


async def approve(
    session: AsyncSession, photo: Photo, item: Item, staff: StaffIdentity, now: datetime
) -> None:
    photo.status = PhotoStatus.APPROVED.value
    photo.hidden_reason = None
    _moderated(session, photo, item, staff, now, Act.APPROVE)


async def hide(
    session: AsyncSession,
    photo: Photo,
    item: Item,
    staff: StaffIdentity,
    reason: str,
    now: datetime,
) -> None:
    raise_if_any(reason_errors(reason))
    photo.status = PhotoStatus.HIDDEN.value
    photo.hidden_reason = reason.strip()
    _moderated(session, photo, item, staff, now, Act.HIDE, reason.strip())


async def rotate(
    session: AsyncSession,
    store: PhotoStore,
    photo: Photo,
    item: Item,
    staff: StaffIdentity,
    degrees: int,
    now: datetime,
) -> None:
    """Turn every copy (a phone that lied about its orientation)."""
    raise_if_any(rotation_errors(degrees))
    for full_variant, small_variant in (("full", "small"), ("public", "public-small")):
        source = store.get(photo.id, full_variant)
        if source is None:
            continue
        full, small, width, height = await asyncio.to_thread(processing.rotated, source, degrees)
        store.put(photo.id, full_variant, full)
        store.put(photo.id, small_variant, small)
        if full_variant == "full":
            photo.width, photo.height = width, height
    photo.version += 1
    _moderated(session, photo, item, staff, now, Act.ROTATE, str(degrees))


async def blur(
    session: AsyncSession,
    store: PhotoStore,
    photo: Photo,
    item: Item,
    staff: StaffIdentity,
    box: tuple[float, float, float, float],
    now: datetime,
) -> None:
    """Blur a rectangle of the public copy (a face, a plate, a house number); the staff copy
    stays whole for the handling body's work."""
    raise_if_any(rectangle_errors(box))
    source = store.get(photo.id, "public") or store.get(photo.id, "full")
    if source is None:
        raise not_found()
    full, small = await asyncio.to_thread(processing.blurred, source, box)
    store.put(photo.id, "public", full)
    store.put(photo.id, "public-small", small)
    photo.public_edited = True
    photo.version += 1
    _moderated(session, photo, item, staff, now, Act.BLUR, ",".join(f"{v:.3f}" for v in box))


def _moderated(
    session: AsyncSession,
    photo: Photo,
    item: Item,
    staff: StaffIdentity,
    now: datetime,
    act: str,
    detail: str | None = None,
) -> None:
    photo.moderated_at = now
    session.add(photo)
    triage.audit(session, staff, act, item, now, f"{photo.id} {detail or ''}".strip())


def photo_path(photo: Photo, *, small: bool, staff: bool) -> str:
    """The path of a copy; the version makes an edited photo a new URL (caches never mix)."""
    prefix = "/media/staff/" if staff else "/media/"
    return f"{prefix}{photo.id}{'.small' if small else ''}.jpg?v={photo.version}"


def public_variant(photo: Photo, small: bool) -> str:
    """The file the public is served: the edited public copy once there is one."""
    if photo.public_edited:
        return "public-small" if small else "public"
    return "small" if small else "full"
