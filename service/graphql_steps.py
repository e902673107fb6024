"""The steps a GraphQL request goes through, each a small function of one ``Exchange``.

``service.graphql_endpoint`` runs them in the order it writes once (``STEPS``, then
``FINISHERS`` on the response). A step reads what the steps before it learnt from the
exchange, adds what it learns, and either lets the request go on (returns None), answers it
(returns a response: the IDE, a cached answer) or refuses it (raises ``RequestError``, a value
with a stable code, a translatable message and an HTTP status). Each can be called alone in a
test with a hand-made exchange.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import strawberry
from graphql import GraphQLSchema
from starlette.requests import Request
from starlette.responses import Response
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from service.context import ANONYMOUS, Caller, Context, Services
from service.errors import N_
from service.field_access import AccessTable
from service.graphql_request import (
    APPLICATION_JSON,
    caller_of,
    encoded_response,
    language_of,
    request_error,
    request_params,
    require_csrf_token,
    response_media_type,
    too_many_requests,
)
from service.i18n.translator import Translator
from service.integrations import access
from service.integrations.cost import estimate as estimate_cost
from service.integrations.documents import document_id
from service.integrations.ratelimit import request_key, submission_key
from service.response_cache import may_write
from service.web.graphiql import graphiql_response


@dataclass(frozen=True)
class Runtime:
    """What the steps share across requests: the schema, what is derived from it, the services."""

    schema: strawberry.Schema
    # The schema's types as graphql-core objects (for the cost estimate), built from its SDL.
    types: GraphQLSchema
    access: AccessTable
    services: Services
    # The published operations' texts and names, as requests send them (for the metrics).
    operation_names: dict[str, str] = field(default_factory=dict)


@dataclass
class Exchange:
    """One request on its way through the steps, and what each step learnt about it."""

    runtime: Runtime
    request: Request
    translator: Translator
    media_type: str = APPLICATION_JSON
    caller: Caller = ANONYMOUS
    params: dict[str, Any] = field(default_factory=dict)
    # Charges the query's cost to the per-minute budget, once it is about to run.
    charge: Callable[[], None] | None = None
    cache_key: str | None = None
    writes: bool = False
    context: Context | None = None
    result: ExecutionResult | None = None

    @property
    def services(self) -> Services:
        return self.runtime.services

    @property
    def query(self) -> str | None:
        query = self.params.get("query")
        return query if isinstance(query, str) else None

    @property
    def operation_name(self) -> str | None:
        """The operationName, or None when absent (``readable`` says whether it is usable)."""
        name = self.params.get("operationName")
        return name if isinstance(name, str) else None

    @property
    def readable(self) -> bool:
        """Whether query and operationName have the types the checks before execution read
        (else execution reports why)."""
        return self.query is not None and isinstance(self.params.get("operationName"), str | None)


Step = Callable[[Exchange], Awaitable[Response | None]]
Finisher = Callable[[Exchange, Response], None]


# --- the steps, in the order the endpoint runs them ----------------------------------------


async def choose_language(x: Exchange) -> None:
    """The language of every message from Accept-Language (the request may name another
    later: ``choose_explicit_language``)."""
    x.translator = x.services.translator(language_of(x.services, x.request))


async def offer_ide(x: Exchange) -> Response | None:
    """GraphiQL for a browser asking for the endpoint's page (when enabled)."""
    request = x.request
    if (
        x.services.settings.graphiql
        and request.method == "GET"
        and "query" not in request.query_params
        and "text/html" in request.headers.get("accept", "")
    ):
        return graphiql_response()
    return None


async def choose_media_type(x: Exchange) -> None:
    """The response's media type from Accept; 406 (in application/json) when neither JSON
    type is acceptable."""
    media_type = response_media_type(x.request.headers.get("accept"))
    if media_type is None:
        raise request_error(
            "NOT_ACCEPTABLE",
            N_("Accept application/graphql-response+json or application/json."),
            status=406,
        )
    x.media_type = media_type


async def identify_caller(x: Exchange) -> None:
    """An API client by its key or staff by personal access token (both as
    ``Authorization: Bearer``; keys start ``alm_api_``), staff by session cookie; else
    anonymous. A token that opens nothing is an error; a stale cookie is just ignored."""
    x.caller = await caller_of(x.services, x.request)


async def read_params(x: Exchange) -> None:
    """The request's parameters: the query string of a GET, the JSON object of a POST."""
    x.params = await request_params(x.request)


async def resolve_trusted_document(x: Exchange) -> None:
    """Put the text of a trusted document in place of its ``documentId``; refuse free query
    text from a caller held to trusted documents."""
    documents = x.services.trusted_documents
    params = x.params
    identifier = params.get("documentId")
    if identifier is not None:
        document = documents.get(identifier) if isinstance(identifier, str) else None
        if document is None:
            raise request_error(
                "DOCUMENT_NOT_FOUND",
                N_("No published operation has this documentId; see /graphql/documents.json."),
            )
        query = params.get("query")
        if query is not None and query != document.body:
            raise request_error("BAD_REQUEST", N_("Send either a documentId or a query, not both."))
        x.params = {**params, "query": document.body}
        return
    caller = x.caller
    restricted = (
        caller.client.trusted_documents_only
        if caller.client is not None
        else caller.is_anonymous and x.services.settings.anonymous_trusted_documents_only
    )
    query = params.get("query")
    if restricted and not (isinstance(query, str) and documents.is_trusted(query)):
        raise request_error(
            "TRUSTED_DOCUMENTS_ONLY",
            N_("Only the published operations are accepted: send their documentId."),
            status=403,
        )


async def label_operation(x: Exchange) -> None:
    """The operation's name for the metrics: a published operation's, else ``other`` (never
    a name or text the client chose)."""
    query, names = x.params.get("query"), x.runtime.operation_names
    name = "other"
    if isinstance(query, str):
        known = names.get(query)
        if known is None:
            found = x.services.trusted_documents.get(document_id(query))
            if found is not None:  # the published texts only: a bounded set
                names[query] = known = found.name
        name = known or "other"
    x.request.state.operation = name


async def choose_explicit_language(x: Exchange) -> None:
    """A language the caller names for this request, above Accept-Language: the request's
    ``extensions.locale`` or the URL's ``?locale=`` (for integrators whose HTTP stack sets
    headers once, and for links)."""
    extensions = x.params.get("extensions")
    if isinstance(extensions, dict) and isinstance(extensions.get("locale"), str):
        explicit: str | None = str(extensions["locale"])
    else:
        explicit = x.request.query_params.get("locale")
    if explicit is not None:
        x.translator = x.services.translator(language_of(x.services, x.request, explicit))


async def check_scopes(x: Exchange) -> None:
    """Refuse, before anything runs, an operation whose root fields the API client's scopes
    do not open. A document that cannot be read goes on: execution says why."""
    client, query = x.caller.client, x.query
    if client is None or query is None or not x.readable:
        return
    fields = access.root_fields(query, x.operation_name)
    if fields is None:
        return
    missing = x.runtime.access.missing_scopes(fields, client.scopes)
    if missing:
        raise request_error(
            "INSUFFICIENT_SCOPE",
            N_("This API client's scopes do not open %(fields)s."),
            status=403,
            fields=", ".join(missing),
        )


async def check_rate(x: Exchange) -> None:
    """Count the request (and a submission) for the API client or the network origin, and
    check the query's cost against the per-request budget; 429 with Retry-After (or 400 for
    a query too costly) when over a limit. Keeps what charges the cost to the per-minute
    budget once the query is about to run. Staff are not limited here."""
    if x.caller.staff is not None:
        return
    settings, limiter = x.services.settings, x.services.rate_limiter
    if x.caller.client is not None:
        key = f"c:{x.caller.client.client_id}"
        limits = (
            settings.client_requests_per_minute,
            settings.client_submissions_per_minute,
            settings.client_cost_per_request,
            settings.client_cost_per_minute,
        )
    else:
        host = x.request.client.host if x.request.client else "unknown"
        key = limiter.origin(host)
        limits = (
            settings.anonymous_requests_per_minute,
            settings.anonymous_submissions_per_minute,
            settings.anonymous_cost_per_request,
            settings.anonymous_cost_per_minute,
        )
    query = x.query if x.readable else None
    wait = limiter.hit(request_key(key), limits[0])
    if not wait and query is not None:
        fields = access.root_fields(query, x.operation_name)
        if fields is not None and x.runtime.access.submits(fields):
            wait = limiter.hit(submission_key(key), limits[1])
    if wait:
        raise too_many_requests(wait)
    if query is None:
        return
    variables = x.params.get("variables")
    cost = estimate_cost(
        x.runtime.types,
        query,
        x.operation_name,
        variables if isinstance(variables, dict) else {},
    )
    if cost is None:
        return
    if cost > limits[2]:
        error = request_error(
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

    x.charge = charge


async def answer_from_cache(x: Exchange) -> Response | None:
    """A public read by anyone but staff: the cached answer when there is one. Public
    answers are the same for everyone but staff: API clients share them with anonymous
    callers (their scopes were checked before); staff answers never enter."""
    cache, query = x.services.response_cache, x.query
    variables = x.params.get("variables")
    if (
        x.caller.staff is not None
        or not cache.enabled
        or query is None
        or not x.readable
        or not isinstance(variables, dict | None)
    ):
        return None
    if not x.runtime.access.is_public_read(query, x.operation_name):
        return None
    x.cache_key = cache.key(query, x.operation_name, variables, x.translator.locale)
    body = cache.get(x.cache_key)
    return None if body is None else encoded_response(body, 200, x.media_type, x.translator)


async def charge_cost(x: Exchange) -> None:
    """The cost budget pays for work done, not for cached answers."""
    if x.charge is not None:
        x.charge()


async def check_csrf(x: Exchange) -> None:
    """A change sent with a session cookie carries the session's X-CSRF-Token."""
    x.writes = may_write(str(x.params.get("query") or ""), x.params.get("operationName"))
    if x.writes and x.caller.session_token is not None:
        require_csrf_token(x.services, x.request, x.caller.session_token)


async def execute(x: Exchange) -> None:
    """Run the operation (queries only over GET) in a context made for this caller."""
    params, request = x.params, x.request
    query = params.get("query")
    if not isinstance(query, str) or not query.strip():
        raise request_error("BAD_REQUEST", N_("The request has no GraphQL query string."))
    operation_name = params.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise request_error("BAD_REQUEST", N_("operationName must be a string."))
    for name in ("variables", "extensions"):
        if params.get(name) is not None and not isinstance(params[name], dict):
            raise request_error("BAD_REQUEST", N_("%(name)s must be a JSON object."), name=name)
    allowed = (
        {OperationType.QUERY}
        if request.method == "GET"
        else {OperationType.QUERY, OperationType.MUTATION}
    )
    x.context = Context.create(x.services, x.translator.locale, request, x.caller)
    try:
        x.result = await x.runtime.schema.execute(
            query,
            variable_values=params.get("variables"),
            context_value=x.context,
            operation_name=operation_name,
            allowed_operation_types=allowed,
            operation_extensions=params.get("extensions"),
        )
    except InvalidOperationTypeError:
        raise request_error(
            "METHOD_NOT_ALLOWED",
            N_("Only queries can be sent with GET; send mutations with POST."),
            status=405,
        ) from None
    except CannotGetOperationTypeError:
        error = request_error(
            "OPERATION_NOT_FOUND",
            N_("Say which operation of the document to run with a matching operationName."),
        )
        error.about_document = True
        raise error from None


# --- finishers, run on the response of an executed operation --------------------------------


def remember_or_forget(x: Exchange, response: Response) -> None:
    """Keep a public answer without errors; forget every kept answer after a change."""
    result = x.result
    if (
        x.cache_key is not None
        and response.status_code == 200
        and result is not None
        and not result.errors
    ):
        x.services.response_cache.put(x.cache_key, bytes(response.body))
    elif x.writes:
        x.services.response_cache.invalidate()


def set_cookies(x: Exchange, response: Response) -> None:
    """The cookies the operation set (staff login and logout)."""
    for cookie in x.context.cookies if x.context is not None else ():
        response.set_cookie(
            cookie.name,
            cookie.value,
            max_age=cookie.max_age,
            httponly=True,
            samesite="lax",
            secure=x.request.url.scheme == "https",
            path="/",
        )
