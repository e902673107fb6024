"""The steps of the GraphQL endpoint, each called alone on a hand-made exchange; and the codes
errors carry from where they are made (never read from their English text)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from graphql import GraphQLError, GraphQLSyntaxError
from starlette.requests import Request

from service.context import Caller, Services
from service.field_access import AccessTable
from service.graphql_endpoint import STEPS, format_error, graphql_types
from service.graphql_request import GRAPHQL_RESPONSE_JSON, RequestError
from service.graphql_steps import (
    Exchange,
    Runtime,
    answer_from_cache,
    check_rate,
    check_scopes,
    choose_media_type,
    execute,
    resolve_trusted_document,
)
from service.integrations.rules import ClientIdentity
from service.limits import GRAPHQL_PARSE_FAILED, QUERY_TOO_LONG, parse_document
from service.schema import INTERNAL_ERROR, MaskUnexpectedErrors, build_schema, is_unexpected
from service.staff.models import Role
from service.staff.rules import StaffIdentity

pytestmark = pytest.mark.anyio

CLIENT = ClientIdentity(client_id=1, name="app", scopes=frozenset({"public:read"}))
STAFF = StaffIdentity(staff_id=1, name="Ann", body_code="angers", role=Role.AGENT, via="session")


def request(method: str = "POST", headers: dict[str, str] | None = None) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {
        "type": "http",
        "method": method,
        "path": "/graphql",
        "query_string": b"",
        "headers": raw,
        "client": ("192.0.2.1", 1234),
        "scheme": "http",
        "server": ("testserver", 80),
    }
    return Request(scope)


def exchange(services: Services, query: str, **changes: object) -> Exchange:
    schema = build_schema(services.settings)
    runtime = Runtime(schema, graphql_types(schema), AccessTable.of(schema), services)
    x = Exchange(runtime, changes.pop("request", None) or request(), services.translator("en"))
    x.params = {"query": query}
    for name, value in changes.items():
        setattr(x, name, value)
    return x


def test_the_order_is_written_once() -> None:
    names = [step.__name__ for step in STEPS]
    assert names.index("identify_caller") < names.index("check_scopes") < names.index("check_rate")
    assert names.index("answer_from_cache") < names.index("charge_cost") < names.index("execute")
    assert names.index("check_csrf") < names.index("execute") == len(names) - 1


async def test_a_client_accepting_no_json_is_refused_with_406(services: Services) -> None:
    # given
    x = exchange(services, "{ __typename }", request=request(headers={"accept": "text/csv"}))
    # when
    with pytest.raises(RequestError) as refused:
        await choose_media_type(x)
    # then
    assert (refused.value.code, refused.value.status) == ("NOT_ACCEPTABLE", 406)


async def test_the_spec_media_type_is_chosen_when_preferred(services: Services) -> None:
    x = exchange(
        services, "{ __typename }", request=request(headers={"accept": GRAPHQL_RESPONSE_JSON})
    )
    await choose_media_type(x)
    assert x.media_type == GRAPHQL_RESPONSE_JSON


async def test_a_client_held_to_trusted_documents_may_not_send_free_text(
    services: Services,
) -> None:
    # given
    held = Caller(client=replace(CLIENT, trusted_documents_only=True))
    x = exchange(services, "{ communes { code } }", caller=held)
    # when
    with pytest.raises(RequestError) as refused:
        await resolve_trusted_document(x)
    # then
    assert (refused.value.code, refused.value.status) == ("TRUSTED_DOCUMENTS_ONLY", 403)


async def test_scopes_are_read_from_the_fields_declarations(services: Services) -> None:
    # given: a client that may read public data only
    reads = exchange(services, "{ communes { code } }", caller=Caller(client=CLIENT))
    follows = exchange(services, '{ tracked(token: "x") { errors { code } } }')
    follows.caller = Caller(client=CLIENT)
    # when / then
    await check_scopes(reads)
    with pytest.raises(RequestError) as refused:
        await check_scopes(follows)
    assert refused.value.code == "INSUFFICIENT_SCOPE"
    assert refused.value.params == {"fields": "tracked"}


async def test_staff_are_not_counted_nor_served_from_the_public_cache(
    services: Services,
) -> None:
    # given
    x = exchange(services, "{ communes { code } }", caller=Caller(staff=STAFF))
    # when
    await check_rate(x)
    answer = await answer_from_cache(x)
    # then
    assert (x.charge, x.cache_key, answer) == (None, None, None)


async def test_a_mutation_over_get_is_refused_with_405(services: Services) -> None:
    x = exchange(
        services,
        'mutation { reportSupport(reference: "x", deviceKey: "y") { counted } }',
        request=request("GET"),
    )
    with pytest.raises(RequestError) as refused:
        await execute(x)
    assert (refused.value.code, refused.value.status) == ("METHOD_NOT_ALLOWED", 405)


def test_parse_errors_carry_their_code_from_the_parser_not_its_text() -> None:
    with pytest.raises(GraphQLSyntaxError) as broken:
        parse_document("{ communes { ", 100)
    with pytest.raises(GraphQLSyntaxError) as long:
        parse_document("{ a b c d e f g h i j k l m n o p }", 10)
    assert broken.value.extensions == {"code": GRAPHQL_PARSE_FAILED}
    assert long.value.extensions == {"code": QUERY_TOO_LONG}


async def test_a_masked_error_carries_the_internal_error_code(services: Services) -> None:
    # given: an unexpected failure in a resolver
    error = GraphQLError("boom", path=["communes"], original_error=RuntimeError("boom"))
    assert is_unexpected(error)
    # when
    masked = MaskUnexpectedErrors(should_mask_error=is_unexpected).anonymise_error(error)
    formatted = format_error(masked, services.translator("fr"))
    # then: told apart by its code; the message translated, nothing of the original
    assert formatted["extensions"] == {"code": INTERNAL_ERROR}
    assert "boom" not in formatted["message"]
