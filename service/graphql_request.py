"""What the GraphQL endpoint's steps are made of: the request's refusals as values
(``RequestError``), reading the request (parameters, JSON, the caller, the CSRF token) and
writing responses."""

from __future__ import annotations

import hmac
import json
import math
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from service.context import Caller, Services
from service.errors import N_
from service.i18n.negotiation import negotiate
from service.i18n.translator import Translator
from service.integrations import rules as api_clients
from service.settings import SUPPORTED_LOCALES
from service.staff import rules as staff_rules
from service.staff.rules import SESSION_COOKIE

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"


@dataclass
class RequestError(Exception):
    """The request is not a GraphQL request we can run; answered without executing."""

    code: str
    message: str
    params: dict[str, Any]
    status: int = 400
    # A document-level error: legacy application/json clients get it with status 200.
    about_document: bool = False
    headers: dict[str, str] | None = None
    extensions: dict[str, Any] | None = None


def request_error(code: str, message: str, *, status: int = 400, **params: Any) -> RequestError:
    return RequestError(code, message, params, status=status)


def language_of(services: Services, request: Request, explicit: str | None = None) -> str:
    return negotiate(
        request.headers.get("accept-language"),
        SUPPORTED_LOCALES,
        services.settings.default_locale,
        explicit,
    )


def response_media_type(accept: str | None) -> str | None:
    """The media type to answer with, or None when the client accepts neither JSON type."""
    if not accept:
        return APPLICATION_JSON
    best: tuple[float, int, str] | None = None
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        if media == GRAPHQL_RESPONSE_JSON:
            candidate = (quality, 1, GRAPHQL_RESPONSE_JSON)
        elif media in (APPLICATION_JSON, "application/*", "*/*"):
            candidate = (quality, 0, APPLICATION_JSON)
        else:
            continue
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return best[2] if best else None


async def caller_of(services: Services, request: Request) -> Caller:
    """Who sends this request (see ``identify_caller``); raises RequestError (401) for a key
    or token that opens nothing."""
    authorization = request.headers.get("authorization", "")
    if not authorization:
        return await services.caller_from_cookie(request.cookies.get(SESSION_COOKIE))
    scheme, _, token = authorization.partition(" ")
    bearer = scheme.lower() == "bearer"
    if bearer and api_clients.is_client_key(token.strip()):
        async with services.db.reading() as session:
            client = await api_clients.authenticate(session, token.strip())
        if client is None:
            raise request_error(
                "NOT_AUTHENTICATED",
                N_("This API key is not valid, or was revoked."),
                status=401,
            )
        return Caller(client=api_clients.identity_of(client))
    identity = None
    if bearer:
        async with services.db.reading() as session:
            identity = await staff_rules.identity_for_token(
                session, token.strip(), services.clock()
            )
    if identity is None:
        raise request_error(
            "NOT_AUTHENTICATED",
            N_("This access token is not valid, or was revoked."),
            status=401,
        )
    return Caller(staff=identity)


def require_csrf_token(services: Services, request: Request, session_token: str) -> None:
    expected = services.csrf_token(session_token)
    if not hmac.compare_digest(request.headers.get("x-csrf-token", ""), expected):
        raise request_error(
            "CSRF_FAILED",
            N_("Send the X-CSRF-Token header given at login with this change."),
            status=403,
        )


async def request_params(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        params: dict[str, Any] = dict(request.query_params)
        for name in ("variables", "extensions"):
            if params.get(name):
                params[name] = parse_json(params[name], name)
        return params
    content_type, _, options = request.headers.get("content-type", "").partition(";")
    charset = options.strip().lower().removeprefix("charset=").strip('"')
    if content_type.strip().lower() != APPLICATION_JSON or charset not in ("", "utf-8"):
        raise request_error(
            "UNSUPPORTED_MEDIA_TYPE",
            N_("Send the request body as application/json in UTF-8."),
            status=415,
        )
    body = await request.body()
    if not body:
        raise request_error("BAD_REQUEST", N_("The request has no body."))
    parsed = parse_json(body, "body")
    if not isinstance(parsed, dict):
        raise request_error(
            "BAD_REQUEST",
            N_("The request body must be one JSON object; batched requests are not accepted."),
        )
    return parsed


def too_many_requests(wait_seconds: float) -> RequestError:
    seconds = max(1, math.ceil(wait_seconds))
    error = request_error(
        "RATE_LIMITED",
        N_("Too many requests: please wait %(seconds)s s before trying again."),
        status=429,
        seconds=seconds,
    )
    error.headers = {"Retry-After": str(seconds)}
    return error


def encoded_response(body: bytes, status: int, media_type: str, translator: Translator) -> Response:
    return Response(
        body,
        status_code=status,
        media_type=f"{media_type}; charset=utf-8",
        headers={"Content-Language": translator.locale, "Vary": "Accept, Accept-Language"},
    )


def json_response(body: Any, status: int, media_type: str, translator: Translator) -> Response:
    encoded = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return encoded_response(encoded, status, media_type, translator)


# No input of the schema nests more than a few levels; Python's JSON parser, and whatever walks
# a value later (variable coercion, the cache key), recurse once per level.
MAX_JSON_DEPTH = 64


def parse_json(raw: str | bytes, name: str) -> Any:
    try:
        value = json.loads(raw)
    except RecursionError:
        value = None
        too_deep = True
    except (ValueError, UnicodeDecodeError):
        if name == "body":
            raise request_error("BAD_REQUEST", N_("The request body is not valid JSON.")) from None
        raise request_error("BAD_REQUEST", N_("%(name)s is not valid JSON."), name=name) from None
    else:
        too_deep = _nested_deeper_than(value, MAX_JSON_DEPTH)
    if too_deep:  # raised out of the except block, not to keep the parser's frames alive
        raise request_error(
            "BAD_REQUEST",
            N_("%(name)s nests deeper than %(limit)s levels."),
            name=name,
            limit=MAX_JSON_DEPTH,
        )
    return value


def _nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than ``limit`` levels, found without recursion."""
    pending = [(value, 1)] if isinstance(value, dict | list) else []
    while pending:
        container, depth = pending.pop()
        if depth > limit:
            return True
        children = container.values() if isinstance(container, dict) else container
        pending.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False
