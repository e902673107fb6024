"""Reports: submit one (validated, routed, stored once), list them publicly, find the ones
nearby, and count "me too" supports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Executable, Row, func, text
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import Database
from service.errors import N_, DomainError, ValidationFailed, raise_if_any
from service.items import rules as items
from service.items.lifecycle import OPEN_STATUSES, Status
from service.items.models import Item, ItemKind
from service.items.submission import StoreExtra, Submitted, store_once
from service.privacy import rules as privacy
from service.privacy.crypto import FieldCipher
from service.reference import ReferenceData
from service.reports.errors import ReportErrorCode
from service.routing import due
from service.routing import rules as routing
from service.routing.models import DueSubject
from service.territory.geometry import degrees_around, distance_m
from service.territory.rules import coordinate_errors, unknown_commune

MAX_DESCRIPTION = 4_000
MAX_ADDRESS = 300
MAX_NEARBY_RADIUS_M = 2_000
NEARBY_LIMIT = 20


@dataclass(frozen=True)
class ReportRequest:
    category_code: str
    # The point on the map; without one (no map, no JavaScript) the commune the resident
    # names, and the address they type: the report is then placed at the commune only.
    latitude: float | None
    longitude: float | None
    address_text: str | None
    description: str
    idempotency_key: str
    channel: str
    language: str
    contact: privacy.ContactRequest | None
    commune_code: str | None = None
    # Ids from POST /media/uploads, attached in the submission's transaction.
    photo_upload_ids: tuple[str, ...] = ()

    @property
    def point(self) -> tuple[float, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return self.latitude, self.longitude


def place_errors(request: ReportRequest) -> list[DomainError]:
    """A point on Earth; or, without one, a commune and an address to find the place by."""
    if request.point is not None:
        return coordinate_errors(*request.point)
    errors = []
    if not request.commune_code:
        errors.append(
            DomainError(
                ReportErrorCode.LOCATION_REQUIRED,
                N_("Show the place on the map, or choose its commune."),
                field="commune",
            )
        )
    if not (request.address_text or "").strip():
        errors.append(
            DomainError(
                ReportErrorCode.LOCATION_REQUIRED,
                N_("Without a point on the map, give the address or a landmark."),
                field="addressText",
            )
        )
    return errors


def validation_errors(request: ReportRequest) -> list[DomainError]:
    """Everything wrong with a report that can be told without the database."""
    errors = place_errors(request)
    errors += items.text_errors(
        request.description, field="description", maximum=MAX_DESCRIPTION, required=True
    )
    errors += items.text_errors(request.address_text, field="addressText", maximum=MAX_ADDRESS)
    errors += items.idempotency_key_errors(request.idempotency_key)
    if request.contact is not None:
        errors += privacy.contact_errors(request.contact)
    return errors


def commune_of(reference: ReferenceData, request: ReportRequest) -> str:
    """The commune of the point (the point wins over a commune also named), or the one named."""
    if request.point is not None:
        located = reference.locator.locate(*request.point)
        if located is None:
            raise ValidationFailed([items.outside_alm()])
        return located
    if request.commune_code not in reference.communes:
        raise ValidationFailed([unknown_commune(request.commune_code or "")])
    return str(request.commune_code)


def _fingerprint(request: ReportRequest) -> str:
    # The contact is left out: a hash of an e-mail address is still personal data.
    return items.fingerprint(
        {
            "category": request.category_code,
            "latitude": request.latitude,
            "longitude": request.longitude,
            "commune": request.commune_code if request.point is None else None,
            "address": request.address_text,
            "description": request.description,
            "channel": request.channel,
            "contact": request.contact is not None,
            # Only when there are photos: fingerprints of submissions without stay as they were.
            **({"photos": list(request.photo_upload_ids)} if request.photo_upload_ids else {}),
        }
    )


async def submit_report(
    db: Database,
    reference: ReferenceData,
    request: ReportRequest,
    *,
    scope: str,
    now: datetime,
    cipher: FieldCipher | None = None,
    store_extra: StoreExtra | None = None,
) -> Submitted:
    """Validate, route and store a report once per idempotency key (with ``store_extra``,
    its photos, in the same transaction).

    A retry with the same key and the same content returns the first report; with other
    content it is refused (see ``items.submission.store_once``).
    """
    raise_if_any(validation_errors(request))
    commune_code = commune_of(reference, request)
    category = reference.categories.get(request.category_code)
    if category is None:
        raise ValidationFailed([routing.unknown_category(request.category_code)])
    decision = routing.route_item(
        reference, commune_code=commune_code, category=category, today=now.date()
    )
    fingerprint = _fingerprint(request)
    return await store_once(
        db,
        items.NewItem(
            kind=ItemKind.REPORT,
            commune_code=commune_code,
            category_code=category.code,
            decision=decision,
            latitude=request.latitude,
            longitude=request.longitude,
            address_text=(request.address_text or "").strip() or None,
            description=request.description.strip(),
            channel=request.channel,
            language=request.language,
            idempotency_scope=scope,
            idempotency_key=request.idempotency_key,
            request_fingerprint=fingerprint,
            due_in=due.due_in(reference, DueSubject.CATEGORY, category.code, decision.body_code),
        ),
        now=now,
        store_contact=privacy.contact_writer(
            request.contact, channel=request.channel, now=now, cipher=cipher
        ),
        store_extra=store_extra,
    )


@dataclass(frozen=True)
class BoundingBox:
    south: float
    west: float
    north: float
    east: float


@dataclass(frozen=True)
class ReportFilter:
    commune_code: str | None = None
    category_code: str | None = None
    statuses: frozenset[Status] | None = None
    since: datetime | None = None
    bbox: BoundingBox | None = None


def _filtered(statement, report_filter: ReportFilter):  # type: ignore[no-untyped-def]
    statement = statement.where(Item.kind == ItemKind.REPORT.value)
    if report_filter.commune_code:
        statement = statement.where(Item.commune_code == report_filter.commune_code)
    if report_filter.category_code:
        statement = statement.where(Item.category_code == report_filter.category_code)
    if report_filter.statuses:
        statement = statement.where(col(Item.status).in_([s.value for s in report_filter.statuses]))
    if report_filter.since:
        statement = statement.where(col(Item.created_at) >= report_filter.since)
    if box := report_filter.bbox:
        statement = statement.where(
            col(Item.latitude).between(box.south, box.north),
            col(Item.longitude).between(box.west, box.east),
        )
    return statement


async def list_reports(
    session: AsyncSession, report_filter: ReportFilter, *, first: int, after_id: int | None
) -> tuple[list[Item], bool]:
    """Newest first, by keyset (``id < after_id``): stable pages however deep one goes."""
    statement = _filtered(select(Item), report_filter)
    if after_id is not None:
        statement = statement.where(col(Item.id) < after_id)
    rows = list(
        (await session.exec(statement.order_by(col(Item.id).desc()).limit(first + 1))).all()
    )
    return rows[:first], len(rows) > first


async def count_reports(session: AsyncSession, report_filter: ReportFilter) -> int:
    statement = _filtered(select(func.count()).select_from(Item), report_filter)
    return int((await session.exec(statement)).one())


def radius_errors(radius_m: int) -> list[DomainError]:
    if 1 <= radius_m <= MAX_NEARBY_RADIUS_M:
        return []
    return [
        DomainError(
            ReportErrorCode.RADIUS_OUT_OF_RANGE,
            N_("The radius must be between 1 and %(limit)s metres."),
            field="radiusMeters",
            limit=MAX_NEARBY_RADIUS_M,
        )
    ]


async def nearby_reports(
    session: AsyncSession,
    latitude: float,
    longitude: float,
    radius_m: int,
    category_code: str | None,
) -> list[tuple[Item, float]]:
    """Reports within the radius, open ones first, then nearest: "already reported?"."""
    chosen = await _nearby_ids(session, latitude, longitude, radius_m, category_code)
    if not chosen:
        return []
    rows = await session.exec(select(Item).where(col(Item.id).in_([i for i, _ in chosen])))
    by_id = {item.id: item for item in rows.all()}
    return [(by_id[item_id], distance) for item_id, distance in chosen]


@dataclass(frozen=True)
class NearbyReport:
    """What a staff page lists of a nearby report (a duplicate's candidates)."""

    id: int
    reference: str
    body_code: str
    duplicate_of_id: int | None
    distance_m: float


async def nearby_report_summaries(
    session: AsyncSession,
    latitude: float,
    longitude: float,
    radius_m: int,
    category_code: str | None,
) -> list[NearbyReport]:
    """``nearby_reports`` in the same order, read as four columns rather than whole items:
    the console's item page lists them on every view, and whole rows were a quarter of it."""
    chosen = await _nearby_ids(session, latitude, longitude, radius_m, category_code)
    if not chosen:
        return []
    columns = select(Item.id, Item.reference, Item.body_code, Item.duplicate_of_id)
    statement = columns.where(col(Item.id).in_([i for i, _ in chosen]))
    by_id = {row.id: row for row in await session.run_sync(_core_rows, statement)}
    return [
        NearbyReport(item_id, row.reference, row.body_code, row.duplicate_of_id, distance)
        for item_id, distance in chosen
        if (row := by_id.get(item_id)) is not None
    ]


async def _nearby_ids(
    session: AsyncSession,
    latitude: float,
    longitude: float,
    radius_m: int,
    category_code: str | None,
) -> list[tuple[int, float]]:
    """(id, distance) of the NEARBY_LIMIT reports that make the cut, open first, then nearest.

    The box around the point is read as (id, position, status) only, through the connection
    (no ORM rows: at 100,000 reports a box holds hundreds, of which twenty are kept).
    """
    dlat, dlon = degrees_around(latitude, radius_m)
    box = BoundingBox(latitude - dlat, longitude - dlon, latitude + dlat, longitude + dlon)
    columns = select(Item.id, Item.latitude, Item.longitude, Item.status)
    statement = _filtered(columns, ReportFilter(category_code=category_code, bbox=box))
    ranked: list[tuple[bool, float, int]] = []
    for row in await session.run_sync(_core_rows, statement):
        distance = distance_m(latitude, longitude, row.latitude, row.longitude)
        if distance <= radius_m:
            ranked.append((Status(row.status) not in OPEN_STATUSES, distance, row.id))
    ranked.sort()
    return [(item_id, distance) for _, distance, item_id in ranked[:NEARBY_LIMIT]]


def _core_rows(sync: OrmSession, statement: Executable) -> Sequence[Row[Any]]:
    # Through the session's connection (its transaction), without building ORM results.
    return sync.connection().execute(statement).all()


def not_found(reference: str) -> DomainError:
    return DomainError(
        ReportErrorCode.NOT_FOUND,
        N_("There is no report %(reference)s."),
        field="reference",
        reference=reference,
    )


async def support_report(
    db: Database, reference: str, device_hash: str, now: datetime
) -> tuple[Item, bool]:
    """Count a "me too" once per device; returns the report and whether it counted now."""
    async with db.writing() as session:
        item = await items.get_by_reference(session, reference)
        if item is None or item.kind != ItemKind.REPORT.value:
            raise ValidationFailed([not_found(reference)])
        inserted = (
            await session.exec(  # type: ignore[call-overload]
                text(
                    "INSERT INTO support (item_id, device_hash, created_at) "
                    "VALUES (:item, :device, :now) "
                    "ON CONFLICT (item_id, device_hash) DO NOTHING RETURNING id"
                ),
                params={"item": item.id, "device": device_hash, "now": now},
            )
        ).first()
        if inserted is not None:
            await session.exec(  # type: ignore[call-overload]
                text("UPDATE item SET support_count = support_count + 1 WHERE id = :item"),
                params={"item": item.id},
            )
            await session.refresh(item)
        return item, inserted is not None
