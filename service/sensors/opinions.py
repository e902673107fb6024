"""Residents' opinions on sensors: anonymous, one per device and sensor (a second replaces
the first), rate-limited; and their aggregates, with every count below 5 suppressed."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import DateTime, Integer, bindparam, func, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import Database
from service.errors import N_, DomainError, ValidationFailed, raise_if_any
from service.integrations.ratelimit import RateLimiter
from service.items import rules as items
from service.items.rules import as_utc, device_key_errors
from service.origins import origin_of
from service.privacy.rules import keyed_hash, mask_personal_data
from service.sensors import changes
from service.sensors.errors import SensorErrorCode
from service.sensors.models import Concern, Sensor, SensorOpinion, SensorStatus, Understood
from service.sensors.rules import not_found, slug_sought

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
    replaced: bool  # True when it replaced an earlier opinion of the same device


# One statement, on SQLite and PostgreSQL alike: the unique (sensor, device) pair makes a
# second opinion replace the first, whatever the concurrency; created_at keeps the first time,
# so a created_at older than this submission means it replaced one.
_UPSERT = (
    text(
        "INSERT INTO sensor_opinion (sensor_id, device_hash, acceptance, understood, concerns, "
        "comment, created_at, updated_at) VALUES (:sensor, :device, :acceptance, :understood, "
        ":concerns, :comment, :now, :now) ON CONFLICT (sensor_id, device_hash) DO UPDATE SET "
        "acceptance = excluded.acceptance, understood = excluded.understood, "
        "concerns = excluded.concerns, comment = excluded.comment, "
        "updated_at = excluded.updated_at RETURNING id, created_at"
    )
    .bindparams(bindparam("now", type_=DateTime(timezone=True)))
    .columns(id=Integer, created_at=DateTime(timezone=True))
)


def removed() -> DomainError:
    return DomainError(
        SensorErrorCode.SENSOR_REMOVED,
        N_("This sensor has been removed: it no longer takes opinions."),
        field="sensorSlug",
    )


async def give_opinion(
    db: Database, request: OpinionRequest, device_hash: str, now: datetime
) -> Given:
    """Record the device's opinion on the sensor, replacing its earlier one if any.

    A retry (same idempotency key, or simply the same opinion again) leaves the same single
    row: opinions are idempotent by construction. The comment is kept masked of e-mail
    addresses and phone numbers: an anonymous opinion must stay anonymous. Two statements:
    the sensor's id and status, then the upsert.
    """
    raise_if_any(opinion_errors(request))
    slug = request.sensor_slug.strip().lower()
    async with db.writing() as session:
        found = (
            await session.exec(select(Sensor.id, Sensor.status).where(Sensor.slug == slug))
        ).first()
        if found is None:
            raise ValidationFailed([not_found(request.sensor_slug)])
        sensor_id, status = found
        if status == SensorStatus.REMOVED.value:
            raise ValidationFailed([removed()])
        comment = mask_personal_data(request.comment.strip()) if request.comment else None
        values: dict[str, Any] = {
            "sensor_id": sensor_id,
            "device_hash": device_hash,
            "acceptance": request.acceptance,
            "understood": request.understood.value,
            "concerns": " ".join(sorted(c.value for c in request.concerns)),
            "comment": comment or None,
        }
        params = {
            "sensor": sensor_id,
            "device": device_hash,
            **{k: values[k] for k in ("acceptance", "understood", "concerns", "comment")},
            "now": now,
        }
        opinion_id, created_at = (
            await session.exec(_UPSERT, params=params)  # type: ignore[call-overload]
        ).one()
        # The sensor's search document holds its opinion comments (staff scope): a new,
        # changed or withdrawn comment must reach the index.
        changes.announce(session, [sensor_id], now)
    created = as_utc(created_at)
    opinion = SensorOpinion.model_construct(
        id=opinion_id, created_at=created, updated_at=now, **values
    )
    return Given(opinion, replaced=created != now)


@dataclass
class OpinionThrottle:
    """At most ``per_device`` opinions an hour from one device and ``per_origin`` from one
    network origin (a square's public Wi-Fi is shared: keep it generous).

    The service's one rate limiter (``integrations.ratelimit``, a token bucket kept as one
    number per key, keyed by keyed hashes) with an hour for window: a device may give its
    ``per_device`` opinions at once, then one every hour / ``per_device``. An attempt over
    either limit counts against neither. With N worker processes the bound is N times higher
    (unless ``SERVICE_REDIS_URL`` shares the counts): a documented approximation, still a bound.
    """

    per_device: int = 20
    per_origin: int = 300
    window_seconds: float = 3600.0
    monotonic: Callable[[], float] = time.monotonic
    _limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self._limiter = RateLimiter(monotonic=self.monotonic)

    def limits(self, device_key: str, origin_key: str | None) -> list[tuple[str, int]]:
        """The buckets one opinion counts in, with their limits per window."""
        limits = [("d:" + device_key, self.per_device)]
        if origin_key:
            limits.append(("o:" + origin_key, self.per_origin))
        return limits

    def allow(self, device_key: str, origin_key: str | None) -> bool:
        """Count one attempt; False (and nothing counted) when over either limit."""
        limits = self.limits(device_key, origin_key)
        return self._limiter.hit_all(limits, self.window_seconds) == 0.0


def too_many() -> DomainError:
    return DomainError(
        SensorErrorCode.TOO_MANY_OPINIONS,
        N_("Too many opinions from this device: please try again in an hour."),
        field="deviceKey",
    )


async def submit_opinion(
    db: Database,
    throttle: OpinionThrottle,
    secret: str,
    request: OpinionRequest,
    origin_address: str | None,
    now: datetime,
) -> Given:
    """A resident's opinion as ``sensorOpinionCreate`` and the sensor page take it: checked,
    counted against the device's and the network origin's (an IPv6 /64) hourly limits (both
    kept only as keyed hashes), then given. Raises ValidationFailed with every refusal."""
    raise_if_any(opinion_errors(request))
    device_hash = keyed_hash(secret, "sensor-opinion-device", request.device_key)
    origin = (
        keyed_hash(secret, "sensor-opinion-origin", origin_of(origin_address))
        if origin_address
        else None
    )
    if not throttle.allow(device_hash, origin):
        raise ValidationFailed([too_many()])
    return await give_opinion(db, request, device_hash, now)


# What residents choose from, in their language (the pages' forms and summaries).
ACCEPTANCE_LABELS = {
    1: N_("1 – not at all"),
    2: N_("2 – a little"),
    3: N_("3 – moderately"),
    4: N_("4 – largely"),
    5: N_("5 – fully"),
}
UNDERSTOOD_LABELS = {
    Understood.YES: N_("Yes"),
    Understood.PARTLY: N_("Partly"),
    Understood.NO: N_("No"),
}
CONCERN_LABELS = {
    Concern.PRIVACY: N_("Privacy, personal data"),
    Concern.USEFULNESS: N_("Whether it is useful"),
    Concern.COST: N_("What it costs"),
    Concern.ENVIRONMENT: N_("Its environmental footprint"),
    Concern.SECURITY: N_("Its security (hacking, misuse)"),
    Concern.OTHER: N_("Something else"),
}


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


@cache
def _sensor_with_opinions_version() -> Any:
    # Built once: building it (four subqueries) cost more than running it.
    of_sensor = col(SensorOpinion.sensor_id) == col(Sensor.id)
    versions = [
        select(aggregate).where(of_sensor).scalar_subquery()
        for aggregate in (
            func.count(),
            func.max(SensorOpinion.updated_at),
            func.max(SensorOpinion.id),
            func.sum(SensorOpinion.acceptance),
        )
    ]
    return select(Sensor, *versions).where(col(Sensor.slug) == bindparam("slug"))


async def sensor_with_opinions_version(
    session: AsyncSession, slug: str
) -> tuple[Sensor, tuple[object, ...]] | None:
    """The sensor named ``slug`` and a version of its opinions (how many, the last change, the
    last id: any opinion given, replaced or deleted moves it), in one statement; None when no
    sensor has that name. What a page built from the sensor and its opinions is keyed by."""
    sought = slug_sought(slug)
    if sought is None:
        return None
    statement = _sensor_with_opinions_version()
    row = (await session.exec(statement, params={"slug": sought})).first()
    if row is None:
        return None
    sensor, *version = row
    return sensor, (as_utc(sensor.updated_at), *(str(v) for v in version))


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
