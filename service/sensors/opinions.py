"""Residents' opinions on sensors: anonymous, one per device and sensor (a second replaces
the first), rate-limited; and their aggregates, with every count below 5 suppressed."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import Database
from service.errors import N_, DomainError, ValidationFailed, raise_if_any
from service.items import rules as items
from service.privacy.rules import mask_personal_data
from service.reports.rules import device_key_errors
from service.sensors.errors import SensorErrorCode
from service.sensors.models import Concern, Sensor, SensorOpinion, SensorStatus, Understood
from service.sensors.rules import get_sensor, not_found

MAX_COMMENT = 1_000
# k-anonymity: a count below this is shown as "fewer than 5", never as its value.
K_ANONYMITY = 5


@dataclass(frozen=True)
class OpinionRequest:
    sensor_slug: str
    acceptance: int
    understood: Understood
    concerns: frozenset[Concern]
    comment: str | None
    device_key: str
    idempotency_key: str


def opinion_errors(request: OpinionRequest) -> list[DomainError]:
    errors: list[DomainError] = []
    if not 1 <= request.acceptance <= 5:
        errors.append(
            DomainError(
                SensorErrorCode.INVALID_ACCEPTANCE,
                N_("The acceptance must be a whole number from 1 to 5."),
                field="acceptance",
            )
        )
    errors += items.text_errors(request.comment, field="comment", maximum=MAX_COMMENT)
    errors += device_key_errors(request.device_key)
    errors += items.idempotency_key_errors(request.idempotency_key)
    return errors


@dataclass(frozen=True)
class Given:
    opinion: SensorOpinion
    sensor: Sensor
    replaced: bool  # True when it replaced an earlier opinion of the same device


# One statement, on SQLite and PostgreSQL alike: the unique (sensor, device) pair makes a
# second opinion replace the first, whatever the concurrency; created_at keeps the first time.
_UPSERT = text(
    "INSERT INTO sensor_opinion (sensor_id, device_hash, acceptance, understood, concerns, "
    "comment, created_at, updated_at) VALUES (:sensor, :device, :acceptance, :understood, "
    ":concerns, :comment, :now, :now) ON CONFLICT (sensor_id, device_hash) DO UPDATE SET "
    "acceptance = excluded.acceptance, understood = excluded.understood, "
    "concerns = excluded.concerns, comment = excluded.comment, updated_at = excluded.updated_at "
    "RETURNING id"
)


async def give_opinion(
    db: Database, request: OpinionRequest, device_hash: str, now: datetime
) -> Given:
    """Record the device's opinion on the sensor, replacing its earlier one if any.

    A retry (same idempotency key, or simply the same opinion again) leaves the same single
    row: opinions are idempotent by construction. The comment is kept masked of e-mail
    addresses and phone numbers: an anonymous opinion must stay anonymous.
    """
    raise_if_any(opinion_errors(request))
    async with db.writing() as session:
        sensor = await get_sensor(session, request.sensor_slug)
        if sensor is None:
            raise ValidationFailed([not_found(request.sensor_slug)])
        if sensor.status == SensorStatus.REMOVED.value:
            raise ValidationFailed(
                [
                    DomainError(
                        SensorErrorCode.SENSOR_REMOVED,
                        N_("This sensor has been removed: it no longer takes opinions."),
                        field="sensorSlug",
                    )
                ]
            )
        comment = mask_personal_data(request.comment.strip()) if request.comment else None
        values = {
            "sensor": sensor.id,
            "device": device_hash,
            "acceptance": request.acceptance,
            "understood": request.understood.value,
            "concerns": " ".join(sorted(c.value for c in request.concerns)),
            "comment": comment or None,
            "now": now,
        }
        earlier = (
            await session.exec(
                select(SensorOpinion.id).where(
                    SensorOpinion.sensor_id == sensor.id, SensorOpinion.device_hash == device_hash
                )
            )
        ).first()
        opinion_id = (
            await session.exec(_UPSERT, params=values)  # type: ignore[call-overload]
        ).scalar_one()
        opinion = await session.get(SensorOpinion, opinion_id)
        assert opinion is not None
        await session.refresh(opinion)
    return Given(opinion, sensor, replaced=earlier is not None)


@dataclass
class OpinionThrottle:
    """At most ``per_device`` opinions an hour from one device and ``per_origin`` from one
    network origin (a square's public Wi-Fi is shared: kept generous). In the process's
    memory, keyed by keyed hashes; with N workers the bound is N times higher."""

    per_device: int = 20
    per_origin: int = 300
    window_seconds: float = 3600.0
    monotonic: Callable[[], float] = time.monotonic
    _seen: dict[str, list[float]] = field(default_factory=dict)

    def _recent(self, key: str) -> list[float]:
        cutoff = self.monotonic() - self.window_seconds
        recent = [t for t in self._seen.get(key, []) if t > cutoff]
        if recent:
            self._seen[key] = recent
        else:
            self._seen.pop(key, None)
        return recent

    def allow(self, device_key: str, origin_key: str | None) -> bool:
        """Count one attempt; False (and nothing counted) when over either limit."""
        if len(self._recent("d:" + device_key)) >= self.per_device:
            return False
        if origin_key and len(self._recent("o:" + origin_key)) >= self.per_origin:
            return False
        now = self.monotonic()
        self._seen.setdefault("d:" + device_key, []).append(now)
        if origin_key:
            self._seen.setdefault("o:" + origin_key, []).append(now)
        return True


def too_many() -> DomainError:
    return DomainError(
        SensorErrorCode.TOO_MANY_OPINIONS,
        N_("Too many opinions from this device: please try again in an hour."),
        field="deviceKey",
    )


# ---------------------------------------------------------------------------- aggregates


def shown(count: int) -> int | None:
    """A count as published: None (shown as "fewer than 5") when below the threshold."""
    return count if count >= K_ANONYMITY else None


@dataclass(frozen=True)
class OpinionSummary:
    """Raw counts; the GraphQL layer publishes them through ``shown()``."""

    count: int
    acceptance: dict[int, int]  # 1..5 -> number of opinions
    understood: dict[Understood, int]
    concerns: dict[Concern, int]

    @property
    def mean_acceptance(self) -> float | None:
        if self.count < K_ANONYMITY:
            return None
        return round(sum(v * n for v, n in self.acceptance.items()) / self.count, 2)

    @property
    def understood_rate(self) -> float | None:
        """The share of residents for whom the sign made the sensor clear (« yes »)."""
        if self.count < K_ANONYMITY:
            return None
        return round(self.understood[Understood.YES] / self.count, 3)


async def summarise(
    session: AsyncSession,
    sensor_ids: list[int],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> OpinionSummary:
    """The opinions on these sensors last given within the period, counted in one pass."""
    statement = select(
        SensorOpinion.acceptance, SensorOpinion.understood, SensorOpinion.concerns, func.count()
    ).where(col(SensorOpinion.sensor_id).in_(sensor_ids or [-1]))
    if since is not None:
        statement = statement.where(col(SensorOpinion.updated_at) >= since)
    if until is not None:
        statement = statement.where(col(SensorOpinion.updated_at) < until)
    statement = statement.group_by(
        col(SensorOpinion.acceptance), col(SensorOpinion.understood), col(SensorOpinion.concerns)
    )
    acceptance = dict.fromkeys(range(1, 6), 0)
    understood = dict.fromkeys(Understood, 0)
    concerns = dict.fromkeys(Concern, 0)
    total = 0
    for value, clear, named, n in (await session.exec(statement)).all():
        total += n
        acceptance[value] += n
        understood[Understood(clear)] += n
        for concern in named.split():
            concerns[Concern(concern)] += n
    return OpinionSummary(total, acceptance, understood, concerns)


async def sensor_ids_at(session: AsyncSession, place_name: str) -> list[int]:
    statement = select(Sensor.id).where(Sensor.place_name == place_name)
    return [i for i in (await session.exec(statement)).all() if i is not None]
