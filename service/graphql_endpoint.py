"""``/graphql``: GraphQL over HTTP, written to the spec rather than adapted from a framework view.

A malformed HTTP request (bad JSON, wrong parameter types) gets 400 whatever the media type.
A well-formed request whose document cannot run (parse, validation, variable errors) gets 400
and no ``data`` under ``application/graphql-response+json`` (the spec's media type), and 200
with ``errors`` under ``application/json`` (legacy clients, and the default). GET runs queries
only; batching is off; every error a person may read comes out in the negotiated language,
with a stable ``extensions.code`` for programs.

A request goes through the named steps of ``STEPS`` (``service.graphql_steps``), in that
order, then its response through ``FINISHERS``. Errors are told apart by their code
(``extensions.code``, set where they are made), never by their English text.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLSchema, build_schema
from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from service.context import Caller, Services
from service.errors import N_, DomainError
from service.field_access import AccessTable
from service.graphql_request import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    RequestError,
    caller_of,
    json_response,
    request_error,
    require_csrf_token,
    response_media_type,
    too_many_requests,
)
from service.graphql_steps import (
    Exchange,
    Finisher,
    Runtime,
    Step,
    answer_from_cache,
    charge_cost,
    check_csrf,
    check_rate,
    check_scopes,
    choose_explicit_language,
    choose_language,
    choose_media_type,
    execute,
    identify_caller,
    label_operation,
    offer_ide,
    read_params,
    remember_or_forget,
    resolve_trusted_document,
    set_cookies,
)
from service.i18n import graphql_messages
from service.i18n.translator import Translator
from service.limits import GRAPHQL_PARSE_FAILED, QUERY_TOO_DEEP, QUERY_TOO_LONG, TOO_MANY_ALIASES
from service.schema import INTERNAL_ERROR
from service.selections import QUERY_TOO_COMPLEX, QueryTooComplex

__all__ = [
    "APPLICATION_JSON",
    "FINISHERS",
    "GRAPHQL_RESPONSE_JSON",
    "STEPS",
    "GraphQLEndpoint",
    "RequestError",
    "response_media_type",
    "too_many_requests",
]

# The order matters, and is written here only: a refusal must cost little (media type, caller,
# document before limits), API clients are refused what their scopes do not open before they
# are counted, a cached answer is given before the cost budget is charged, and the CSRF check
# comes before anything runs.
STEPS: tuple[Step, ...] = (
    choose_language,  # Accept-Language
    offer_ide,  # GraphiQL for a browser
    choose_media_type,  # Accept (406)
    identify_caller,  # API key, staff token or session cookie (401)
    read_params,  # GET query string or JSON body (400, 415)
    resolve_trusted_document,  # documentId, trusted-documents-only callers (403)
    label_operation,  # for the metrics
    choose_explicit_language,  # extensions.locale or ?locale=
    check_scopes,  # API client scopes (403)
    check_rate,  # request, submission and cost limits (429, 400)
    answer_from_cache,  # the public response cache
    charge_cost,  # the per-minute cost budget (429)
    check_csrf,  # a change with a session cookie (403)
    execute,  # the operation itself
)
FINISHERS: tuple[Finisher, ...] = (remember_or_forget, set_cookies)


class GraphQLEndpoint:
    """The Starlette endpoint serving one schema."""

    def __init__(self, schema: strawberry.Schema, services: Services) -> None:
        self.schema = schema
        self.services = services
        self.runtime = Runtime(
            schema=schema,
            types=graphql_types(schema),
            access=AccessTable.of(schema),
            services=services,
        )

    async def handle(self, request: Request) -> Response:
        x = Exchange(
            self.runtime, request, self.services.translator(self.services.settings.default_locale)
        )
        try:
            for step in STEPS:
                answer = await step(x)
                if answer is not None:
                    return answer
        except RequestError as error:
            return error_response(error, x.media_type, x.translator)
        except QueryTooComplex as error:  # from the checks made before execution
            return error_response(too_complex(error.limit), x.media_type, x.translator)
        if x.result is None:  # a step list that does not end with ``execute``
            raise RuntimeError("the GraphQL steps ran nothing")
        response = result_response(x.result, x.media_type, x.translator)
        for finish in FINISHERS:
            finish(x, response)
        return response

    async def identify(self, request: Request) -> Caller:
        """Who sends this request, as GraphQL sees them (for the photo endpoints); raises
        RequestError (401) for a key or token that opens nothing."""
        return await caller_of(self.services, request)

    def check_csrf(self, request: Request, session_token: str) -> None:
        """A change sent with a session cookie carries the session's X-CSRF-Token."""
        require_csrf_token(self.services, request, session_token)

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


def graphql_types(schema: strawberry.Schema) -> GraphQLSchema:
    """The schema's types as graphql-core objects, built from its SDL (public API only);
    once per set of root types, since the SDL depends on nothing else (the settings change
    the schema's extensions, not its types)."""
    roots = (schema.query, schema.mutation, schema.subscription)
    types = _TYPES.get(roots)
    if types is None:
        types = _TYPES[roots] = build_schema(schema.as_str())
    return types


_TYPES: dict[tuple[type | None, ...], GraphQLSchema] = {}


def result_response(result: ExecutionResult, media_type: str, translator: Translator) -> Response:
    errors = [format_error(error, translator) for error in result.errors or []]
    if is_request_error(result):
        status = 400 if media_type == GRAPHQL_RESPONSE_JSON else 200
        return json_response({"errors": errors}, status, media_type, translator)
    body: dict[str, Any] = {"data": result.data}
    if errors:
        body["errors"] = errors
    if result.extensions:
        body["extensions"] = result.extensions
    return json_response(body, 200, media_type, translator)


def error_response(error: RequestError, media_type: str, translator: Translator) -> Response:
    legacy = error.about_document and media_type == APPLICATION_JSON
    status = 200 if legacy else error.status
    message = translator.gettext(error.message, **error.params)
    extensions = {"code": error.code, **(error.extensions or {})}
    body = {"errors": [{"message": message, "extensions": extensions}]}
    response = json_response(body, status, media_type, translator)
    if error.headers:
        response.headers.update(error.headers)
    if status == 405:
        response.headers["Allow"] = "POST"
    return response


def is_request_error(result: ExecutionResult) -> bool:
    """Parse, validation and variable errors: nothing was executed, so there is no data."""
    if isinstance(result, PreExecutionError):
        return True
    return result.data is None and all(error.path is None for error in result.errors or [])


# Codes and translated messages for errors raised by our validation rules.
_LIMIT_MESSAGES = {
    QUERY_TOO_DEEP: N_("The query is nested deeper than the limit of %(limit)s levels."),
    TOO_MANY_ALIASES: N_("The query uses more than %(limit)s aliases."),
    QUERY_TOO_COMPLEX: N_(
        "The query is too complex to check (more than %(limit)s steps): repeat fewer fields "
        "and fragments."
    ),
}


def too_complex(limit: int) -> RequestError:
    """The checks made before execution give up on the document as validation would."""
    error = request_error(QUERY_TOO_COMPLEX, _LIMIT_MESSAGES[QUERY_TOO_COMPLEX], limit=limit)
    error.about_document = True
    error.extensions = {"limit": limit}
    return error


def format_error(error: GraphQLError, translator: Translator) -> dict[str, Any]:
    """An error as the response carries it: its code (set where it was made: a domain
    error, our limits, the parser extension, masking), its message in the caller's language."""
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
    elif code == INTERNAL_ERROR:
        formatted["message"] = translator.gettext(
            N_("An unexpected error occurred. It has been logged; please try again later.")
        )
    elif code in (GRAPHQL_PARSE_FAILED, QUERY_TOO_LONG):
        where = error.locations[0] if error.locations else None
        formatted["message"] = translator.gettext(
            N_("The query could not be read: %(detail)s"),
            detail=graphql_messages.explain_syntax_error(
                where.line if where else None,
                where.column if where else None,
                translator,
                too_long=code == QUERY_TOO_LONG,
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
