"""Messages as people read them: multipart text + HTML from Jinja templates, in the reader's
language from the catalogs. No image, no remote resource, no tracking: every link is a plain
link to this service's pages (``SERVICE_PUBLIC_URL``).
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from service.i18n.translator import Translator
from service.settings import SUPPORTED_LOCALES, Settings

TEMPLATES_DIR = Path(__file__).parent / "templates"
RTL = frozenset({"ar"})
# Links when SERVICE_PUBLIC_URL is empty: the demo's address (`serve --demo`).
DEMO_PUBLIC_URL = "http://localhost:8000"
ONE_CLICK = "List-Unsubscribe=One-Click"


def environment() -> Environment:
    """HTML templates autoescaped, text ones not; an undefined name is an error."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"], default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class Renderer:
    """Renders the templates of ``service/mail/templates`` and assembles messages."""

    def __init__(self, settings: Settings, translations: Mapping[str, gettext.NullTranslations]):
        self.settings = settings
        self._translations = translations
        self._env = environment()
        self.public_url = settings.public_url or DEMO_PUBLIC_URL
        self.domain = parseaddr(settings.mail_sender)[1].rpartition("@")[2] or "localhost"

    def translator(self, language: str) -> Translator:
        locale = language if language in SUPPORTED_LOCALES else self.settings.default_locale
        found = self._translations.get(locale) or gettext.NullTranslations()
        return Translator(locale, found)

    def link(self, path: str) -> str:
        return self.public_url + path

    def render(self, name: str, language: str, subject: str, **values: Any) -> Rendered:
        """``<name>.txt`` and ``<name>.html`` in ``language``; ``subject`` is a msgid whose
        placeholders come from ``values``."""
        translator = self.translator(language)

        def html_gettext(message: str, **params: Any) -> Markup:
            translated = escape(translator.translations.gettext(message))
            return translated % params if params else translated

        title = translator.gettext(subject, **values)
        common = {
            "subject": title,
            "lang": translator.locale,
            "dir": "rtl" if translator.locale in RTL else "ltr",
            "translator": translator,
            **values,
        }
        text = self._env.get_template(f"{name}.txt").render(_=translator.gettext, **common)
        html = self._env.get_template(f"{name}.html").render(_=html_gettext, **common)
        return Rendered(subject=title, text=text, html=html)

    def message(
        self,
        rendered: Rendered,
        *,
        uid: str,
        to: str,
        language: str,
        now: datetime,
        unsubscribe: str | None = None,
        reply_to: str | None = None,
    ) -> EmailMessage:
        """The message to hand to SMTP: its Message-ID is ``<uid@sender's domain>``, so a
        message sent twice is recognisably the same one."""
        message = EmailMessage()
        message["Subject"] = rendered.subject
        message["From"] = self.settings.mail_sender
        message["To"] = to
        if reply_to or self.settings.mail_reply_to:
            message["Reply-To"] = reply_to or self.settings.mail_reply_to
        message["Date"] = format_datetime(now)
        message["Message-ID"] = f"<{uid}@{self.domain}>"
        # RFC 3834: an automatic message; out-of-office replies should not answer it.
        message["Auto-Submitted"] = "auto-generated"
        if unsubscribe is not None:
            # RFC 8058: a mail client unsubscribes with one POST, no cookie, no page.
            message["List-Unsubscribe"] = f"<{unsubscribe}>"
            message["List-Unsubscribe-Post"] = ONE_CLICK
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        # After the parts: turning the message multipart moves Content-* headers into them.
        message["Content-Language"] = self.translator(language).locale
        return message
