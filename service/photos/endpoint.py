"""HTTP side of photos: ``POST /media/uploads`` and the copies under ``/media/``.

An app uploads each photo on its own (the body is the image, or a multipart form with a
``photo`` file), with an ``Idempotency-Key`` header; the answer's ``uploadId`` goes into
``reportCreate`` (``photoUploadIds``). A retry after a dropped connection, same key and same
bytes, returns the same id. The 1 MB cap of GraphQL bodies is untouched: only these routes
(and the forms that carry photos) accept larger bodies (see ``BodySizeLimit``).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from service.context import Caller, Services
from service.errors import DomainError, ValidationFailed
from service.graphql_endpoint import GraphQLEndpoint, RequestError, too_many_requests
from service.i18n.negotiation import negotiate
from service.i18n.translator import Translator
from service.integrations.ratelimit import submission_key
from service.photos import rules
from service.photos.errors import PhotoErrorCode
from service.photos.models import Photo, PhotoStatus
from service.settings import SUPPORTED_LOCALES

UPLOAD_PATH = "/media/uploads"
YEAR = 365 * 24 * 3600
# A photo is never a document: no script, no plugin, no frame may run from it.
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Referrer-Policy": "no-referrer",
}
STATUS_OF = {
    PhotoErrorCode.FILE_TOO_LARGE: 413,
    PhotoErrorCode.UNSUPPORTED_TYPE: 415,
    PhotoErrorCode.IDEMPOTENCY_KEY_REUSED: 409,
}


class PhotoEndpoints:
    def __init__(self, services: Services, graphql: GraphQLEndpoint) -> None:
        self.services = services
        self.graphql = graphql

    def _translator(self, request: Request) -> Translator:
        settings = self.services.settings
        locale = negotiate(
            request.headers.get("accept-language"), SUPPORTED_LOCALES, settings.default_locale
        )
        return self.services.translator(locale)

    def _refuse(self, request: Request, errors: list[DomainError]) -> Response:
        translator = self._translator(request)
        body = {
            "errors": [
                {
                    "code": error.code.name,
                    "field": error.field,
                    "message": translator.gettext(error.message, **error.params),
                }
                for error in errors
            ]
        }
        status = next((STATUS_OF[e.code] for e in errors if e.code in STATUS_OF), 400)
        if any(e.code.name == "IDEMPOTENCY_KEY_REUSED" for e in errors):
            status = 409
        return _json(body, status)

    def _request_error(self, request: Request, error: RequestError) -> Response:
        translator = self._translator(request)
        body = {
            "errors": [
                {"code": error.code, "message": translator.gettext(error.message, **error.params)}
            ]
        }
        response = _json(body, error.status)
        response.headers.update(error.headers or {})
        return response

    async def upload(self, request: Request) -> Response:
        """Receive one photo; 201 with its upload id (200 for a retry), or typed errors."""
        try:
            caller = await self.graphql.identify(request)
            if caller.session_token is not None:
                self.graphql.check_csrf(request, caller.session_token)
            self._check_rate(request, caller)
        except RequestError as error:
            return self._request_error(request, error)
        limits = self.services.photo_limits
        try:
            data, key = await self._read(request, limits.max_bytes)
            uploaded = await rules.upload(
                self.services.db,
                self.services.photo_store,
                data,
                scope=caller.kind,
                key=key,
                limits=limits,
                now=self.services.clock(),
            )
        except ValidationFailed as failed:
            return self._refuse(request, failed.errors)
        photo = uploaded.photo
        return _json(
            {
                "uploadId": photo.id,
                "width": photo.width,
                "height": photo.height,
                "replayed": uploaded.replayed,
            },
            200 if uploaded.replayed else 201,
        )

    def _check_rate(self, request: Request, caller: Caller) -> None:
        """An upload counts as a submission (it costs as much as one, or more)."""
        if caller.staff is not None:
            return
        settings, limiter = self.services.settings, self.services.rate_limiter
        if caller.client is not None:
            key, limit = f"c:{caller.client.client_id}", settings.client_submissions_per_minute
        else:
            host = request.client.host if request.client else "unknown"
            key, limit = limiter.origin(host), settings.anonymous_submissions_per_minute
        wait = limiter.hit(submission_key(key), limit)
        if wait:
            raise too_many_requests(wait)

    async def _read(self, request: Request, max_bytes: int) -> tuple[bytes, str]:
        """The photo's bytes (never more than ``max_bytes`` + 1 read) and the key."""
        key = request.headers.get("idempotency-key", "")
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "multipart/form-data":
            async with request.form(max_files=1, max_fields=5) as form:
                part = form.get("photo")
                key = key or str(form.get("idempotencyKey") or "")
                if part is None or isinstance(part, str):
                    raise ValidationFailed([rules.empty_file()])
                data = await part.read(max_bytes + 1)
        else:
            chunks, size = [], 0
            async for chunk in request.stream():
                size += len(chunk)
                if size > max_bytes:
                    raise ValidationFailed([rules.file_too_large(max_bytes)])
                chunks.append(chunk)
            data = b"".join(chunks)
        if len(data) > max_bytes:
            raise ValidationFailed([rules.file_too_large(max_bytes)])
        return data, key

    async def public_copy(self, request: Request) -> Response:
        """An approved photo's public copy; 404 for anything else (pending, hidden, gone)."""
        parsed = _file_name(request.path_params["file"])
        if parsed is None:
            return Response(status_code=404)
        photo_id, small = parsed
        async with self.services.db.reading() as session:
            photo = await session.get(Photo, photo_id)
        if photo is None or photo.status != PhotoStatus.APPROVED.value:
            return Response(status_code=404, headers={"Cache-Control": "no-store"})
        versioned = request.query_params.get("v") == str(photo.version)
        cache = f"public, max-age={YEAR}, immutable" if versioned else "public, max-age=300"
        return self._file(request, photo, rules.public_variant(photo, small), cache)

    async def staff_copy(self, request: Request) -> Response:
        """A photo's staff copy, in any state, for staff of the bodies handling its item."""
        parsed = _file_name(request.path_params["file"])
        if parsed is None:
            return Response(status_code=404)
        photo_id, small = parsed
        try:
            caller = await self.graphql.identify(request)
        except RequestError as error:
            return self._request_error(request, error)
        async with self.services.db.reading() as session:
            photo = await rules.may_see_staff_copy(
                session, caller.staff, self.services.reference, photo_id
            )
        if photo is None:
            return Response(status_code=404, headers={"Cache-Control": "no-store"})
        return self._file(request, photo, "small" if small else "full", "private, no-store")

    async def shared_copy(self, request: Request) -> Response:
        """A photo's staff copy by a signed link (webhooks to the handling body, with the
        resident's consent to share): no session, the signature is the permission."""
        parsed = _file_name(request.path_params["file"])
        if parsed is None or not self.services.photo_links.valid(
            parsed[0], request.query_params.get("s", "")
        ):
            return Response(status_code=404, headers={"Cache-Control": "no-store"})
        photo_id, small = parsed
        async with self.services.db.reading() as session:
            photo = await session.get(Photo, photo_id)
        if photo is None or photo.item_id is None:
            return Response(status_code=404, headers={"Cache-Control": "no-store"})
        return self._file(request, photo, "small" if small else "full", "private, no-store")

    def _file(self, request: Request, photo: Photo, variant: str, cache: str) -> Response:
        etag = f'"{photo.id}-{photo.version}-{variant}"'
        headers = {**COMMON_HEADERS, "Cache-Control": cache, "ETag": etag}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        data = self.services.photo_store.get(photo.id, variant)
        if data is None:
            return Response(status_code=404, headers={"Cache-Control": "no-store"})
        return Response(data, media_type="image/jpeg", headers=headers)


def _file_name(name: str) -> tuple[str, bool] | None:
    """``<id>.jpg`` or ``<id>.small.jpg`` -> (id, small)."""
    if name.endswith(".small.jpg"):
        return name.removesuffix(".small.jpg"), True
    if name.endswith(".jpg") and name.count(".") == 1:
        return name.removesuffix(".jpg"), False
    return None


def _json(body: Any, status: int) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False),
        status_code=status,
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )
