"""What every resolver receives: the app-wide services and the per-request context."""

from __future__ import annotations

import asyncio
import gettext
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from itsdangerous import BadSignature, Signer
from starlette.requests import Request
from strawberry.dataloader import DataLoader

from service.db import Database, redacted
from service.i18n.translator import Translator
from service.instance.index import IndexIdentity, claimed
from service.instance.rules import instance_id
from service.integrations.documents import TrustedDocuments
from service.integrations.ratelimit import RateLimiter
from service.integrations.rules import ClientIdentity
from service.items.models import ItemEvent
from service.items.rules import Audience, histories
from service.mail.render import Renderer
from service.mail.rules import UnsubscribeTokens
from service.mail.sender import Mailer
from service.mail.staff_digest import DigestTokens
from service.mail.subscriptions import SubscriptionTokens
from service.mail.transport import transport_for
from service.photos.links import PhotoLinks
from service.photos.models import Photo, PhotoStatus
from service.photos.rules import PhotoLimits, photos_of
from service.photos.storage import PhotoStore, photo_store
from service.privacy.crypto import FieldCipher, cipher_for
from service.privacy.retention import RetentionPeriods, retention_periods
from service.privacy.rules import keyed_hash
from service.reference import ReferenceData, load_reference_data
from service.response_cache import PublicResponseCache
from service.search.documents import BuildContext
from service.search.engine import SearchEngine, open_engine
from service.search.indexer import Indexer
from service.search.status import StatusRecorder
from service.sensors.opinions import OpinionThrottle
from service.settings import Settings
from service.shared_limits import (
    SharedLoginThrottle,
    SharedOpinionThrottle,
    SharedRateLimiter,
    SharedStore,
)
from service.staff.oidc import OidcClients
from service.staff.rules import StaffIdentity, identity_for_session
from service.staff.throttle import LoginThrottle
from service.tracking.rules import TrackingTokens

logger = logging.getLogger("service")

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Caller:
    """Who is calling: anonymous (residents, the public), a staff member or an API client."""

    staff: StaffIdentity | None = None
    # The session token from the cookie, kept to check the CSRF token of mutations.
    session_token: str | None = None
    client: ClientIdentity | None = None

    @property
    def kind(self) -> str:
        """Also the idempotency scope of submissions."""
        if self.client is not None:
            return self.client.idempotency_scope
        return f"staff:{self.staff.staff_id}" if self.staff else "anonymous"

    @property
    def is_anonymous(self) -> bool:
        return self.staff is None and self.client is None

    def channel(self, requested: str) -> str:
        """The channel of a submission: an API client's own (``api:<name>``), whatever it
        asks for; otherwise the one the caller says (app, web, counter...)."""
        return self.client.channel if self.client is not None else requested


ANONYMOUS = Caller()


@dataclass(frozen=True)
class CookieToSet:
    """A cookie a resolver asks the HTTP layer to set (or clear, with max_age 0)."""

    name: str
    value: str
    max_age: int


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
    # The database's instance id, read at start-up (service.instance): what /readyz checks
    # the search index against. Empty until then.
    instance_id: str = ""

    async def search_index_identity(self) -> IndexIdentity:
        """The database the host's search index follows (``instance_id`` read first)."""
        if not self.instance_id:
            self.instance_id = await instance_id(self.db)
        database = redacted(self.settings.resolved_database_url)
        return await asyncio.to_thread(
            claimed, self.settings.search_dir, self.instance_id, database
        )

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

    @cached_property
    def mailer(self) -> Mailer:
        """What sends e-mail messages (service.mail): templates, transport, link tokens."""
        return Mailer(
            settings=self.settings,
            renderer=Renderer(self.settings, self.translations),
            transport=transport_for(self.settings),
            tracking=self.tracking_tokens,
            unsubscribe=UnsubscribeTokens(self.secret_keys),
            subscriptions=SubscriptionTokens(self.secret_keys),
            digests=DigestTokens(self.secret_keys),
            cipher=lambda: self.contact_cipher,
        )

    @property
    def contact_cipher(self) -> FieldCipher:
        """Encrypts personal fields at rest (SERVICE_ENCRYPTION_KEYS, or derived keys)."""
        return cipher_for(self.settings.encryption_keys, self.secret_keys)

    @cached_property
    def photo_store(self) -> PhotoStore:
        return photo_store(self.settings.data_dir)

    @cached_property
    def photo_links(self) -> PhotoLinks:
        """Signs and checks the links webhooks carry to photos' staff copies."""
        return PhotoLinks(self.secret_keys)

    @cached_property
    def photo_limits(self) -> PhotoLimits:
        return photo_limits(self.settings)

    @property
    def retention_periods(self) -> RetentionPeriods:
        return retention_periods(self.settings)

    def device_hash(self, device_key: str) -> str:
        return keyed_hash(self.secret_keys[-1], "support-device", device_key)

    @cached_property
    def shared_limits(self) -> SharedStore | None:
        """Where every worker and host counts limits together (SERVICE_REDIS_URL), if set."""
        return SharedStore(self.settings.redis_url) if self.settings.redis_url else None

    @cached_property
    def oidc_clients(self) -> OidcClients:
        """The OpenID providers' clients (discovery and keys cached per process)."""
        return OidcClients.of(self.settings.oidc_providers)

    @cached_property
    def login_throttle(self) -> LoginThrottle:
        return SharedLoginThrottle(store=self.shared_limits)

    @cached_property
    def opinion_throttle(self) -> OpinionThrottle:
        return SharedOpinionThrottle(
            per_device=self.settings.opinions_per_device_hour,
            per_origin=self.settings.opinions_per_origin_hour,
            store=self.shared_limits,
        )

    @cached_property
    def trusted_documents(self) -> TrustedDocuments:
        return TrustedDocuments.load(self.settings.operations_dir)

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        return SharedRateLimiter(
            rotation_seconds=self.settings.origin_key_rotation_hours * 3600,
            store=self.shared_limits,
        )

    @cached_property
    def session_cookies(self) -> Signer:
        """Signs the session cookie: a forged one is refused before any database lookup."""
        return Signer(list(self.secret_keys), salt="staff-session-cookie")

    async def caller_from_cookie(self, cookie: str | None) -> Caller:
        """Staff signed in by the session cookie (the API and the pages read it alike);
        anonymous when there is none, or a forged, expired or revoked one."""
        if not cookie:
            return ANONYMOUS
        try:
            token = self.session_cookies.unsign(cookie).decode()
        except BadSignature:
            return ANONYMOUS
        async with self.db.reading() as session:
            identity = await identity_for_session(session, token, self.clock())
        return Caller(staff=identity, session_token=token) if identity else ANONYMOUS

    def csrf_token(self, session_token: str) -> str:
        """The CSRF token of a session: derived, so nothing more to store."""
        return keyed_hash(self.secret_keys[-1], "csrf", session_token)

    @cached_property
    def search_engine(self) -> SearchEngine:
        """This process's handle on the host's index: it reads; the indexer also writes."""
        return open_engine(self.settings.search_engine, self.settings.search_dir)

    def search_build_context(self) -> BuildContext:
        return BuildContext(self.reference, self.translations)

    @cached_property
    def search_indexer(self) -> Indexer:
        return Indexer(
            self.search_engine,
            self.db,
            self.search_build_context,
            batch_size=self.settings.search_batch_size,
            status=StatusRecorder(self.search_status_path, lambda: self.clock()),
        )

    @property
    def search_status_path(self) -> Path:
        """Where the host's indexer says how its rounds go (read by ``/readyz``)."""
        return self.settings.search_dir / "indexer.status"

    async def reload_reference(self) -> None:
        """Replace the in-memory reference data with what the database holds now."""
        async with self.db.reading() as session:
            self.reference = await load_reference_data(session)
        self.response_cache.invalidate()


def photo_limits(settings: Settings) -> PhotoLimits:
    return PhotoLimits(
        max_bytes=settings.photo_max_bytes,
        max_pixels=settings.photo_max_pixels,
        per_item=settings.photos_per_item,
        auto_publish_bodies=frozenset(settings.photo_auto_publish_bodies),
        unattached_hours=settings.photo_unattached_hours,
    )


HistoryKey = tuple[int, frozenset[Audience]]
HistoryLoader = DataLoader[HistoryKey, list[ItemEvent]]


def history_loader(db: Database) -> HistoryLoader:
    async def load(keys: list[HistoryKey]) -> list[list[ItemEvent]]:
        found: dict[HistoryKey, list[ItemEvent]] = {}
        async with db.reading() as session:
            for audiences in {a for _, a in keys}:
                ids = sorted({i for i, a in keys if a == audiences})
                for item_id, events in (await histories(session, ids, audiences)).items():
                    found[(item_id, audiences)] = events
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)


PhotoKey = tuple[int, frozenset[PhotoStatus]]
PhotoLoader = DataLoader[PhotoKey, list[Photo]]


def photo_loader(db: Database) -> PhotoLoader:
    async def load(keys: list[PhotoKey]) -> list[list[Photo]]:
        found: dict[PhotoKey, list[Photo]] = {}
        async with db.reading() as session:
            for statuses in {s for _, s in keys}:
                ids = {i for i, s in keys if s == statuses}
                for item_id, photos in (await photos_of(session, ids, statuses)).items():
                    found[(item_id, statuses)] = photos
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)


@dataclass
class Context:
    """The per-request context given to resolvers as ``info.context``."""

    services: Services
    translator: Translator
    # The snapshot in force when the request began: consistent for the whole request.
    reference: ReferenceData
    caller: Caller = ANONYMOUS
    request: Request | None = None
    cookies: list[CookieToSet] = field(default_factory=list)
    _history_loader: HistoryLoader | None = None
    _photo_loader: PhotoLoader | None = None

    @property
    def history_loader(self) -> HistoryLoader:
        """Item histories of this request, batched: a list asking for each item's history
        costs one statement, not one per item. Per request: no data leaks between callers."""
        if self._history_loader is None:
            self._history_loader = history_loader(self.db)
        return self._history_loader

    @property
    def photo_loader(self) -> PhotoLoader:
        """Item photos of this request, batched like histories."""
        if self._photo_loader is None:
            self._photo_loader = photo_loader(self.db)
        return self._photo_loader

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
    def create(
        cls,
        services: Services,
        locale: str,
        request: Request | None = None,
        caller: Caller = ANONYMOUS,
    ) -> Context:
        return cls(
            services=services,
            translator=services.translator(locale),
            reference=services.reference,
            caller=caller,
            request=request,
        )
