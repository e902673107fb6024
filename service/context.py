"""What every resolver receives: the app-wide services and the per-request context."""

from __future__ import annotations

import gettext
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from starlette.requests import Request

from service.db import Database
from service.i18n.translator import Translator
from service.privacy.rules import keyed_hash
from service.reference import ReferenceData, load_reference_data
from service.response_cache import PublicResponseCache
from service.settings import Settings
from service.tracking.rules import TrackingTokens

logger = logging.getLogger("service")

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Caller:
    """Who is calling. Everyone is anonymous until staff sessions and API clients exist."""

    kind: str = "anonymous"


ANONYMOUS = Caller()


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    """Built once per process: settings, database, catalogs, reference indexes, clock."""

    settings: Settings
    db: Database
    translations: dict[str, gettext.GNUTranslations]
    reference: ReferenceData = field(default_factory=ReferenceData)
    clock: Clock = utc_now

    def translator(self, locale: str) -> Translator:
        return Translator(locale, self.translations[locale])

    @cached_property
    def secret_keys(self) -> tuple[str, ...]:
        if self.settings.secret_keys:
            return self.settings.secret_keys
        # Development without keys: tokens work until the process stops. Production refuses
        # to start without keys (Settings.check_startable).
        logger.warning("no SERVICE_SECRET_KEYS: tracking tokens will not survive a restart")
        return (secrets.token_urlsafe(32),)

    @cached_property
    def response_cache(self) -> PublicResponseCache:
        return PublicResponseCache(
            self.settings.public_cache_seconds, self.settings.public_cache_entries
        )

    @cached_property
    def tracking_tokens(self) -> TrackingTokens:
        return TrackingTokens(self.secret_keys, self.settings.tracking_token_days)

    def device_hash(self, device_key: str) -> str:
        return keyed_hash(self.secret_keys[-1], "support-device", device_key)

    async def reload_reference(self) -> None:
        """Replace the in-memory reference data with what the database holds now."""
        async with self.db.reading() as session:
            self.reference = await load_reference_data(session)
        self.response_cache.invalidate()


@dataclass
class Context:
    """The per-request context given to resolvers as ``info.context``."""

    services: Services
    translator: Translator
    # The snapshot in force when the request began: consistent for the whole request.
    reference: ReferenceData
    caller: Caller = ANONYMOUS
    request: Request | None = None

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def db(self) -> Database:
        return self.services.db

    @property
    def now(self) -> datetime:
        return self.services.clock()

    @classmethod
    def create(cls, services: Services, locale: str, request: Request | None = None) -> Context:
        return cls(
            services=services,
            translator=services.translator(locale),
            reference=services.reference,
            request=request,
        )
