"""How a rendered message leaves: an SMTP relay (aiosmtplib), or the demo mailbox folder.

A transport opens a *connection* per sending round (one SMTP session for a whole batch) whose
``send`` returns None when the message was accepted, else a ``Refusal``: permanent (a 5xx
reply, the address gets nothing more) or temporary (4xx, network: tried again later). Reasons
carry reply codes and exception types only, never an address.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Protocol

import aiosmtplib

from service.private_files import make_private_folder
from service.settings import Settings

SMTP_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class Refusal:
    """Why a message was not accepted; ``permanent`` for a 5xx reply (a hard bounce)."""

    reason: str
    permanent: bool = False


class Connection(Protocol):
    async def send(self, message: Message) -> Refusal | None: ...


class Transport(Protocol):
    def connect(self) -> contextlib.AbstractAsyncContextManager[Connection]: ...


class SmtpConnection:
    """One SMTP session, (re)opened on demand: a dropped connection fails one message (tried
    again later), the next one reconnects."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: aiosmtplib.SMTP | None = None

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        settings = self._settings
        client = aiosmtplib.SMTP(
            hostname=settings.mail_smtp_host,
            port=settings.mail_smtp_port,
            use_tls=settings.mail_smtp_security == "tls",
            start_tls=True if settings.mail_smtp_security == "starttls" else False,
            username=settings.mail_smtp_username or None,
            password=settings.mail_smtp_password or None,
            timeout=SMTP_TIMEOUT_SECONDS,
        )
        await client.connect()
        self._client = client
        return client

    async def send(self, message: Message) -> Refusal | None:
        try:
            client = await self._connected()
            refused, _ = await client.send_message(message)
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = sorted({r.code for r in error.recipients})
            return Refusal(f"SMTP {codes[0] if codes else 550}", permanent=_permanent(codes))
        except aiosmtplib.SMTPResponseException as error:
            return Refusal(f"SMTP {error.code}", permanent=_permanent([error.code]))
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            self._client = None
            return Refusal(f"connection error ({type(error).__name__})")
        if refused:  # some recipients refused (we send to one: it was refused)
            codes = sorted(code for code, _ in refused.values())
            return Refusal(f"SMTP {codes[0]}", permanent=_permanent(codes))
        return None

    async def close(self) -> None:
        if self._client is not None and self._client.is_connected:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
                await self._client.quit()
        self._client = None


def _permanent(codes: list[int]) -> bool:
    return bool(codes) and all(500 <= code < 600 for code in codes)


class SmtpTransport:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[Connection]:
        connection = SmtpConnection(self._settings)
        try:
            yield connection
        finally:
            await connection.close()


class MailboxConnection:
    def __init__(self, folder: Path) -> None:
        self._folder = folder

    async def send(self, message: Message) -> Refusal | None:
        # Named after the Message-ID: a message sent twice is one file, written whole (a
        # temporary file renamed) so a reader never sees half of one.
        uid = str(message["Message-ID"]).strip("<>").split("@")[0]
        target = self._folder / f"{uid}.eml"
        partial = self._folder / f".{uid}.tmp"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(message.as_bytes())
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, target)
        return None


class MailboxTransport:
    """Demo mode: one ``.eml`` file per message in a folder, for a newcomer to open."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[Connection]:
        make_private_folder(self.folder)  # messages hold addresses: owner-only
        yield MailboxConnection(self.folder)


def transport_for(settings: Settings) -> Transport | None:
    """The SMTP relay if one is configured, else the mailbox folder (demo), else None:
    messages then wait, queued, until a relay is configured."""
    if settings.mail_smtp_host:
        return SmtpTransport(settings)
    folder = settings.mailbox_dir
    return MailboxTransport(folder) if folder is not None else None
