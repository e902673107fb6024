"""An ASGI middleware refusing request bodies over a size limit with 413, before parsing."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Given the Accept-Language header (or None) and the limit, the message to show.
MessageFor = Callable[[str | None, int], str]


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """Answer 413 when Content-Length, or the bytes actually received, pass ``max_bytes``
    (or, for the exact paths of ``larger``, their own limit: where photos are sent)."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        message_for: MessageFor,
        larger: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.message_for = message_for
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.larger.get(scope.get("path", ""), self.max_bytes)
        headers = dict(scope["headers"])
        language = headers.get(b"accept-language", b"").decode("latin-1") or None
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
            await self._refuse(send, language, max_bytes)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send, language, max_bytes)

    async def _refuse(self, send: Send, language: str | None, max_bytes: int) -> None:
        body = json.dumps(
            {
                "errors": [
                    {
                        "message": self.message_for(language, max_bytes),
                        "extensions": {"code": "PAYLOAD_TOO_LARGE", "limit": max_bytes},
                    }
                ]
            },
            ensure_ascii=False,
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
