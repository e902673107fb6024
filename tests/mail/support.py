"""A real SMTP server in the test process (aiosmtpd) and what the mail tests share."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from service.context import Services
from service.items import rules as items
from service.items.lifecycle import Status
from service.mail.sender import SendCounts, plan_mail, send_due_messages
from service.settings import Settings
from tests.support import ONE_ORIGIN_LIMITS, submit_report

PUBLIC_URL = "https://signaler.example"
SENDER = "Angers Loire Métropole <ne-pas-repondre@signaler.example>"
LINK = re.compile(r"https://signaler\.example/[^\s\"<>]+")


@dataclass
class Received:
    recipients: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]

    @property
    def html(self) -> str:
        part = self.message.get_body(("html",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]

    def links(self) -> list[str]:
        return LINK.findall(self.text)


@dataclass
class Inbox:
    """What the SMTP server received; scripted refusals for some recipients or DATA replies."""

    host: str = "127.0.0.1"
    port: int = 0
    received: list[Received] = field(default_factory=list)
    refused_recipients: set[str] = field(default_factory=set)
    data_replies: list[str] = field(default_factory=list)
    delay: float = 0.0
    # False: count messages, do not parse them (the benchmark's sink costs next to nothing)
    parse: bool = True
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # aiosmtpd's hook names
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.refused_recipients:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            if self.data_replies:
                return self.data_replies.pop(0)
            self.count += 1
            if not self.parse:
                return "250 Message accepted for delivery"
            content = envelope.content
            assert isinstance(content, bytes)
            parsed = message_from_bytes(content, policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            self.received.append(Received(list(envelope.rcpt_tos), parsed))
        if self.delay:  # kept, but the answer is slow: a client killed now never hears it
            await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if address in r.recipients]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def smtp_server() -> Iterator[Inbox]:
    inbox = Inbox(port=free_port())
    controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


DESCRIPTION = "Lampadaire éteint rue Lenepveu, appelez-moi au 06 12 34 56 78."


def address() -> str:
    return f"resident-{uuid.uuid4().hex[:10]}@example.org"


def contact(email: str, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "Camille Martin",
        "email": email,
        "followUpConsent": True,
        "consentTextVersion": "2026-01",
        **overrides,
    }


async def report(
    client: httpx.AsyncClient,
    email: str | None,
    language: str = "fr",
    point: tuple[float, float] | None = None,
    **more: Any,
) -> tuple[str, str]:
    """A report (with a contact if ``email``; ``more`` are the contact's fields)."""
    extra: dict[str, Any] = {"contact": contact(email, **more)} if email else {}
    if point is not None:
        extra["point"] = point
    payload = await submit_report(
        client,
        language=language,
        description=DESCRIPTION,
        **extra,
    )
    assert payload["errors"] == [], payload
    return payload["report"]["reference"], payload["trackingToken"]


async def deliver(services: Services, now: datetime | None = None) -> SendCounts:
    """What the mail worker does in one round: plan, then send until nothing is due."""
    moment = now or datetime.now(UTC)
    await plan_mail(services.db, services.settings, moment)
    total = SendCounts()
    while (counts := await send_due_messages(services.db, services.mailer, moment)) != SendCounts():
        total = SendCounts(
            *(a + b for a, b in zip(total.__dict__.values(), counts.__dict__.values(), strict=True))
        )
    return total


async def change(
    services: Services,
    reference: str,
    status: Status,
    text: str | None = None,
    now: datetime | None = None,
) -> None:
    async with services.db.writing() as session:
        item = await items.get_by_reference(session, reference)
        assert item is not None
        items.change_status(
            session,
            item,
            status,
            actor="staff:test",
            now=now or datetime.now(UTC),
            public_text=text,
        )


def query_token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["jeton"][0]


def local(link: str) -> str:
    """The link as the in-process client opens it (same path and query, no host)."""
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def mail_settings(url: str, folder: Path, inbox: Inbox) -> Settings:
    return Settings(
        database_url=url,
        data_dir=folder,
        secret_keys=("k" * 32,),
        public_url=PUBLIC_URL,
        mail_smtp_host=inbox.host,
        mail_smtp_port=inbox.port,
        mail_smtp_security="none",
        mail_sender=SENDER,
        mail_backoff_seconds=60.0,
        **ONE_ORIGIN_LIMITS,
    )
