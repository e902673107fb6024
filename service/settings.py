"""Settings, built once from the environment (``SERVICE_*``) and passed down.

Nothing else in the service reads ``os.environ``: tests build ``Settings(...)`` directly.
"""

from __future__ import annotations

import difflib
import ipaddress
import logging
import math
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import Field, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, TypeVar, cast
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
SEARCH_ENGINES = ("whoosh", "tantivy")
LOG_FORMATS = ("text", "json")
MAIL_SECURITY = ("starttls", "tls", "none")
# Plan IGN, the French public base map (Licence Ouverte), as {z}/{x}/{y} tiles.
DEFAULT_MAP_TILES_URL = (
    "https://data.geopf.fr/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER=GEOGRAPHICALGRIDSYSTEMS.PLANIGNV2&STYLE=normal&TILEMATRIXSET=PM&FORMAT=image/png"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"
)
DEFAULT_MAIL_SENDER = "Angers Loire Métropole <ne-pas-repondre@signaler.example>"
VARIABLE_PREFIX = "SERVICE_"

logger = logging.getLogger(__name__)

T = TypeVar("T")
# How a variable's text becomes a value: (text, variable name, the setting's default). Only
# called when the variable is set (an empty text included: some settings read it as "none").
Reader = Callable[[str, str, T], T]


class SettingsError(ValueError):
    """A setting is missing or invalid; the message says which and why."""


@dataclass(frozen=True)
class Variable:
    """How a setting is read from the environment (kept in its field's metadata)."""

    read: Reader[Any]
    name: str | None = None  # None: SERVICE_ and the field's name in capitals
    secret: bool = False  # also from SERVICE_X_FILE or the service manager's credentials


def setting(
    default: T,
    read: Reader[T],
    *,
    variable: str | None = None,
    secret: bool = False,
    repr: bool = True,  # the name dataclasses.field uses
) -> T:
    """A field of ``Settings`` read from its variable (see ``Settings``)."""
    spec = Variable(read, variable, secret)
    return field(default=default, repr=repr, metadata={"variable": spec})


# Readers: how a variable's text becomes a value. Messages name the variable and say why.


def _text(raw: str, name: str, default: str) -> str:
    return raw


def _stripped(raw: str, name: str, default: str) -> str:
    return raw.strip()


def _lowercase(raw: str, name: str, default: str) -> str:
    return raw.lower()


def _path(raw: str, name: str, default: Path) -> Path:
    return Path(raw)


def _oidc_providers(
    raw: str, name: str, default: tuple[OidcProvider, ...]
) -> tuple[OidcProvider, ...]:
    try:
        return parse_oidc_providers(raw, development=True)
    except (OSError, ValueError) as error:
        raise SettingsError(f"{name}: {error}") from error


def _optional_path(raw: str, name: str, default: Path | None) -> Path | None:
    return Path(raw) if raw else None


def _names(raw: str, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """Comma-separated names (body codes)."""
    return tuple(code.strip() for code in raw.split(",") if code.strip())


def _key_list(raw: str, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """Keys separated by commas or one a line, oldest first (the order is kept)."""
    return tuple(k.strip() for k in raw.replace("\n", ",").split(",") if k.strip())


def _environment(raw: str, name: str, default: Environment) -> Environment:
    if raw not in ("development", "production"):
        raise SettingsError(f"{name} must be 'development' or 'production', not {raw!r}")
    return cast(Environment, raw)


def _terms_file(raw: str, name: str, default: Path | None) -> Path | None:
    if not raw.strip():
        return None
    path = Path(raw.strip())
    if not path.is_file():
        raise SettingsError(f"{name}: {path} is not a readable file")
    return path


def _encryption_keys(raw: str, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    from service.privacy.crypto import decode_key

    keys = _key_list(raw, name, default)
    for key in keys:
        try:
            decode_key(key)
        except ValueError as error:
            raise SettingsError(f"{name}: {error}") from None
    return keys


def _addresses(raw: str, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """Comma-separated IP addresses and networks, checked here: uvicorn would take a mistyped
    one for a host name and silently trust nothing (or something else)."""
    found = []
    for item in (item.strip() for item in raw.split(",")):
        if not item:
            continue
        if item == "*":
            raise SettingsError(
                f"{name} cannot be '*' (anyone could choose their address): list the proxies"
            )
        try:
            found.append(
                str(ipaddress.ip_network(item) if "/" in item else ipaddress.ip_address(item))
            )
        except ValueError:
            raise SettingsError(
                f"{name}: {item!r} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/24)"
            ) from None
    return tuple(found)


def _flag(raw: str, name: str, default: bool) -> bool:
    if raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


def _whole(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None


def _positive(raw: str, name: str, default: int) -> int:
    if raw == "":
        return default
    value = _whole(raw, name)
    if value <= 0:
        raise SettingsError(f"{name} must be positive, not {value}")
    return value


def _non_negative(raw: str, name: str, default: int) -> int:
    if raw == "":
        return default
    value = _whole(raw, name)
    if value < 0:
        raise SettingsError(f"{name} must be zero or more, not {value}")
    return value


def _positive_float(raw: str, name: str, default: float) -> float:
    value = _float(raw, name, default)
    if value <= 0:
        raise SettingsError(f"{name} must be a positive number, not {value!r}")
    return value


def _non_negative_float(raw: str, name: str, default: float) -> float:
    value = _float(raw, name, default)
    if value < 0:
        raise SettingsError(f"{name} must be zero or more, not {value!r}")
    return value


def _float(raw: str, name: str, default: float) -> float:
    if raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if not math.isfinite(value):
        raise SettingsError(f"{name} must be a finite number, not {raw!r}")
    return value


def _choice(allowed: tuple[str, ...]) -> Reader[str]:
    """One of ``allowed``; empty is the default."""

    def read(raw: str, name: str, default: str) -> str:
        value = raw or default
        if value not in allowed:
            raise SettingsError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
        return value

    return read


def _tiles_url(raw: str, name: str, default: str) -> str:
    if raw and not (
        raw.startswith(("https://", "http://")) and all(p in raw for p in ("{z}", "{x}", "{y}"))
    ):
        raise SettingsError(
            f"{name} must be an http(s) URL with {{z}}, {{x}} and {{y}}, "
            f"or empty for no tiles, not {raw!r}"
        )
    return raw


def _metrics_token(raw: str, name: str, default: str) -> str:
    if raw and len(raw) < MIN_SECRET_KEY_LENGTH:
        raise SettingsError(f"{name} must have at least {MIN_SECRET_KEY_LENGTH} characters")
    return raw


def _redis_url(raw: str, name: str, default: str) -> str:
    if raw and urlsplit(raw).scheme not in ("redis", "rediss", "unix"):
        raise SettingsError(
            f"{name} must be a redis://, rediss:// or unix:// address "
            f"(e.g. redis://127.0.0.1:6379/0), or empty to count in each process, not {raw!r}"
        )
    return raw


def _public_url(raw: str, name: str, default: str) -> str:
    """An http(s) origin, with a path prefix at most; kept without its final slash."""
    parts = urlsplit(raw)
    if raw and not (
        parts.scheme in ("http", "https")
        and parts.netloc
        and not parts.query
        and not parts.fragment
    ):
        raise SettingsError(
            f"{name} must be an http(s) address such as https://signaler.example, "
            f"or empty to use the request's, not {raw!r}"
        )
    return raw.rstrip("/")


def _address(raw: str, name: str, default: str) -> str:
    """An e-mail address, bare or with a display name (``Name <a@b.example>``)."""
    from email.utils import parseaddr

    value = raw.strip()
    if value and "@" not in parseaddr(value)[1]:
        raise SettingsError(f"{name} must be an e-mail address, such as Name <a@b.example>")
    return value


@dataclass(frozen=True)
class Settings:
    """Everything the service needs to know about where and how it runs.

    Each setting is declared once, here: its type, its default, and how its variable's text
    is read (``setting(default, reader)``). The variable is ``SERVICE_`` and the name in
    capitals (``max_page_size`` is ``SERVICE_MAX_PAGE_SIZE``), unless ``variable=`` says
    otherwise; ``secret=True`` also reads ``SERVICE_X_FILE`` and the service manager's
    credentials. A field declared with a plain default is not read from the environment.
    A new setting is one line here and one row in the README's table (a test compares them).
    """

    environment: Environment = setting("development", _environment, variable="SERVICE_ENV")
    data_dir: Path = setting(Path("var"), _path)
    # Empty means the embedded default: a SQLite file in data_dir.
    database_url: str = setting("", _text, secret=True)
    # Oldest first, newest last: the last one signs, every one verifies (rotation).
    secret_keys: tuple[str, ...] = setting((), _key_list, secret=True)
    graphiql: bool = setting(False, _flag)
    default_locale: str = setting("fr", _choice(SUPPORTED_LOCALES))
    # Read at run time: in the repository, or inside an installed wheel (service/resources.py).
    fixtures_dir: Path = resource_dir("fixtures")
    locales_dir: Path = resource_dir("locales")
    # The operations clients use, published as trusted documents (GET /graphql/documents.json).
    operations_dir: Path = resource_dir("graphql") / "operations"
    max_body_bytes: int = setting(1_000_000, _positive)
    max_query_depth: int = setting(12, _positive)
    max_aliases: int = setting(30, _positive)
    max_query_tokens: int = setting(4_000, _positive)
    max_page_size: int = setting(100, _positive)
    # Public answers are served from memory this long (0 turns the cache off).
    public_cache_seconds: float = setting(2.0, _non_negative_float)
    public_cache_entries: int = setting(1024, _positive)
    # A tracking token stops working this many days after its item was resolved or closed.
    tracking_token_days: int = setting(365, _positive)
    log_level: str = setting("info", _lowercase)
    # "text" (the default) or "json": one JSON object a line, for a log collector.
    log_format: str = setting("text", _choice(LOG_FORMATS))
    delivery_max_attempts: int = setting(8, _positive)
    delivery_backoff_seconds: float = setting(30.0, _positive_float)
    delivery_backoff_cap_seconds: float = setting(3600.0, _positive_float)
    delivery_poll_seconds: float = setting(2.0, _positive_float)
    # Opinions on sensors accepted per hour from one device, and from one network origin.
    opinions_per_device_hour: int = setting(20, _positive)
    opinions_per_origin_hour: int = setting(300, _positive)
    # Integrators (see README, "Integrators"). Requests and submissions a minute, per API
    # client and per anonymous network origin (counted per worker process: see README).
    client_requests_per_minute: int = setting(3000, _positive)
    client_submissions_per_minute: int = setting(300, _positive)
    anonymous_requests_per_minute: int = setting(600, _positive)
    anonymous_submissions_per_minute: int = setting(30, _positive)
    # The reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: addresses
    # or networks. Empty (the default): no proxy header is believed, the connecting address
    # is the origin that per-origin limits count.
    forwarded_allow_ips: tuple[str, ...] = setting((), _addresses)
    # Where rate limits, cost budgets and login and opinion throttles are counted by every
    # worker and host together (redis:// or rediss://, Redis or Valkey). Empty (the
    # default): each process counts alone (N workers admit up to N times a limit).
    redis_url: str = setting("", _redis_url)
    # /metrics (Prometheus) answers only with this bearer token; empty: /metrics is off (404).
    metrics_token: str = setting("", _metrics_token, secret=True)
    # Network origins are counted under keyed hashes whose key is replaced this often.
    origin_key_rotation_hours: float = setting(24.0, _positive_float)
    # Anonymous callers may only run the published operations (by documentId).
    anonymous_trusted_documents_only: bool = setting(False, _flag)
    # Query cost budgets (estimated fields x page sizes): per request, and per minute.
    # Every published operation fits the anonymous per-request budget (a test checks it);
    # answers served from the public cache are not charged to the per-minute budget.
    client_cost_per_request: int = setting(100_000, _positive)
    client_cost_per_minute: int = setting(2_000_000, _positive)
    anonymous_cost_per_request: int = setting(25_000, _positive)
    anonymous_cost_per_minute: int = setting(250_000, _positive)
    # Webhooks: at most this many per client; disabled after this many failed deliveries in a row.
    webhooks_per_client: int = setting(10, _positive)
    webhook_failures_to_disable: int = setting(20, _positive)
    # Development only (refused in production): integrators' webhooks may point at loopback
    # and private addresses over plain http, to test a receiver on their own machine.
    webhooks_allow_private: bool = setting(False, _flag)
    # Personal data (see README, "Personal data"). URL-safe base64 keys of 32 bytes, oldest
    # first: the last encrypts, all decrypt. Empty: derived from secret_keys.
    encryption_keys: tuple[str, ...] = setting((), _encryption_keys, secret=True)
    # A contact is deleted this many days after its item was closed (or resolved).
    contact_retention_days: int = setting(30, _positive)
    # The resident's free text of a finished item is redacted after this many days (5 years).
    free_text_retention_days: int = setting(1826, _positive)
    # Staff reads of contacts (the access log) are kept this many days.
    access_log_retention_days: int = setting(365, _positive)
    # `serve` runs the purge at start-up and then every this many hours.
    purge_interval_hours: float = setting(24.0, _positive_float)
    # `serve --demo` adds a year of example items (0: only the few example reports).
    demo_year_items: int = setting(9000, _non_negative)
    # Whether this host's processes run the search indexer (one of them at a time does).
    search_indexer: bool = setting(True, _flag)
    search_batch_size: int = setting(500, _positive)
    search_poll_seconds: float = setting(0.25, _positive_float)
    # whoosh (pure Python, the default) or tantivy (compiled, `pip install '.[tantivy]'`).
    search_engine: str = setting("whoosh", _choice(SEARCH_ENGINES))
    # Map tiles of the pages' maps ({z}, {x}, {y}); empty: commune outlines only, nothing fetched.
    map_tiles_url: str = setting(DEFAULT_MAP_TILES_URL, _tiles_url)
    # The address residents reach the pages at (``https://signaler.example``): what a printed
    # sign's QR code and a tracking link hold. Empty: the request's own (demo, tests).
    public_url: str = setting("", _public_url)
    # Moderation: open flags from the public that withhold an item's public text until review.
    moderation_flags_to_hide: int = setting(3, _positive)
    # A JSON file of words and phrases held for pre-moderation, added to the shipped list:
    # {"*": [...every body...], "<body code>": [...]} (service.moderation.terms).
    moderation_terms_file: Path | None = setting(None, _terms_file)
    # Photos (see README, "Photos"): each at most this many bytes as sent and pixels as
    # decoded, this many per item; the bodies whose photos are public without review; an
    # upload never attached to an item is deleted after this many hours.
    photo_max_bytes: int = setting(10_000_000, _positive)
    photo_max_pixels: int = setting(50_000_000, _positive)
    photos_per_item: int = setting(3, _positive)
    photo_auto_publish_bodies: tuple[str, ...] = setting((), _names)
    photo_unattached_hours: float = setting(24.0, _positive_float)
    # Outgoing e-mail (see README, "Messages"). An SMTP relay when mail_smtp_host is set;
    # otherwise, in demo mode or when mail_mailbox_dir is set, one .eml file per message in
    # that folder (default: <data dir>/mailbox in demo mode); otherwise messages wait, queued.
    mail_smtp_host: str = setting("", _stripped)
    mail_smtp_port: int = setting(587, _positive)
    # "starttls" (upgrade a plain connection), "tls" (implicit TLS, port 465) or "none".
    mail_smtp_security: str = setting("starttls", _choice(MAIL_SECURITY))
    mail_smtp_username: str = setting("", _text)
    mail_smtp_password: str = setting("", _text, repr=False)
    mail_sender: str = setting(DEFAULT_MAIL_SENDER, _address)
    mail_reply_to: str = setting("", _address)
    mail_mailbox_dir: Path | None = setting(None, _optional_path)
    mail_max_attempts: int = setting(8, _positive)
    mail_backoff_seconds: float = setting(60.0, _positive_float)
    mail_backoff_cap_seconds: float = setting(3600.0, _positive_float)
    # A claimed message is left to another worker (and sent again) after this long.
    mail_claim_seconds: float = setting(120.0, _positive_float)
    # At most this many messages to one address in 24 hours; the others wait.
    mail_per_address_day: int = setting(10, _positive)
    # The satisfaction questionnaire goes this many days after an item was resolved.
    mail_survey_days: int = setting(14, _positive)
    # Staff sign-in (see README, "Staff sign-in"): the OpenID providers (a JSON list, or the
    # path of a JSON file holding it: service/staff/oidc_settings.py). Plain-http issuers on
    # this machine are for development: refused in production by ``check_startable``.
    oidc_providers: tuple[OidcProvider, ...] = setting((), _oidc_providers)
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
        """Read ``SERVICE_*`` variables; unknown values raise a SettingsError (unknown
        variables do not: ``warn_unknown_variables`` reports them)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, (declared, spec) in variables().items():
            raw = _secret(env, name) if spec.secret else env.get(name)
            if raw is None or (spec.secret and not raw):
                continue
            values[declared.name] = spec.read(raw, name, declared.default)
        return cls(**values)

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
        for provider in self.oidc_providers:
            if urlsplit(provider.issuer).scheme != "https":
                raise SettingsError(
                    f"SERVICE_OIDC_PROVIDERS: provider {provider.id!r}: the issuer must be an "
                    "https URL when SERVICE_ENV=production"
                )
        for key in self.secret_keys:
            if key.startswith(DEMO_KEY_PREFIX):
                raise SettingsError("a demo secret key cannot be used when SERVICE_ENV=production")
            if len(key) < MIN_SECRET_KEY_LENGTH:
                raise SettingsError(
                    f"every secret key must have at least {MIN_SECRET_KEY_LENGTH} characters"
                )


def variables() -> dict[str, tuple[Field[Any], Variable]]:
    """Every variable read, in declaration order: its field and how it is read."""
    found = {}
    for declared in fields(Settings):
        spec = declared.metadata.get("variable")
        if isinstance(spec, Variable):
            found[spec.name or VARIABLE_PREFIX + declared.name.upper()] = (declared, spec)
    return found


def known_variables() -> set[str]:
    """The variables the service reads, secrets' ``_FILE`` forms included."""
    names = set(variables())
    return names | {f"{name}_FILE" for name, (_, spec) in variables().items() if spec.secret}


def unknown_variables(environ: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """Each ``SERVICE_*`` variable of the environment that no setting reads, and the known
    name closest to it (a typo), if one is close."""
    env = os.environ if environ is None else environ
    known = sorted(known_variables())
    return {
        name: next(iter(difflib.get_close_matches(name, known, n=1, cutoff=0.75)), None)
        for name in sorted(env)
        if name.startswith(VARIABLE_PREFIX) and name not in known
    }


def warn_unknown_variables(environ: Mapping[str, str] | None = None) -> None:
    """Log a warning for each unknown ``SERVICE_*`` variable: a mistyped name would
    otherwise leave its setting at the default, silently. Names only, never values."""
    for name, closest in unknown_variables(environ).items():
        hint = f" (did you mean {closest}?)" if closest else ""
        logger.warning("%s is not a setting of this service: ignored%s", name, hint)


def demo_secret_key(data_dir: Path) -> str:
    """A random key for demo mode, kept in the data dir so tokens survive a restart."""
    path = data_dir / "demo-secret-key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    key = DEMO_KEY_PREFIX + secrets.token_urlsafe(32)
    write_private_text(path, key + "\n")  # a key is never readable by others, not even briefly
    return key


# Secrets may come from a file instead of the environment (which other processes of the same
# user, and crash reports, may read): ``SERVICE_X_FILE``, or the service manager's credential
# store (systemd's LoadCredential=, as ``$CREDENTIALS_DIRECTORY/x``: ``secret-keys`` for
# SERVICE_SECRET_KEYS).


def credential_name(variable: str) -> str:
    """The file name of a secret in the service manager's credential store."""
    return variable.removeprefix(VARIABLE_PREFIX).lower().replace("_", "-")


def _secret(env: Mapping[str, str], name: str) -> str:
    """The variable's value; else its ``_FILE``'s content; else the systemd credential."""
    if env.get(name):
        return env[name].strip()
    path = env.get(f"{name}_FILE")
    if not path and env.get("CREDENTIALS_DIRECTORY"):
        candidate = Path(env["CREDENTIALS_DIRECTORY"]) / credential_name(name)
        path = str(candidate) if candidate.is_file() else None
    if not path:
        return ""
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise SettingsError(f"{name}_FILE: cannot read {path} ({error.strerror})") from None
