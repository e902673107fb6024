"""Settings, built once from the environment (``SERVICE_*``) and passed down.

Nothing else in the service reads ``os.environ``: tests build ``Settings(...)`` directly.
"""

from __future__ import annotations

import ipaddress
import math
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from service import resources
from service.private_files import write_private_text
from service.resources import resource_dir
from service.staff.oidc_settings import OidcProvider, parse_oidc_providers

Environment = Literal["development", "production"]

PROJECT_ROOT = resources.PROJECT_ROOT

DEMO_KEY_PREFIX = "demo-"
MIN_SECRET_KEY_LENGTH = 32
SUPPORTED_LOCALES = ("fr", "en", "es", "de", "ar")
# Plan IGN, the French public base map (Licence Ouverte), as {z}/{x}/{y} tiles.
DEFAULT_MAP_TILES_URL = (
    "https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2&STYLE=normal&TILEMATRIXSET=PM&FORMAT=image/png"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
)


class SettingsError(ValueError):
    """A setting is missing or invalid; the message says which and why."""


def _terms_file(value: str) -> Path | None:
    if not value.strip():
        return None
    path = Path(value.strip())
    if not path.is_file():
        raise SettingsError(f"SERVICE_MODERATION_TERMS_FILE: {path} is not a readable file")
    return path


@dataclass(frozen=True)
class Settings:
    """Everything the service needs to know about where and how it runs."""

    environment: Environment = "development"
    data_dir: Path = Path("var")
    # Empty means the embedded default: a SQLite file in data_dir.
    database_url: str = ""
    # Oldest first, newest last: the last one signs, every one verifies (rotation).
    secret_keys: tuple[str, ...] = ()
    graphiql: bool = False
    default_locale: str = "fr"
    # Read at run time: in the repository, or inside an installed wheel (service/resources.py).
    fixtures_dir: Path = resource_dir("fixtures")
    locales_dir: Path = resource_dir("locales")
    # The operations clients use, published as trusted documents (GET /graphql/documents.json).
    operations_dir: Path = resource_dir("graphql") / "operations"
    max_body_bytes: int = 1_000_000
    max_query_depth: int = 12
    max_aliases: int = 30
    max_query_tokens: int = 4_000
    max_page_size: int = 100
    # Public answers are served from memory this long (0 turns the cache off).
    public_cache_seconds: float = 2.0
    public_cache_entries: int = 1024
    # A tracking token stops working this many days after its item was resolved or closed.
    tracking_token_days: int = 365
    log_level: str = "info"
    # "text" (the default) or "json": one JSON object a line, for a log collector.
    log_format: str = "text"
    delivery_max_attempts: int = 8
    delivery_backoff_seconds: float = 30.0
    delivery_backoff_cap_seconds: float = 3600.0
    delivery_poll_seconds: float = 2.0
    # Opinions on sensors accepted per hour from one device, and from one network origin.
    opinions_per_device_hour: int = 20
    opinions_per_origin_hour: int = 300
    # Integrators (see README, "Integrators"). Requests and submissions a minute, per API
    # client and per anonymous network origin (counted per worker process: see README).
    client_requests_per_minute: int = 3000
    client_submissions_per_minute: int = 300
    anonymous_requests_per_minute: int = 600
    anonymous_submissions_per_minute: int = 30
    # The reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: addresses
    # or networks. Empty (the default): no proxy header is believed, the connecting address
    # is the origin that per-origin limits count.
    forwarded_allow_ips: tuple[str, ...] = ()
    # Where rate limits, cost budgets and login and opinion throttles are counted by every
    # worker and host together (redis:// or rediss://, Redis or Valkey). Empty (the
    # default): each process counts alone (N workers admit up to N times a limit).
    redis_url: str = ""
    # /metrics (Prometheus) answers only with this bearer token; empty: /metrics is off (404).
    metrics_token: str = ""
    # Network origins are counted under keyed hashes whose key is replaced this often.
    origin_key_rotation_hours: float = 24.0
    # Anonymous callers may only run the published operations (by documentId).
    anonymous_trusted_documents_only: bool = False
    # Query cost budgets (estimated fields x page sizes): per request, and per minute.
    # Every published operation fits the anonymous per-request budget (a test checks it);
    # answers served from the public cache are not charged to the per-minute budget.
    client_cost_per_request: int = 100_000
    client_cost_per_minute: int = 2_000_000
    anonymous_cost_per_request: int = 25_000
    anonymous_cost_per_minute: int = 250_000
    # Webhooks: at most this many per client; disabled after this many failed deliveries in a row.
    webhooks_per_client: int = 10
    webhook_failures_to_disable: int = 20
    # Development only (refused in production): integrators' webhooks may point at loopback
    # and private addresses over plain http, to test a receiver on their own machine.
    webhooks_allow_private: bool = False
    # Personal data (see README, "Personal data"). URL-safe base64 keys of 32 bytes, oldest
    # first: the last encrypts, all decrypt. Empty: derived from secret_keys.
    encryption_keys: tuple[str, ...] = ()
    # A contact is deleted this many days after its item was closed (or resolved).
    contact_retention_days: int = 30
    # The resident's free text of a finished item is redacted after this many days (5 years).
    free_text_retention_days: int = 1826
    # Staff reads of contacts (the access log) are kept this many days.
    access_log_retention_days: int = 365
    # `serve` runs the purge at start-up and then every this many hours.
    purge_interval_hours: float = 24.0
    # `serve --demo` adds a year of example items (0: only the few example reports).
    demo_year_items: int = 9000
    # Whether this host's processes run the search indexer (one of them at a time does).
    search_indexer: bool = True
    search_batch_size: int = 500
    search_poll_seconds: float = 0.25
    # whoosh (pure Python, the default) or tantivy (compiled, `pip install '.[tantivy]'`).
    search_engine: str = "whoosh"
    # Map tiles of the pages' maps ({z}, {x}, {y}); empty: commune outlines only, nothing fetched.
    map_tiles_url: str = DEFAULT_MAP_TILES_URL
    # The address residents reach the pages at (``https://signaler.example``): what a printed
    # sign's QR code and a tracking link hold. Empty: the request's own (demo, tests).
    public_url: str = ""
    # Moderation: open flags from the public that withhold an item's public text until review.
    moderation_flags_to_hide: int = 3
    # A JSON file of words and phrases held for pre-moderation, added to the shipped list:
    # {"*": [...every body...], "<body code>": [...]} (service.moderation.terms).
    moderation_terms_file: Path | None = None
    # Photos (see README, "Photos"): each at most this many bytes as sent and pixels as
    # decoded, this many per item; the bodies whose photos are public without review; an
    # upload never attached to an item is deleted after this many hours.
    photo_max_bytes: int = 10_000_000
    photo_max_pixels: int = 50_000_000
    photos_per_item: int = 3
    photo_auto_publish_bodies: tuple[str, ...] = ()
    photo_unattached_hours: float = 24.0
    # Outgoing e-mail (see README, "Messages"). An SMTP relay when mail_smtp_host is set;
    # otherwise, in demo mode or when mail_mailbox_dir is set, one .eml file per message in
    # that folder (default: <data dir>/mailbox in demo mode); otherwise messages wait, queued.
    mail_smtp_host: str = ""
    mail_smtp_port: int = 587
    # "starttls" (upgrade a plain connection), "tls" (implicit TLS, port 465) or "none".
    mail_smtp_security: str = "starttls"
    mail_smtp_username: str = ""
    mail_smtp_password: str = field(default="", repr=False)
    mail_sender: str = "Angers Loire Métropole <ne-pas-repondre@signaler.example>"
    mail_reply_to: str = ""
    mail_mailbox_dir: Path | None = None
    mail_max_attempts: int = 8
    mail_backoff_seconds: float = 60.0
    mail_backoff_cap_seconds: float = 3600.0
    # A claimed message is left to another worker (and sent again) after this long.
    mail_claim_seconds: float = 120.0
    # At most this many messages to one address in 24 hours; the others wait.
    mail_per_address_day: int = 10
    # The satisfaction questionnaire goes this many days after an item was resolved.
    mail_survey_days: int = 14
    # Staff sign-in (see README, "Staff sign-in"): the OpenID providers (a JSON list, or the
    # path of a JSON file holding it: service/staff/oidc_settings.py).
    oidc_providers: tuple[OidcProvider, ...] = ()
    # Set by `serve --demo` only; never read from the environment.
    demo: bool = field(default=False)

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'service.db').as_posix()}"

    @property
    def search_dir(self) -> Path:
        """The search index and the indexer's lock (derived data: ``reindex`` rebuilds it)."""
        return self.data_dir / "search"

    @property
    def photos_dir(self) -> Path:
        """The photos' files (staff and public copies), owner-only like the database."""
        return self.data_dir / "photos"

    @property
    def upload_body_bytes(self) -> int:
        """The body size allowed where photos are sent (all of an item's photos and a form)."""
        return self.photo_max_bytes * self.photos_per_item + self.max_body_bytes

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``SERVICE_*`` variables; unknown values raise a SettingsError."""
        env = os.environ if environ is None else environ
        defaults = cls()
        environment = env.get("SERVICE_ENV", defaults.environment)
        if environment not in ("development", "production"):
            raise SettingsError(
                f"SERVICE_ENV must be 'development' or 'production', not {environment!r}"
            )
        secret_keys = _secret(env, "SERVICE_SECRET_KEYS")
        keys = tuple(k.strip() for k in secret_keys.replace("\n", ",").split(",") if k.strip())
        return cls(
            environment=environment,  # type: ignore[arg-type]  # checked just above
            data_dir=Path(env.get("SERVICE_DATA_DIR", str(defaults.data_dir))),
            database_url=_secret(env, "SERVICE_DATABASE_URL"),
            secret_keys=keys,
            graphiql=_flag(env, "SERVICE_GRAPHIQL", defaults.graphiql),
            default_locale=_choice(env, "SERVICE_DEFAULT_LOCALE", defaults.default_locale),
            max_body_bytes=_positive(env, "SERVICE_MAX_BODY_BYTES", defaults.max_body_bytes),
            max_query_depth=_positive(env, "SERVICE_MAX_QUERY_DEPTH", defaults.max_query_depth),
            max_aliases=_positive(env, "SERVICE_MAX_ALIASES", defaults.max_aliases),
            max_query_tokens=_positive(env, "SERVICE_MAX_QUERY_TOKENS", defaults.max_query_tokens),
            max_page_size=_positive(env, "SERVICE_MAX_PAGE_SIZE", defaults.max_page_size),
            public_cache_seconds=_non_negative_float(
                env, "SERVICE_PUBLIC_CACHE_SECONDS", defaults.public_cache_seconds
            ),
            public_cache_entries=_positive(
                env, "SERVICE_PUBLIC_CACHE_ENTRIES", defaults.public_cache_entries
            ),
            tracking_token_days=_positive(
                env, "SERVICE_TRACKING_TOKEN_DAYS", defaults.tracking_token_days
            ),
            log_level=env.get("SERVICE_LOG_LEVEL", defaults.log_level).lower(),
            log_format=_choice(env, "SERVICE_LOG_FORMAT", defaults.log_format, LOG_FORMATS),
            encryption_keys=_encryption_keys(env),
            contact_retention_days=_positive(
                env, "SERVICE_CONTACT_RETENTION_DAYS", defaults.contact_retention_days
            ),
            free_text_retention_days=_positive(
                env, "SERVICE_FREE_TEXT_RETENTION_DAYS", defaults.free_text_retention_days
            ),
            access_log_retention_days=_positive(
                env, "SERVICE_ACCESS_LOG_RETENTION_DAYS", defaults.access_log_retention_days
            ),
            purge_interval_hours=_positive_float(
                env, "SERVICE_PURGE_INTERVAL_HOURS", defaults.purge_interval_hours
            ),
            delivery_max_attempts=_positive(
                env, "SERVICE_DELIVERY_MAX_ATTEMPTS", defaults.delivery_max_attempts
            ),
            delivery_backoff_seconds=_positive_float(
                env, "SERVICE_DELIVERY_BACKOFF_SECONDS", defaults.delivery_backoff_seconds
            ),
            delivery_backoff_cap_seconds=_positive_float(
                env, "SERVICE_DELIVERY_BACKOFF_CAP_SECONDS", defaults.delivery_backoff_cap_seconds
            ),
            delivery_poll_seconds=_positive_float(
                env, "SERVICE_DELIVERY_POLL_SECONDS", defaults.delivery_poll_seconds
            ),
            opinions_per_device_hour=_positive(
                env, "SERVICE_OPINIONS_PER_DEVICE_HOUR", defaults.opinions_per_device_hour
            ),
            opinions_per_origin_hour=_positive(
                env, "SERVICE_OPINIONS_PER_ORIGIN_HOUR", defaults.opinions_per_origin_hour
            ),
            demo_year_items=_non_negative(env, "SERVICE_DEMO_YEAR_ITEMS", defaults.demo_year_items),
            search_indexer=_flag(env, "SERVICE_SEARCH_INDEXER", defaults.search_indexer),
            search_batch_size=_positive(
                env, "SERVICE_SEARCH_BATCH_SIZE", defaults.search_batch_size
            ),
            search_poll_seconds=_positive_float(
                env, "SERVICE_SEARCH_POLL_SECONDS", defaults.search_poll_seconds
            ),
            search_engine=_choice(
                env, "SERVICE_SEARCH_ENGINE", defaults.search_engine, SEARCH_ENGINES
            ),
            client_requests_per_minute=_positive(
                env, "SERVICE_CLIENT_REQUESTS_PER_MINUTE", defaults.client_requests_per_minute
            ),
            client_submissions_per_minute=_positive(
                env, "SERVICE_CLIENT_SUBMISSIONS_PER_MINUTE", defaults.client_submissions_per_minute
            ),
            anonymous_requests_per_minute=_positive(
                env, "SERVICE_ANONYMOUS_REQUESTS_PER_MINUTE", defaults.anonymous_requests_per_minute
            ),
            anonymous_submissions_per_minute=_positive(
                env,
                "SERVICE_ANONYMOUS_SUBMISSIONS_PER_MINUTE",
                defaults.anonymous_submissions_per_minute,
            ),
            client_cost_per_request=_positive(
                env, "SERVICE_CLIENT_COST_PER_REQUEST", defaults.client_cost_per_request
            ),
            client_cost_per_minute=_positive(
                env, "SERVICE_CLIENT_COST_PER_MINUTE", defaults.client_cost_per_minute
            ),
            anonymous_cost_per_request=_positive(
                env, "SERVICE_ANONYMOUS_COST_PER_REQUEST", defaults.anonymous_cost_per_request
            ),
            anonymous_cost_per_minute=_positive(
                env, "SERVICE_ANONYMOUS_COST_PER_MINUTE", defaults.anonymous_cost_per_minute
            ),
            webhooks_per_client=_positive(
                env, "SERVICE_WEBHOOKS_PER_CLIENT", defaults.webhooks_per_client
            ),
            webhook_failures_to_disable=_positive(
                env, "SERVICE_WEBHOOK_FAILURES_TO_DISABLE", defaults.webhook_failures_to_disable
            ),
            webhooks_allow_private=_flag(
                env, "SERVICE_WEBHOOKS_ALLOW_PRIVATE", defaults.webhooks_allow_private
            ),
            forwarded_allow_ips=_addresses(env, "SERVICE_FORWARDED_ALLOW_IPS"),
            redis_url=_redis_url(env.get("SERVICE_REDIS_URL", defaults.redis_url)),
            metrics_token=_metrics_token(_secret(env, "SERVICE_METRICS_TOKEN")),
            origin_key_rotation_hours=_positive_float(
                env, "SERVICE_ORIGIN_KEY_ROTATION_HOURS", defaults.origin_key_rotation_hours
            ),
            map_tiles_url=_tiles_url(env.get("SERVICE_MAP_TILES_URL", defaults.map_tiles_url)),
            public_url=_public_url(env.get("SERVICE_PUBLIC_URL", defaults.public_url)),
            moderation_flags_to_hide=_positive(
                env, "SERVICE_MODERATION_FLAGS_TO_HIDE", defaults.moderation_flags_to_hide
            ),
            moderation_terms_file=_terms_file(env.get("SERVICE_MODERATION_TERMS_FILE", "")),
            photo_max_bytes=_positive(env, "SERVICE_PHOTO_MAX_BYTES", defaults.photo_max_bytes),
            photo_max_pixels=_positive(env, "SERVICE_PHOTO_MAX_PIXELS", defaults.photo_max_pixels),
            photos_per_item=_positive(env, "SERVICE_PHOTOS_PER_ITEM", defaults.photos_per_item),
            photo_auto_publish_bodies=tuple(
                code.strip()
                for code in env.get("SERVICE_PHOTO_AUTO_PUBLISH_BODIES", "").split(",")
                if code.strip()
            ),
            photo_unattached_hours=_positive_float(
                env, "SERVICE_PHOTO_UNATTACHED_HOURS", defaults.photo_unattached_hours
            ),
            mail_smtp_host=env.get("SERVICE_MAIL_SMTP_HOST", defaults.mail_smtp_host).strip(),
            mail_smtp_port=_positive(env, "SERVICE_MAIL_SMTP_PORT", defaults.mail_smtp_port),
            mail_smtp_security=_choice(
                env, "SERVICE_MAIL_SMTP_SECURITY", defaults.mail_smtp_security, MAIL_SECURITY
            ),
            mail_smtp_username=env.get("SERVICE_MAIL_SMTP_USERNAME", ""),
            mail_smtp_password=env.get("SERVICE_MAIL_SMTP_PASSWORD", ""),
            mail_sender=_address(env, "SERVICE_MAIL_SENDER", defaults.mail_sender),
            mail_reply_to=_address(env, "SERVICE_MAIL_REPLY_TO", defaults.mail_reply_to),
            mail_mailbox_dir=(
                Path(env["SERVICE_MAIL_MAILBOX_DIR"])
                if env.get("SERVICE_MAIL_MAILBOX_DIR")
                else None
            ),
            mail_max_attempts=_positive(
                env, "SERVICE_MAIL_MAX_ATTEMPTS", defaults.mail_max_attempts
            ),
            mail_backoff_seconds=_positive_float(
                env, "SERVICE_MAIL_BACKOFF_SECONDS", defaults.mail_backoff_seconds
            ),
            mail_backoff_cap_seconds=_positive_float(
                env, "SERVICE_MAIL_BACKOFF_CAP_SECONDS", defaults.mail_backoff_cap_seconds
            ),
            mail_claim_seconds=_positive_float(
                env, "SERVICE_MAIL_CLAIM_SECONDS", defaults.mail_claim_seconds
            ),
            mail_per_address_day=_positive(
                env, "SERVICE_MAIL_PER_ADDRESS_DAY", defaults.mail_per_address_day
            ),
            mail_survey_days=_positive(env, "SERVICE_MAIL_SURVEY_DAYS", defaults.mail_survey_days),
            anonymous_trusted_documents_only=_flag(
                env,
                "SERVICE_ANONYMOUS_TRUSTED_DOCUMENTS_ONLY",
                defaults.anonymous_trusted_documents_only,
            ),
            oidc_providers=_oidc_providers(env, environment),
        )

    @property
    def mailbox_dir(self) -> Path | None:
        """Where messages are written as .eml files when no SMTP relay is configured."""
        if self.mail_mailbox_dir is not None:
            return self.mail_mailbox_dir
        return self.data_dir / "mailbox" if self.demo else None

    def for_demo(self) -> Settings:
        """Demo mode: GraphiQL on, and a generated secret kept in the data dir if none is set."""
        if self.environment == "production":
            raise SettingsError("--demo is refused when SERVICE_ENV=production")
        keys = self.secret_keys or (demo_secret_key(self.data_dir),)
        return replace(self, demo=True, graphiql=True, secret_keys=keys)

    def check_startable(self) -> None:
        """Refuse to run production with a missing, short or generated demo secret, or with
        development conveniences."""
        if self.environment != "production":
            return
        if self.webhooks_allow_private:
            raise SettingsError(
                "SERVICE_WEBHOOKS_ALLOW_PRIVATE is for development: it is refused when "
                "SERVICE_ENV=production"
            )
        if not self.secret_keys:
            raise SettingsError("SERVICE_SECRET_KEYS is required when SERVICE_ENV=production")
        for key in self.secret_keys:
            if key.startswith(DEMO_KEY_PREFIX):
                raise SettingsError("a demo secret key cannot be used when SERVICE_ENV=production")
            if len(key) < MIN_SECRET_KEY_LENGTH:
                raise SettingsError(
                    f"every secret key must have at least {MIN_SECRET_KEY_LENGTH} characters"
                )


def _oidc_providers(env: Mapping[str, str], environment: str) -> tuple[OidcProvider, ...]:
    try:
        return parse_oidc_providers(
            env.get("SERVICE_OIDC_PROVIDERS", ""), development=environment == "development"
        )
    except (OSError, ValueError) as error:
        raise SettingsError(f"SERVICE_OIDC_PROVIDERS: {error}") from error


def demo_secret_key(data_dir: Path) -> str:
    """A random key for demo mode, kept in the data dir so tokens survive a restart."""
    path = data_dir / "demo-secret-key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    key = DEMO_KEY_PREFIX + secrets.token_urlsafe(32)
    write_private_text(path, key + "\n")  # a key is never readable by others, not even briefly
    return key


def _encryption_keys(env: Mapping[str, str]) -> tuple[str, ...]:
    from service.privacy.crypto import decode_key

    raw = _secret(env, "SERVICE_ENCRYPTION_KEYS").replace("\n", ",")
    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    for key in keys:
        try:
            decode_key(key)
        except ValueError as error:
            raise SettingsError(f"SERVICE_ENCRYPTION_KEYS: {error}") from None
    return keys


# Secrets may come from a file instead of the environment (which other processes of the same
# user, and crash reports, may read): ``SERVICE_X_FILE``, or the service manager's credential
# store (systemd's LoadCredential=, as ``$CREDENTIALS_DIRECTORY/service-x``).
CREDENTIAL_NAMES = {
    "SERVICE_SECRET_KEYS": "secret-keys",
    "SERVICE_ENCRYPTION_KEYS": "encryption-keys",
    "SERVICE_DATABASE_URL": "database-url",
    "SERVICE_METRICS_TOKEN": "metrics-token",
}


def _secret(env: Mapping[str, str], name: str) -> str:
    """The variable's value; else its ``_FILE``'s content; else the systemd credential."""
    if env.get(name):
        return env[name].strip()
    path = env.get(f"{name}_FILE")
    if not path and env.get("CREDENTIALS_DIRECTORY"):
        candidate = Path(env["CREDENTIALS_DIRECTORY"]) / CREDENTIAL_NAMES[name]
        path = str(candidate) if candidate.is_file() else None
    if not path:
        return ""
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise SettingsError(f"{name}_FILE: cannot read {path} ({error.strerror})") from None


def _addresses(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Comma-separated IP addresses and networks, checked here: uvicorn would take a mistyped
    one for a host name and silently trust nothing (or something else)."""
    found = []
    for raw in (item.strip() for item in env.get(name, "").split(",")):
        if not raw:
            continue
        if raw == "*":
            raise SettingsError(
                f"{name} cannot be '*' (anyone could choose their address): list the proxies"
            )
        try:
            found.append(
                str(ipaddress.ip_network(raw) if "/" in raw else ipaddress.ip_address(raw))
            )
        except ValueError:
            raise SettingsError(
                f"{name}: {raw!r} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/24)"
            ) from None
    return tuple(found)


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive, not {value}")
    return value


def _non_negative(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{name} must be zero or more, not {value}")
    return value


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    value = _float(env, name, default)
    if value <= 0:
        raise SettingsError(f"{name} must be a positive number, not {value!r}")
    return value


def _non_negative_float(env: Mapping[str, str], name: str, default: float) -> float:
    value = _float(env, name, default)
    if value < 0:
        raise SettingsError(f"{name} must be zero or more, not {value!r}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if not math.isfinite(value):
        raise SettingsError(f"{name} must be a finite number, not {raw!r}")
    return value


def _tiles_url(value: str) -> str:
    if value and not (
        value.startswith(("https://", "http://")) and all(p in value for p in ("{z}", "{x}", "{y}"))
    ):
        raise SettingsError(
            f"SERVICE_MAP_TILES_URL must be an http(s) URL with {{z}}, {{x}} and {{y}}, "
            f"or empty for no tiles, not {value!r}"
        )
    return value


def _metrics_token(value: str) -> str:
    if value and len(value) < MIN_SECRET_KEY_LENGTH:
        raise SettingsError(
            f"SERVICE_METRICS_TOKEN must have at least {MIN_SECRET_KEY_LENGTH} characters"
        )
    return value


def _redis_url(value: str) -> str:
    if value and urlsplit(value).scheme not in ("redis", "rediss", "unix"):
        raise SettingsError(
            "SERVICE_REDIS_URL must be a redis://, rediss:// or unix:// address "
            f"(e.g. redis://127.0.0.1:6379/0), or empty to count in each process, not {value!r}"
        )
    return value


def _public_url(value: str) -> str:
    """An http(s) origin, with a path prefix at most; kept without its final slash."""
    parts = urlsplit(value)
    if value and not (
        parts.scheme in ("http", "https")
        and parts.netloc
        and not parts.query
        and not parts.fragment
    ):
        raise SettingsError(
            f"SERVICE_PUBLIC_URL must be an http(s) address such as https://signaler.example, "
            f"or empty to use the request's, not {value!r}"
        )
    return value.rstrip("/")


SEARCH_ENGINES = ("whoosh", "tantivy")
LOG_FORMATS = ("text", "json")
MAIL_SECURITY = ("starttls", "tls", "none")


def _address(env: Mapping[str, str], name: str, default: str) -> str:
    """An e-mail address, bare or with a display name (``Name <a@b.example>``)."""
    from email.utils import parseaddr

    value = env.get(name, default).strip()
    if value and "@" not in parseaddr(value)[1]:
        raise SettingsError(f"{name} must be an e-mail address, such as Name <a@b.example>")
    return value


def _choice(
    env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...] = SUPPORTED_LOCALES
) -> str:
    value = env.get(name) or default
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value
