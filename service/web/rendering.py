"""The pages' Jinja2 environment and what a template knows about its request (``Page``).

The language is the one asked for with ``?lang=`` (then remembered in a cookie), else the
remembered one, else ``Accept-Language`` negotiated as the API does; messages come from the
API's gettext catalogs, numbers and dates are formatted by babel in that language.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cached_property
from gettext import NullTranslations
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from babel import Locale
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from service.context import Services
from service.i18n.negotiation import negotiate
from service.i18n.translator import Translator
from service.inputs import fields_refusal
from service.sensors.rules import TAXONOMY_LOCALES, Taxonomy, load_taxonomy
from service.settings import SUPPORTED_LOCALES
from service.web.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    CSRF_MAX_AGE_SECONDS,
    FormTokens,
    page_headers,
)

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
Endpoint = Callable[[Request], Awaitable[Response]]
T = TypeVar("T")
LANGUAGE_COOKIE = "alm_lang"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600
# Each language named in itself, as a reader looks for it in the switcher.
LANGUAGE_NAMES = {
    "fr": "Français",
    "en": "English",
    "es": "Español",
    "de": "Deutsch",
    "ar": "العربية",
}


def environment() -> Environment:
    """Autoescaped; an undefined name is an error, not an empty string."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )


def choose_locale(request: Request, default: str) -> tuple[str, bool]:
    """The page's language, and whether it was just chosen (to remember it)."""
    asked = request.query_params.get("lang")
    if asked in SUPPORTED_LOCALES:
        return str(asked), True
    remembered = request.cookies.get(LANGUAGE_COOKIE)
    explicit = remembered if remembered in SUPPORTED_LOCALES else None
    header = request.headers.get("accept-language")
    return negotiate(header, SUPPORTED_LOCALES, default, explicit), False


class StaticVersions:
    """``/static/<path>?v=<hash of the file>``: a changed file gets a new URL, so a browser
    may keep each one for a year."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._versions: dict[str, str] = {}

    def url(self, path: str) -> str:
        if path not in self._versions:
            digest = hashlib.sha256((self.root / path).read_bytes()).hexdigest()
            self._versions[path] = digest[:12]
        return f"/static/{path}?v={self._versions[path]}"


class SnapshotCache:
    """What the pages derive from the reference data, per language, kept as long as the
    process's reference snapshot (``services.reference``, replaced whole when reloaded: at
    start-up, and by a process that loads fixtures): the category picker, the communes, the
    DTPR taxonomy were rebuilt on every request, and the sensor pages spent half their time
    reading the taxonomy. What it holds is shared between requests: read it, never change it.
    """

    def __init__(self, services: Services) -> None:
        self.services = services
        self._snapshot: object | None = None
        self._values: dict[Hashable, Any] = {}

    def _current(self) -> dict[Hashable, Any]:
        if self.services.reference is not self._snapshot:
            self._snapshot, self._values = self.services.reference, {}
        return self._values

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        values = self._current()
        if key not in values:
            values[key] = build()
        return cast(T, values[key])

    async def get_async(self, key: Hashable, build: Callable[[], Awaitable[T]]) -> T:
        values = self._current()
        if key not in values:
            # Reloaded meanwhile: this lands in the old snapshot's dictionary, and is dropped.
            values[key] = await build()
        return cast(T, values[key])


class ThisMinute:
    """Public values that hold for the current minute of the service's clock (the places of
    a commune open now), by key; those of a minute gone are dropped. Never a reader's data."""

    def __init__(self) -> None:
        self._minute: int | None = None
        self._values: dict[Hashable, Any] = {}

    async def get_async(self, now: datetime, key: Hashable, build: Callable[[], Awaitable[T]]) -> T:
        minute = int(now.timestamp() // 60)
        if minute != self._minute:
            self._minute, self._values = minute, {}
        if key not in self._values:
            self._values[key] = await build()
        return cast(T, self._values[key])


class Holes:
    """The per-reader parts of a page rendered once for many (its CSRF fields, the
    idempotency keys of its forms), as marks no text of ours contains, then filled."""

    def __init__(self, nonce: str) -> None:
        self.nonce = nonce
        self.purposes: list[str] = []
        self.keys: dict[str, Callable[[], str]] = {}

    def csrf(self, purpose: str) -> str:
        self.purposes.append(purpose)
        return f"@@{self.nonce}:csrf:{purpose}@@"

    def key(self, name: str, make: Callable[[], str]) -> str:
        """A value made afresh for each reader (an idempotency key) by ``make``."""
        self.keys[name] = make
        return f"@@{self.nonce}:key:{name}@@"


@dataclass(frozen=True)
class SharedPage:
    html: str
    purposes: tuple[str, ...]
    keys: tuple[tuple[str, Callable[[], str]], ...]


class SharedPages:
    """Pages every reader gets alike but for their CSRF fields and keys (a sensor's page
    and sign, the blank forms), rendered once per version of what they show, language,
    address and reference snapshot. Bounded: the least recently used go first."""

    def __init__(self, services: Services, max_entries: int = 512) -> None:
        self.services = services
        self.max_entries = max_entries
        self.nonce = secrets.token_hex(8)
        self._snapshot: object | None = None
        self._pages: OrderedDict[Hashable, SharedPage] = OrderedDict()

    def get(self, key: Hashable) -> SharedPage | None:
        if self.services.reference is not self._snapshot:
            self._snapshot, self._pages = self.services.reference, OrderedDict()
        found = self._pages.get(key)
        if found is not None:
            self._pages.move_to_end(key)
        return found

    def put(self, key: Hashable, shared: SharedPage) -> None:
        if self.services.reference is not self._snapshot:
            return  # rendered from a snapshot since replaced
        self._pages[key] = shared
        while len(self._pages) > self.max_entries:
            self._pages.popitem(last=False)


@functools.cache
def _direction(locale: str) -> str:
    order = Locale.parse(locale).character_order
    return "rtl" if order == "right-to-left" else "ltr"


@functools.lru_cache(maxsize=8192)
def _translated(translations: NullTranslations, message: str) -> Markup:
    # A page asks for some thirty messages, the same on every request in its language.
    return escape(translations.gettext(message))


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    href: str
    current: bool


@dataclass
class Page:
    """One request's page: its language and formatting, its CSRF tokens, its cookies."""

    request: Request
    translator: Translator
    tokens: FormTokens
    statics: StaticVersions
    remember_language: bool
    csrf_cookie: str | None
    # SERVICE_PUBLIC_URL: the base of every absolute URL a page makes; "" for the request's.
    public_url: str = ""
    # The CSRF cookie to send: set when a form's token is issued, so that the cookie lives at
    # least as long as every token made from it.
    new_csrf_cookie: str | None = None
    # Filled by handlers: the form's values and its errors by field name.
    values: dict[str, Any] = field(default_factory=dict)
    # Rendering once for many readers (``Web.render_shared``): the CSRF fields are left as
    # holes, filled for each reader; the purposes of the holes left.
    holes: Holes | None = None

    @property
    def locale(self) -> str:
        return self.translator.locale

    @property
    def direction(self) -> str:
        return _direction(self.locale)

    def gettext(self, message: str, **params: Any) -> Markup:
        """A message of the catalogs; its parameters are escaped, the result is safe."""
        translated = _translated(self.translator.translations, message)
        return translated % params if params else translated

    def ngettext(self, singular: str, plural: str, count: int, **params: Any) -> Markup:
        translated = escape(self.translator.translations.ngettext(singular, plural, count))
        return translated % {"count": self.translator.number(count), **params}

    def number(self, value: float) -> str:
        return self.translator.number(value)

    def date(self, value: date) -> str:
        return self.translator.date(value)

    def datetime(self, value: datetime) -> str:
        return self.translator.datetime(value)

    def static(self, path: str) -> str:
        return self.statics.url(path)

    def csrf(self, purpose: str) -> Markup:
        """The hidden field a form of this purpose carries."""
        if self.holes is not None:
            return Markup(self.holes.csrf(purpose))
        cookie = self.csrf_cookie or self.new_csrf_cookie or self.tokens.new_cookie_value()
        self.new_csrf_cookie = cookie
        token = self.tokens.issue(cookie, purpose)
        # Concatenated: Markup.format's escaping formatter costs as much as the signature.
        return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">')

    def csrf_valid(self, form: Mapping[str, str], purpose: str) -> bool:
        return self.tokens.verify(self.csrf_cookie, form.get(CSRF_FIELD), purpose)

    def url(self, path: str, **query: str | None) -> str:
        """A link to one of our pages, keeping the language chosen on this one."""
        if not query:  # the menu's and footer's links: the same for the whole page
            return self._plain_url(path)
        params = {k: v for k, v in query.items() if v is not None}
        if self._keeps_language:
            params.setdefault("lang", self.locale)
        return f"{path}?{urlencode(params)}" if params else path

    @cached_property
    def _keeps_language(self) -> bool:
        return self.remember_language or bool(self.request.query_params.get("lang"))

    def _plain_url(self, path: str) -> str:
        return f"{path}?lang={self.locale}" if self._keeps_language else path

    def absolute(self, url: str) -> str:
        """One of our URLs (``/capteurs/x``) as printed on a sign or carried by a QR code:
        under SERVICE_PUBLIC_URL when it is set, so that no Host header decides it."""
        return (self.public_url or str(self.request.base_url).rstrip("/")) + url

    @property
    def secure_cookies(self) -> bool:
        """Cookies only over HTTPS when the service is reached by it."""
        return self.public_url.startswith("https://") or self.request.url.scheme == "https"

    def languages(self) -> list[Language]:
        """The switcher: this page in each language (its other parameters kept)."""
        kept = urlencode({k: v for k, v in self.request.query_params.items() if k != "lang"})
        base = f"{self.request.url.path}?{kept}&lang=" if kept else f"{self.request.url.path}?lang="
        return [
            Language(code, LANGUAGE_NAMES[code], base + code, code == self.locale)
            for code in SUPPORTED_LOCALES
        ]

    def set_cookies(self, response: Response) -> None:
        secure = self.secure_cookies
        if self.remember_language:
            response.set_cookie(
                LANGUAGE_COOKIE,
                self.locale,
                max_age=LANGUAGE_COOKIE_SECONDS,
                httponly=True,
                samesite="lax",
                secure=secure,
            )
        if self.new_csrf_cookie is not None:
            response.set_cookie(
                CSRF_COOKIE,
                self.new_csrf_cookie,
                max_age=CSRF_MAX_AGE_SECONDS,
                httponly=True,
                samesite="lax",
                secure=secure,
            )


class Web:
    """What the pages share for the process's life: templates, tokens, settings."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.env = environment()
        self.statics = StaticVersions(STATIC_DIR)
        self.derived = SnapshotCache(services)
        self.shared = SharedPages(services)
        self.this_minute = ThisMinute()

    @property
    def tiles_url(self) -> str:
        return self.services.settings.map_tiles_url

    async def taxonomy(self, session: AsyncSession, locale: str) -> Taxonomy:
        """The DTPR taxonomy in ``locale``, read once per reference snapshot.

        It changes only through ``load-fixtures`` (nothing edits it), as the reference data
        does: a process that loads fixtures reloads its reference data, hence this; a server
        sees a ``load-fixtures`` run by another process after a restart, as it sees new
        communes, categories and services. The GraphQL fields still read it each time."""
        # DTPR's own languages carry no translation: one entry serves them all.
        language = None if locale in TAXONOMY_LOCALES else locale
        return await self.derived.get_async(
            ("taxonomy", language), lambda: load_taxonomy(session, language)
        )

    @cached_property
    def tokens(self) -> FormTokens:
        return FormTokens(self.services.secret_keys)

    def page(self, request: Request) -> Page:
        locale, chosen = choose_locale(request, self.services.settings.default_locale)
        return Page(
            request=request,
            translator=self.services.translator(locale),
            tokens=self.tokens,
            statics=self.statics,
            remember_language=chosen,
            csrf_cookie=request.cookies.get(CSRF_COOKIE),
            public_url=self.services.settings.public_url,
        )

    def render(
        self,
        page: Page,
        template: str,
        *,
        status: int = 200,
        private: bool = False,
        **values: Any,
    ) -> Response:
        """The page in its language, with the security headers every page has."""
        html = self._html(page, template, values)
        response = HTMLResponse(html, status_code=status, headers=self.headers(page, private))
        page.set_cookies(response)
        return response

    async def render_shared(
        self,
        page: Page,
        template: str,
        version: Hashable,
        build: Callable[[Holes], Awaitable[dict[str, Any]]],
        *,
        private: bool = False,
    ) -> Response:
        """``template`` as ``render`` makes it, rendered once for every reader while
        ``version`` (what the page shows: a sensor's last change, its opinions...) and the
        reference snapshot hold; ``build`` gives its values on a miss, making each reader's
        own parts (idempotency keys) with ``holes.key``. Only for a page that shows no
        reader's input: its address (path, query, base URL) is part of the key."""
        request = page.request
        key = (
            template,
            version,
            page.locale,
            page.remember_language,
            request.url.path,
            request.url.query,
            page.public_url or str(request.base_url),
        )
        shared = self.shared.get(key)
        if shared is None:
            holes = Holes(self.shared.nonce)
            stamped = replace(page, holes=holes)
            values = await build(holes)
            html = self._html(stamped, template, values)
            shared = SharedPage(html, tuple(holes.purposes), tuple(holes.keys.items()))
            self.shared.put(key, shared)
        html = shared.html
        for purpose in shared.purposes:
            html = html.replace(f"@@{self.shared.nonce}:csrf:{purpose}@@", page.csrf(purpose))
        for name, make in shared.keys:
            html = html.replace(f"@@{self.shared.nonce}:key:{name}@@", str(escape(make())))
        response = HTMLResponse(html, headers=self.headers(page, private))
        page.set_cookies(response)
        return response

    def _html(self, page: Page, template: str, values: dict[str, Any]) -> str:
        values.setdefault("nav", None)  # which item of the main menu is this page
        values.setdefault("errors", {})  # the form's errors by field ("" for the whole form)
        return self.env.get_template(template).render(
            page=page,
            _=page.gettext,
            ngettext=page.ngettext,
            tiles_url=self.tiles_url,
            **values,
        )

    def route(self, path: str, endpoint: Endpoint, method: str = "GET") -> Route:
        """A page's route: every one is ``checked``."""
        return Route(path, self.checked(endpoint), methods=[method])

    def checked(self, endpoint: Endpoint) -> Endpoint:
        """``endpoint`` behind the text rule every door applies (``service.inputs``): a query
        parameter or a part of the path holding a refused character is answered 400 with
        the refusal, in the reader's language, before the page reads any of them."""

        async def guarded(request: Request) -> Response:
            fields = [*request.path_params.items(), *request.query_params.multi_items()]
            refusal = fields_refusal(fields)
            if refusal is None:
                return await endpoint(request)
            page = self.page(request)
            message = refusal.describe(page.translator)
            return self.render(page, "refused.html", status=400, private=True, message=message)

        return guarded

    def redirect(self, page: Page, url: str, *, private: bool = False) -> Response:
        """After a POST: 303, so that reloading the next page does not post again."""
        response = RedirectResponse(url, status_code=303, headers=self.headers(page, private))
        page.set_cookies(response)
        return response

    def headers(self, page: Page, private: bool) -> dict[str, str]:
        headers = page_headers(self.tiles_url, private=private)
        headers["Content-Language"] = page.locale
        headers["Vary"] = "Accept-Language, Cookie"
        return headers
