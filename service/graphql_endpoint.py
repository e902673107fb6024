"""``/graphql``: GraphQL over HTTP, written to the spec rather than adapted from a framework view.

A malformed HTTP request (bad JSON, wrong parameter types) gets 400 whatever the media type.
A well-formed request whose document cannot run (parse, validation, variable errors) gets 400
and no ``data`` under ``application/graphql-response+json`` (the spec's media type), and 200
with ``errors`` under ``application/json`` (legacy clients, and the default). GET runs queries
only; batching is off; every error a person may read comes out in the negotiated language,
with a stable ``extensions.code`` for programs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError
from starlette.requests import Request
from starlette.responses import Response
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from service.context import Caller, Context, Services
from service.errors import N_, DomainError
from service.i18n import graphql_messages
from service.i18n.negotiation import negotiate
from service.i18n.translator import Translator
from service.integrations import access
from service.integrations import rules as api_clients
from service.integrations.cost import estimate as estimate_cost
from service.integrations.documents import document_id
from service.integrations.ratelimit import request_key, submission_key
from service.integrations.rules import ClientIdentity
from service.limits import QUERY_TOO_DEEP, TOO_MANY_ALIASES
from service.response_cache import PublicResponseCache, is_public_read, may_write
from service.schema import INTERNAL_ERROR
from service.selections import QUERY_TOO_COMPLEX, QueryTooComplex
from service.settings import SUPPORTED_LOCALES
from service.staff import rules as staff_rules
from service.staff.rules import SESSION_COOKIE
from service.web.graphiql import graphiql_response

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


def _error(code: str, message: str, *, status: int = 400, **params: Any) -> Any:
    return RequestError(code, message, params, status=status)


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


def _explicit_locale(params: dict[str, Any], request: Request) -> str | None:
    """A language the caller names for this request, above Accept-Language: the request's
    ``extensions.locale`` or the URL's ``?locale=`` (for integrators whose HTTP stack sets
    headers once, and for links)."""
    extensions = params.get("extensions")
    if isinstance(extensions, dict) and isinstance(extensions.get("locale"), str):
        return str(extensions["locale"])
    return request.query_params.get("locale")


class GraphQLEndpoint:
    """The Starlette endpoint serving one schema."""

    def __init__(self, schema: strawberry.Schema, services: Services) -> None:
        self.schema = schema
        self.services = services
        # The published operations' texts and names, as requests send them (for the metrics).
        self._operation_names: dict[str, str] = {}

    async def handle(self, request: Request) -> Response:
        locale = negotiate(
            request.headers.get("accept-language"),
            SUPPORTED_LOCALES,
            self.services.settings.default_locale,
        )
        translator = self.services.translator(locale)
        if self._wants_ide(request):
            return graphiql_response()
        media_type = response_media_type(request.headers.get("accept"))
        if media_type is None:
            error = _error(
                "NOT_ACCEPTABLE",
                N_("Accept application/graphql-response+json or application/json."),
                status=406,
            )
            return self._respond_error(error, APPLICATION_JSON, translator)
        try:
            caller = await self._caller(request)
            params = self._resolve_document(await self._request_params(request), caller)
            request.state.operation = self._operation_label(params)
            explicit = _explicit_locale(params, request)
            if explicit is not None:
                translator = self.services.translator(
                    negotiate(
                        request.headers.get("accept-language"),
                        SUPPORTED_LOCALES,
                        self.services.settings.default_locale,
                        explicit,
                    )
                )
            if caller.client is not None:
                self._check_scopes(caller.client, params)
            charge = self._check_rate(request, caller, params) if caller.staff is None else None
            # Public answers are the same for everyone but staff: API clients share them with
            # anonymous callers (their scopes were checked above); staff answers never enter.
            cache_key = self._cache_key(params, translator.locale) if caller.staff is None else None
            if cache_key is not None and (body := self.cache.get(cache_key)) is not None:
                return self._bytes(body, 200, media_type, translator)
            if charge is not None:
                charge()  # the cost budget pays for work done, not for cached answers
            writes = may_write(str(params.get("query") or ""), params.get("operationName"))
            if writes and caller.session_token is not None:
                self._check_csrf(request, caller.session_token)
            context = Context.create(self.services, translator.locale, request, caller)
            result = await self._execute(request, params, context)
        except RequestError as error:
            return self._respond_error(error, media_type, translator)
        except QueryTooComplex as error:  # from the checks made before execution
            return self._respond_error(_too_complex(error.limit), media_type, translator)
        response = self._respond_result(result, media_type, translator)
        if cache_key is not None and response.status_code == 200 and not result.errors:
            self.cache.put(cache_key, bytes(response.body))
        elif writes:
            self.cache.invalidate()
        for cookie in context.cookies:
            response.set_cookie(
                cookie.name,
                cookie.value,
                max_age=cookie.max_age,
                httponly=True,
                samesite="lax",
                secure=request.url.scheme == "https",
                path="/",
            )
        return response

    async def identify(self, request: Request) -> Caller:
        """Who sends this request, as GraphQL sees them (for the photo endpoints); raises
        RequestError (401) for a key or token that opens nothing."""
        return await self._caller(request)

    def check_csrf(self, request: Request, session_token: str) -> None:
        """A change sent with a session cookie carries the session's X-CSRF-Token."""
        self._check_csrf(request, session_token)

    async def _caller(self, request: Request) -> Caller:
        """An API client by its key or staff by personal access token (both as
        ``Authorization: Bearer``; keys start ``alm_api_``), staff by session cookie; else
        anonymous. A token that opens nothing is an error; a stale cookie is just ignored."""
        services = self.services
        now = services.clock()
        authorization = request.headers.get("authorization", "")
        if authorization:
            scheme, _, token = authorization.partition(" ")
            identity = None
            if scheme.lower() == "bearer" and api_clients.is_client_key(token.strip()):
                async with services.db.reading() as session:
                    client = await api_clients.authenticate(session, token.strip())
                if client is None:
                    raise _error(
                        "NOT_AUTHENTICATED",
                        N_("This API key is not valid, or was revoked."),
                        status=401,
                    )
                return Caller(client=api_clients.identity_of(client))
            if scheme.lower() == "bearer":
                async with services.db.reading() as session:
                    identity = await staff_rules.identity_for_token(session, token.strip(), now)
            if identity is None:
                raise _error(
                    "NOT_AUTHENTICATED",
                    N_("This access token is not valid, or was revoked."),
                    status=401,
                )
            return Caller(staff=identity)
        return await services.caller_from_cookie(request.cookies.get(SESSION_COOKIE))

    def _operation_label(self, params: dict[str, Any]) -> str:
        """The operation's name for the metrics: a published operation's, else ``other``
        (never a name or text the client chose)."""
        query = params.get("query")
        if not isinstance(query, str):
            return "other"
        name = self._operation_names.get(query)
        if name is None:
            found = self.services.trusted_documents.get(document_id(query))
            name = found.name if found is not None else "other"
            if found is not None:  # the published texts only: a bounded set
                self._operation_names[query] = name
        return name

    def _resolve_document(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """Put the text of a trusted document in place of its ``documentId``; refuse free
        query text from a caller held to trusted documents."""
        documents = self.services.trusted_documents
        identifier = params.get("documentId")
        if identifier is not None:
            document = documents.get(identifier) if isinstance(identifier, str) else None
            if document is None:
                raise _error(
                    "DOCUMENT_NOT_FOUND",
                    N_("No published operation has this documentId; see /graphql/documents.json."),
                )
            query = params.get("query")
            if query is not None and query != document.body:
                raise _error("BAD_REQUEST", N_("Send either a documentId or a query, not both."))
            return {**params, "query": document.body}
        restricted = (
            caller.client.trusted_documents_only
            if caller.client is not None
            else caller.is_anonymous and self.services.settings.anonymous_trusted_documents_only
        )
        query = params.get("query")
        if restricted and not (isinstance(query, str) and documents.is_trusted(query)):
            raise _error(
                "TRUSTED_DOCUMENTS_ONLY",
                N_("Only the published operations are accepted: send their documentId."),
                status=403,
            )
        return params

    async def documents(self, request: Request) -> Response:
        """``GET /graphql/documents.json``: the published operations and their ids."""
        body = json.dumps(
            self.services.trusted_documents.manifest(), ensure_ascii=False, indent=1
        ).encode("utf-8")
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {"ETag": etag, "Cache-Control": "public, max-age=300"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="application/json; charset=utf-8", headers=headers)

    def _check_scopes(self, client: ClientIdentity, params: dict[str, Any]) -> None:
        """Refuse, before anything runs, an operation whose root fields the client's scopes
        do not open. A document that cannot be read goes on: execution says why."""
        query, operation_name = params.get("query"), params.get("operationName")
        if not isinstance(query, str) or not isinstance(operation_name, str | None):
            return
        fields = access.root_fields(query, operation_name)
        if fields is None:
            return
        missing = access.missing_scopes(fields, client.scopes)
        if missing:
            raise _error(
                "INSUFFICIENT_SCOPE",
                N_("This API client's scopes do not open %(fields)s."),
                status=403,
                fields=", ".join(missing),
            )

    def _check_rate(
        self, request: Request, caller: Caller, params: dict[str, Any]
    ) -> Callable[[], None] | None:
        """Count the request (and a submission) for the API client or the network origin,
        and check the query's cost against the per-request budget; 429 with Retry-After
        (or 400 for a query too costly) when over a limit. Returns what charges the cost to
        the per-minute budget once the query is about to run. Staff are not limited here."""
        settings, limiter = self.services.settings, self.services.rate_limiter
        if caller.client is not None:
            key = f"c:{caller.client.client_id}"
            limits = (
                settings.client_requests_per_minute,
                settings.client_submissions_per_minute,
                settings.client_cost_per_request,
                settings.client_cost_per_minute,
            )
        else:
            host = request.client.host if request.client else "unknown"
            key = limiter.origin(host)
            limits = (
                settings.anonymous_requests_per_minute,
                settings.anonymous_submissions_per_minute,
                settings.anonymous_cost_per_request,
                settings.anonymous_cost_per_minute,
            )
        query, operation_name = params.get("query"), params.get("operationName")
        wait = limiter.hit(request_key(key), limits[0])
        if not wait and access.submits(query, operation_name):
            wait = limiter.hit(submission_key(key), limits[1])
        if wait:
            raise too_many_requests(wait)
        variables = params.get("variables")
        if not isinstance(query, str) or not isinstance(operation_name, str | None):
            return None
        cost = estimate_cost(
            self.schema._schema,
            query,
            operation_name,
            variables if isinstance(variables, dict) else {},
        )
        if cost is None:
            return None
        if cost > limits[2]:
            error = _error(
                "QUERY_TOO_COSTLY",
                N_(
                    "This query is estimated at %(cost)s points, above the limit of %(limit)s "
                    "a request: ask for smaller pages or fewer fields."
                ),
                cost=cost,
                limit=limits[2],
            )
            error.extensions = {"cost": cost, "limit": limits[2]}
            raise error

        def charge() -> None:
            wait = limiter.hit(key + ":q", limits[3], cost)
            if wait:
                error = too_many_requests(wait)
                error.code = "COST_BUDGET_EXCEEDED"
                error.message = N_(
                    "The query cost budget of %(limit)s points a minute is spent (this query: "
                    "%(cost)s): please wait %(seconds)s s."
                )
                error.params.update(cost=cost, limit=limits[3])
                error.extensions = {"cost": cost, "limit": limits[3]}
                raise error

        return charge

    def _check_csrf(self, request: Request, session_token: str) -> None:
        expected = self.services.csrf_token(session_token)
        if not hmac.compare_digest(request.headers.get("x-csrf-token", ""), expected):
            raise _error(
                "CSRF_FAILED",
                N_("Send the X-CSRF-Token header given at login with this change."),
                status=403,
            )

    @property
    def cache(self) -> PublicResponseCache:
        return self.services.response_cache

    def _cache_key(self, params: dict[str, Any], locale: str) -> str | None:
        """The cache key of a public read by an anonymous caller, else None (not cached)."""
        query, operation_name = params.get("query"), params.get("operationName")
        variables = params.get("variables")
        if (
            not self.cache.enabled
            or not isinstance(query, str)
            or not isinstance(operation_name, str | None)
            or not isinstance(variables, dict | None)
            or not is_public_read(query, operation_name)
        ):
            return None
        return self.cache.key(query, operation_name, variables, locale)

    def _wants_ide(self, request: Request) -> bool:
        return (
            self.services.settings.graphiql
            and request.method == "GET"
            and "query" not in request.query_params
            and "text/html" in request.headers.get("accept", "")
        )

    async def _request_params(self, request: Request) -> dict[str, Any]:
        if request.method == "GET":
            params: dict[str, Any] = dict(request.query_params)
            for name in ("variables", "extensions"):
                if params.get(name):
                    params[name] = _parse_json(params[name], name)
            return params
        content_type, _, options = request.headers.get("content-type", "").partition(";")
        charset = options.strip().lower().removeprefix("charset=").strip('"')
        if content_type.strip().lower() != APPLICATION_JSON or charset not in ("", "utf-8"):
            raise _error(
                "UNSUPPORTED_MEDIA_TYPE",
                N_("Send the request body as application/json in UTF-8."),
                status=415,
            )
        body = await request.body()
        if not body:
            raise _error("BAD_REQUEST", N_("The request has no body."))
        parsed = _parse_json(body, "body")
        if not isinstance(parsed, dict):
            raise _error(
                "BAD_REQUEST",
                N_("The request body must be one JSON object; batched requests are not accepted."),
            )
        return parsed

    async def _execute(
        self, request: Request, params: dict[str, Any], context: Context
    ) -> ExecutionResult:
        query = params.get("query")
        if not isinstance(query, str) or not query.strip():
            raise _error("BAD_REQUEST", N_("The request has no GraphQL query string."))
        operation_name = params.get("operationName")
        if operation_name is not None and not isinstance(operation_name, str):
            raise _error("BAD_REQUEST", N_("operationName must be a string."))
        for name in ("variables", "extensions"):
            if params.get(name) is not None and not isinstance(params[name], dict):
                raise _error("BAD_REQUEST", N_("%(name)s must be a JSON object."), name=name)
        allowed = (
            {OperationType.QUERY}
            if request.method == "GET"
            else {OperationType.QUERY, OperationType.MUTATION}
        )
        try:
            return await self.schema.execute(
                query,
                variable_values=params.get("variables"),
                context_value=context,
                operation_name=operation_name,
                allowed_operation_types=allowed,
                operation_extensions=params.get("extensions"),
            )
        except InvalidOperationTypeError:
            raise _error(
                "METHOD_NOT_ALLOWED",
                N_("Only queries can be sent with GET; send mutations with POST."),
                status=405,
            ) from None
        except CannotGetOperationTypeError:
            error = _error(
                "OPERATION_NOT_FOUND",
                N_("Say which operation of the document to run with a matching operationName."),
            )
            error.about_document = True
            raise error from None

    def _respond_result(
        self, result: ExecutionResult, media_type: str, translator: Translator
    ) -> Response:
        errors = [_format_error(error, translator) for error in result.errors or []]
        if _is_request_error(result):
            status = 400 if media_type == GRAPHQL_RESPONSE_JSON else 200
            return self._json({"errors": errors}, status, media_type, translator)
        body: dict[str, Any] = {"data": result.data}
        if errors:
            body["errors"] = errors
        if result.extensions:
            body["extensions"] = result.extensions
        return self._json(body, 200, media_type, translator)

    def _respond_error(
        self, error: RequestError, media_type: str, translator: Translator
    ) -> Response:
        legacy = error.about_document and media_type == APPLICATION_JSON
        status = 200 if legacy else error.status
        message = translator.gettext(error.message, **error.params)
        extensions = {"code": error.code, **(error.extensions or {})}
        body = {"errors": [{"message": message, "extensions": extensions}]}
        response = self._json(body, status, media_type, translator)
        if error.headers:
            response.headers.update(error.headers)
        if status == 405:
            response.headers["Allow"] = "POST"
        return response

    def _json(self, body: Any, status: int, media_type: str, translator: Translator) -> Response:
        encoded = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return self._bytes(encoded, status, media_type, translator)

    def _bytes(self, body: bytes, status: int, media_type: str, translator: Translator) -> Response:
        return Response(
            body,
            status_code=status,
            media_type=f"{media_type}; charset=utf-8",
            headers={"Content-Language": translator.locale, "Vary": "Accept, Accept-Language"},
        )


def too_many_requests(wait_seconds: float) -> RequestError:
    seconds = max(1, math.ceil(wait_seconds))
    error: RequestError = _error(
        "RATE_LIMITED",
        N_("Too many requests: please wait %(seconds)s s before trying again."),
        status=429,
        seconds=seconds,
    )
    error.headers = {"Retry-After": str(seconds)}
    return error


# No input of the schema nests more than a few levels; Python's JSON parser, and whatever walks
# a value later (variable coercion, the cache key), recurse once per level.
MAX_JSON_DEPTH = 64


def _parse_json(raw: str | bytes, name: str) -> Any:
    try:
        value = json.loads(raw)
    except RecursionError:
        value = None
        too_deep = True
    except (ValueError, UnicodeDecodeError):
        if name == "body":
            raise _error("BAD_REQUEST", N_("The request body is not valid JSON.")) from None
        raise _error("BAD_REQUEST", N_("%(name)s is not valid JSON."), name=name) from None
    else:
        too_deep = _nested_deeper_than(value, MAX_JSON_DEPTH)
    if too_deep:  # raised out of the except block, not to keep the parser's frames alive
        raise _error(
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


def _is_request_error(result: ExecutionResult) -> bool:
    """Parse, validation and variable errors: nothing was executed, so there is no data."""
    if isinstance(result, PreExecutionError):
        return True
    return result.data is None and all(error.path is None for error in result.errors or [])


# Codes and translated messages for errors raised by graphql-core and our validation rules.
_LIMIT_MESSAGES = {
    QUERY_TOO_DEEP: N_("The query is nested deeper than the limit of %(limit)s levels."),
    TOO_MANY_ALIASES: N_("The query uses more than %(limit)s aliases."),
    QUERY_TOO_COMPLEX: N_(
        "The query is too complex to check (more than %(limit)s steps): repeat fewer fields "
        "and fragments."
    ),
}


def _too_complex(limit: int) -> RequestError:
    """The checks made before execution give up on the document as validation would."""
    error: RequestError = _error(QUERY_TOO_COMPLEX, _LIMIT_MESSAGES[QUERY_TOO_COMPLEX], limit=limit)
    error.about_document = True
    error.extensions = {"limit": limit}
    return error


def _format_error(error: GraphQLError, translator: Translator) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(error.formatted)
    extensions = dict(formatted.get("extensions") or {})
    code = extensions.get("code")
    original = error.original_error
    if isinstance(original, DomainError):
        # A resolver's refusal (not authenticated, forbidden...): typed and translated.
        extensions["code"] = original.code.value
        formatted["message"] = translator.gettext(original.message, **original.params)
    elif code in _LIMIT_MESSAGES:
        formatted["message"] = translator.gettext(_LIMIT_MESSAGES[code], limit=extensions["limit"])
    elif error.message == INTERNAL_ERROR and error.original_error is None:
        extensions["code"] = INTERNAL_ERROR
        formatted["message"] = translator.gettext(
            N_("An unexpected error occurred. It has been logged; please try again later.")
        )
    elif isinstance(error, GraphQLSyntaxError) or error.message.startswith("Syntax Error"):
        too_long = "tokens" in error.message
        extensions["code"] = "QUERY_TOO_LONG" if too_long else "GRAPHQL_PARSE_FAILED"
        where = error.locations[0] if error.locations else None
        formatted["message"] = translator.gettext(
            N_("The query could not be read: %(detail)s"),
            detail=graphql_messages.explain_syntax_error(
                where.line if where else None,
                where.column if where else None,
                translator,
                too_long=too_long,
            ),
        )
        extensions["detail"] = error.message  # graphql-core's words, for developers
    elif code is None and error.path is None:
        extensions["code"] = "GRAPHQL_VALIDATION_FAILED"
        formatted["message"] = translator.gettext(
            N_("The query does not fit the schema: %(detail)s"),
            detail=graphql_messages.explain(error.message, translator),
        )
        extensions["detail"] = error.message  # graphql-core's words, for developers
    if extensions:
        formatted["extensions"] = extensions
    return formatted
