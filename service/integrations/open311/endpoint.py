"""The Open311 GeoReport v2 HTTP endpoints, beside GraphQL, under ``/open311/v2/``.

``discovery``, ``services``, ``services/{code}``, ``requests`` (GET and POST) and
``requests/{id}``, each as ``.json`` or ``.xml``. Errors are ``[{code, description}]`` with
400, 403 or 404, as the specification says; descriptions are in the caller's language.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response

from service.context import Services
from service.errors import N_, ValidationFailed
from service.i18n.negotiation import negotiate
from service.i18n.translator import Translator
from service.inputs import fields_refusal
from service.integrations import rules as api_clients
from service.integrations.open311 import rules, xml
from service.photos import rules as photos
from service.settings import SUPPORTED_LOCALES

logger = logging.getLogger("service.open311")
PREFIX = "/open311/v2/"
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


class Open311Endpoint:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def handle(self, request: Request) -> Response:
        resource, _, extension = request.url.path[len(PREFIX) :].rpartition(".")
        fmt = extension if extension in FORMATS else "json"
        locale = negotiate(
            request.query_params.get("locale") or request.headers.get("accept-language"),
            SUPPORTED_LOCALES,
            self.services.settings.default_locale,
        )
        translator = self.services.translator(locale)
        retry_after: int | None = None
        try:
            if extension not in FORMATS or not resource:
                raise rules.Open311Error.saying(
                    404, N_("No such resource: end the path in .json or .xml.")
                )
            _check_texts([("path", resource), *request.query_params.multi_items()], translator)
            rules.check_jurisdiction(request.query_params.get("jurisdiction_id"))
            status, root, entry, content = await self._route(request, resource, translator)
        except rules.Open311Error as error:
            status, root, entry = error.status, "errors", "error"
            retry_after = error.retry_after
            content = [
                {"code": error.status, "description": d} for d in error.in_language(translator)
            ]
        except Exception:  # a bug or an outage: logged without the form (personal data)
            logger.exception("unexpected error on %s %s", request.method, request.url.path)
            status, root, entry = 500, "errors", "error"
            content = [
                {
                    "code": 500,
                    "description": translator.gettext(
                        N_(
                            "An unexpected error occurred. It has been logged; please try "
                            "again later."
                        )
                    ),
                }
            ]
        response = self._respond(status, fmt, root, entry, content, locale)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    def _media_base(self, request: Request) -> str:
        """Where photos are served from: SERVICE_PUBLIC_URL, else the request's own."""
        return self.services.settings.public_url or str(request.base_url).rstrip("/")

    async def _route(
        self, request: Request, resource: str, tr: Translator
    ) -> tuple[int, str, str | None, Any]:
        reference = self.services.reference
        parts = resource.split("/")
        if request.method == "POST":
            if parts != ["requests"]:
                raise rules.Open311Error.saying(404, N_("Only requests accepts POST."))
            return 200, "service_requests", "request", await self._post(request, tr)
        if parts == ["discovery"]:
            return 200, "discovery", None, self._discovery(request)
        if parts == ["services"]:
            help_url = f"{self._media_base(request)}/aide-numerique?lang={tr.locale}"
            return 200, "services", "service", rules.service_list(reference, tr, help_url)
        if len(parts) == 2 and parts[0] == "services":
            return (
                200,
                "service_definition",
                None,
                rules.service_definition(reference, parts[1], tr),
            )
        if parts == ["requests"]:
            params = dict(request.query_params)
            query = rules.parse_request_query(params, self.services.clock())
            async with self.services.db.reading() as session:
                found = await rules.find_requests(
                    session, reference, query, tr, self._media_base(request)
                )
            return 200, "service_requests", "request", found
        if len(parts) == 2 and parts[0] == "requests":
            query = rules.RequestQuery(ids=(parts[1].strip().upper(),))
            async with self.services.db.reading() as session:
                found = await rules.find_requests(
                    session, reference, query, tr, self._media_base(request)
                )
            if not found:
                raise rules.Open311Error.saying(
                    404, N_("No public request has the id %(id)s."), id=parts[1][:40]
                )
            return 200, "service_requests", "request", found
        raise rules.Open311Error.saying(404, N_("No such resource."))

    async def _post(self, request: Request, tr: Translator) -> list[dict[str, Any]]:
        content_type = request.headers.get("content-type", "")
        media: list[bytes] = []
        if "multipart/form-data" in content_type:
            fields, media = await self._multipart(request)
        elif "application/x-www-form-urlencoded" in content_type:
            try:
                fields = parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True)
            except (UnicodeDecodeError, ValueError):
                raise rules.Open311Error.saying(400, N_("The form is not valid UTF-8.")) from None
        else:
            raise rules.Open311Error.saying(
                400,
                N_(
                    "Send the request as application/x-www-form-urlencoded, or as "
                    "multipart/form-data with media."
                ),
            )
        _check_texts(fields, tr)
        async with self.services.db.reading() as session:
            client = await api_clients.authenticate(session, dict(fields).get("api_key"))
        if client is None:
            raise rules.Open311Error.saying(
                403, N_("A valid api_key is required to post requests.")
            )
        # The same submission budget as the client's GraphQL submissions (per worker).
        wait = self.services.rate_limiter.hit(
            f"c:{client.id}:s", self.services.settings.client_submissions_per_minute
        )
        if wait:
            seconds = max(1, math.ceil(wait))
            raise rules.Open311Error.saying(
                429,
                N_("Too many requests: try again in %(seconds)s seconds."),
                retry_after=seconds,
                seconds=seconds,
            )
        rules.check_jurisdiction(dict(fields).get("jurisdiction_id"))
        posted = rules.parse_posted(fields)
        try:
            if media:
                posted = replace(
                    posted,
                    photo_upload_ids=await self._upload_media(media, posted, f"api:{client.id}"),
                )
            submitted = await rules.submit(
                self.services.db,
                self.services.reference,
                posted,
                client,
                language=tr.locale,
                now=self.services.clock(),
                cipher=self.services.contact_cipher,
                photo_limits=self.services.photo_limits,
            )
        except ValidationFailed as failed:
            raise rules.Open311Error(400, rules.describe(failed.errors, tr)) from None
        self.services.response_cache.invalidate()
        item = submitted.item
        return [
            {
                "service_request_id": item.reference,
                "service_notice": None,
                "account_id": None,
                "tracking_token": self.services.tracking_tokens.issue(item),
            }
        ]

    async def _multipart(self, request: Request) -> tuple[list[tuple[str, str]], list[bytes]]:
        """The text fields and the ``media`` files (photos) of a multipart form."""
        limits = self.services.photo_limits
        fields: list[tuple[str, str]] = []
        media: list[bytes] = []
        try:
            async with request.form(max_files=limits.per_item, max_fields=200) as form:
                for name, value in form.multi_items():
                    if isinstance(value, str):
                        fields.append((name, value))
                    elif name == "media":
                        media.append(await value.read(limits.max_bytes + 1))
        except (MultiPartException, ValueError, KeyError, HTTPException):
            # (HTTPException: Starlette's own refusal, e.g. no boundary.)
            raise rules.Open311Error.saying(400, N_("The multipart form is not valid.")) from None
        return fields, media

    async def _upload_media(
        self, media: list[bytes], posted: rules.PostedRequest, scope: str
    ) -> tuple[str, ...]:
        """Each photo through the same processing as ``POST /media/uploads``; a retried
        POST (same idempotency_key) finds the same uploads."""
        ids = []
        for position, data in enumerate(media):
            uploaded = await photos.upload(
                self.services.db,
                self.services.photo_store,
                data,
                scope=scope,
                key=f"{posted.idempotency_key[:80]}:media:{position}",
                limits=self.services.photo_limits,
                now=self.services.clock(),
            )
            ids.append(uploaded.photo.id)
        return tuple(ids)

    def _discovery(self, request: Request) -> dict[str, Any]:
        base = str(request.base_url).rstrip("/") + PREFIX.rstrip("/")
        return {
            "changeset": "2026-11-29T00:00:00+00:00",
            "contact": "Angers Loire Métropole, open data",
            "key_service": "Ask ALM for an api_key; it is created with "
            "`python -m service api-client create`.",
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": base,
                    "changeset": "2026-11-29T00:00:00+00:00",
                    "type": "production",
                    "formats": list(FORMATS_ADVERTISED),
                }
            ],
        }

    @staticmethod
    def _respond(
        status: int, fmt: str, root: str, entry: str | None, content: Any, locale: str
    ) -> Response:
        if fmt == "xml":
            body = xml.document(root, entry, content)
        else:
            body = json.dumps(content, ensure_ascii=False).encode()
        return Response(
            body,
            status_code=status,
            media_type=FORMATS[fmt],
            headers={"Content-Language": locale, "Vary": "Accept-Language"},
        )


FORMATS_ADVERTISED = ("application/json", "text/xml")


def _check_texts(fields: list[tuple[str, str]], tr: Translator) -> None:
    """The text rule of every door (``service.inputs``), on the path, query and form."""
    refusal = fields_refusal(fields)
    if refusal is not None:
        raise rules.Open311Error(400, rules.describe([refusal.error()], tr))
