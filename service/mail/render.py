"""Messages as people read them: multipart text + HTML from Jinja templates, in the reader's
language from the catalogs. No image, no remote resource, no tracking: every link is a plain
link to this service's pages (``SERVICE_PUBLIC_URL``).
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr
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
# Quoted-printable rather than base64: a message stays readable as text (the demo mailbox).
READABLE_UTF8 = Charset("utf-8")
READABLE_UTF8.body_encoding = QP


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
        attachment: tuple[str, bytes] | None = None,
    ) -> Message:
        """The message to hand to SMTP: its Message-ID is ``<uid@sender's domain>``, so a
        message sent twice is recognisably the same one. ``attachment``: a JSON file's name
        and bytes.

        Built with the email.mime classes (the compat32 policy): the modern EmailMessage API
        parses every header through its registry and took 5 ms a message, this takes 0.5."""
        body = MIMEMultipart("alternative")
        body.attach(MIMEText(rendered.text, "plain", READABLE_UTF8))  # type: ignore[arg-type]
        body.attach(MIMEText(rendered.html, "html", READABLE_UTF8))  # type: ignore[arg-type]
        message: Message = body
        if attachment is not None:
            message = MIMEMultipart("mixed")
            message.attach(body)
            name, data = attachment
            part = MIMEApplication(data, "json")
            part.add_header("Content-Disposition", "attachment", filename=name)
            message.attach(part)
        # Header objects: folded after their name, not pushed whole to a continuation line.
        message["Subject"] = Header(rendered.subject, "utf-8", header_name="Subject")  # type: ignore[assignment]
        message["From"] = _address(self.settings.mail_sender)
        message["To"] = to
        if reply_to or self.settings.mail_reply_to:
            message["Reply-To"] = _address(reply_to or self.settings.mail_reply_to)
        message["Date"] = format_datetime(now)
        message["Message-ID"] = f"<{uid}@{self.domain}>"
        message["Content-Language"] = self.translator(language).locale
        # RFC 3834: an automatic message; out-of-office replies should not answer it.
        message["Auto-Submitted"] = "auto-generated"
        if unsubscribe is not None:
            # RFC 8058: a mail client unsubscribes with one POST, no cookie, no page.
            # Longer than a line: folded, so it reads " <…>" once unfolded (RFC 5322 §2.2.3).
            message["List-Unsubscribe"] = f"<{unsubscribe}>"
            message["List-Unsubscribe-Post"] = ONE_CLICK
        return message


def _address(value: str) -> str:
    """``Name <a@b>`` with the name encoded (RFC 2047) when it is not ASCII."""
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8") if name else address
