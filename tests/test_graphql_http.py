"""GraphQL over HTTP: media types, methods, request errors, limits, and their languages."""

from __future__ import annotations

import httpx
import pytest
from graphql import get_introspection_query

from tests.support import graphql

pytestmark = pytest.mark.anyio

GRJ = "application/graphql-response+json"


def nested_query(depth: int) -> str:
    """A valid query nesting Body.parent ``depth`` times."""
    return '{ body(code: "alm-eau") ' + "{ parent " * depth + "{ code }" + " }" * depth + " }"


async def test_post_answers_in_the_spec_media_type_when_asked(client: httpx.AsyncClient) -> None:
    # when
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"accept": GRJ}
    )
    # then
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{GRJ}; charset=utf-8"
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_json_is_the_default_media_type(client: httpx.AsyncClient) -> None:
    # when
    response = await client.get("/graphql", params={"query": "{ __typename }"})
    # then
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")


async def test_responses_say_their_language_and_vary_on_it(client: httpx.AsyncClient) -> None:
    # when
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"accept-language": "es-MX, en;q=0.5"}
    )
    # then
    assert response.headers["content-language"] == "es"
    assert "Accept-Language" in response.headers["vary"]


async def test_a_document_error_is_400_without_data_in_the_spec_media_type(
    client: httpx.AsyncClient,
) -> None:
    # when
    response = await graphql(client, "{ noSuchField }", language="en")
    # then
    body = response.json()
    assert response.status_code == 400
    assert "data" not in body
    assert len(body["errors"]) == 1
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert body["errors"][0]["message"].startswith("The query does not fit the schema:")


async def test_a_document_error_is_200_with_errors_for_legacy_json_clients(
    client: httpx.AsyncClient,
) -> None:
    # when
    response = await graphql(client, "{", accept="application/json")
    # then
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


async def test_malformed_json_is_400_in_the_callers_language(client: httpx.AsyncClient) -> None:
    # when
    response = await client.post(
        "/graphql",
        content=b'{"query": "{ __typename }"',
        headers={"content-type": "application/json", "accept-language": "fr"},
    )
    # then
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "message": "Le corps de la requête n'est pas du JSON valide.",
                "extensions": {"code": "BAD_REQUEST"},
            }
        ]
    }


@pytest.mark.parametrize(
    "body",
    [
        {"query": 1},
        {"query": "{ __typename }", "variables": "x"},
        {"query": "{ __typename }", "operationName": ["a"]},
        {"query": "{ __typename }", "extensions": False},
        {"qeury": "{ __typename }"},
    ],
)
async def test_invalid_parameters_are_400(client: httpx.AsyncClient, body: object) -> None:
    # when
    response = await client.post("/graphql", json=body)
    # then
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_batched_requests_are_refused(client: httpx.AsyncClient) -> None:
    # when
    response = await client.post("/graphql", json=[{"query": "{ __typename }"}] * 2)
    # then
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_body_that_is_not_json_is_415(client: httpx.AsyncClient) -> None:
    # when
    response = await client.post(
        "/graphql",
        content=b"query=%7B__typename%7D",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    # then
    assert response.status_code == 415


async def test_a_mutation_over_get_is_405(client: httpx.AsyncClient) -> None:
    # when
    response = await client.get("/graphql", params={"query": "mutation { __typename }"})
    # then
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_an_unacceptable_media_type_is_406(client: httpx.AsyncClient) -> None:
    # when
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"accept": "text/csv"}
    )
    # then
    assert response.status_code == 406


async def test_a_query_of_depth_50_is_refused_with_its_limit(client: httpx.AsyncClient) -> None:
    # when
    response = await graphql(client, nested_query(50), language="en")
    # then
    errors = response.json()["errors"]
    assert response.status_code == 400
    assert len(errors) == 1
    assert errors[0]["extensions"] == {"code": "QUERY_TOO_DEEP", "limit": 12}
    assert errors[0]["message"] == "The query is nested deeper than the limit of 12 levels."


async def test_a_query_within_the_depth_limit_runs(client: httpx.AsyncClient) -> None:
    # when: 1 (body) + 10 (parents) + 1 (code) = 12 levels
    response = await graphql(client, nested_query(10))
    # then
    assert response.status_code == 200
    # (alm-eau's parent is alm, which has no parent: the chain stops with null)
    assert response.json()["data"]["body"]["parent"] == {"parent": None}


async def test_depth_is_counted_through_fragments(client: httpx.AsyncClient) -> None:
    # given: a fragment that nests 20 levels
    fragment = "fragment Deep on Body " + "{ parent " * 20 + "{ code }" + " }" * 20
    # when
    response = await graphql(client, '{ body(code: "alm") { ...Deep } } ' + fragment)
    # then
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"


async def test_a_query_with_1000_aliases_is_refused(client: httpx.AsyncClient) -> None:
    # given
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(1000)) + " }"
    # when
    response = await graphql(client, query, language="de")
    # then
    errors = response.json()["errors"]
    assert response.status_code == 400
    assert len(errors) == 1
    assert errors[0]["extensions"] == {"code": "TOO_MANY_ALIASES", "limit": 30}
    assert errors[0]["message"] == "Die Abfrage verwendet mehr als 30 Aliasse."


async def test_a_query_with_too_many_tokens_is_refused_before_parsing_it_all(
    client: httpx.AsyncClient,
) -> None:
    # given: 20,000 tokens of a syntactically valid query
    query = "{ " + "__typename " * 20_000 + "}"
    # when
    response = await graphql(client, query)
    # then
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_LONG"


async def test_a_2_mb_body_is_413(client: httpx.AsyncClient) -> None:
    # when
    response = await client.post(
        "/graphql",
        content=b'{"query": "' + b" " * 2_000_000 + b'{ __typename }"}',
        headers={"content-type": "application/json", "accept-language": "en"},
    )
    # then
    assert response.status_code == 413
    assert response.json()["errors"][0] == {
        "message": "The request body is larger than the limit of 1,000,000 bytes.",
        "extensions": {"code": "PAYLOAD_TOO_LARGE", "limit": 1_000_000},
    }


async def test_introspection_is_open_and_fits_the_limits(client: httpx.AsyncClient) -> None:
    # when: the full introspection query GraphiQL and code generators send
    response = await graphql(client, get_introspection_query(descriptions=True))
    # then
    assert response.status_code == 200
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_graphiql_is_not_served_unless_enabled(client: httpx.AsyncClient) -> None:
    # when: a browser opens /graphql
    response = await client.get("/graphql", headers={"accept": "text/html,*/*;q=0.8"})
    # then: no IDE, a JSON answer about the missing query
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")


async def test_parsing_and_validation_are_cached_despite_the_limits(
    client: httpx.AsyncClient,
) -> None:
    # given: the caches shared across requests (ours for parsing, strawberry's for validation)
    from strawberry.extensions.validation_cache import _get_validate_cache

    from service.limits import parse_cache
    from service.schema import CACHE_SIZE
    from service.settings import Settings

    parses = parse_cache(Settings().max_query_tokens, CACHE_SIZE)

    # (a tracked item is never served from the public response cache: it always executes)
    query = 'query CacheProbe { tracked(token: "x") { errors { code } } }'
    await graphql(client, query)
    parse_hits = parses.cache_info().hits  # type: ignore[attr-defined]
    validate_hits = _get_validate_cache(CACHE_SIZE).cache_info().hits  # type: ignore[attr-defined]
    # when: the same document again
    await graphql(client, query)
    # then: neither parsed nor validated again
    assert parses.cache_info().hits == parse_hits + 1  # type: ignore[attr-defined]
    assert _get_validate_cache(CACHE_SIZE).cache_info().hits == validate_hits + 1  # type: ignore[attr-defined]


async def test_an_unexpected_failure_is_masked_and_logged_without_variables(
    tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    # given: a service whose database is down
    from service.settings import Settings
    from tests.support import running_service

    settings = Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    async with running_service(settings, load_reference=False) as (_, down):
        # when
        response = await graphql(
            down,
            "query Report($reference: String!) { report(reference: $reference) { status } }",
            {"reference": "secret-49007@example.org"},
            language="en",
        )
    # then: the caller learns nothing of our internals...
    body = response.json()
    assert response.status_code == 200
    assert body["data"] == {"report": None}
    assert body["errors"] == [
        {
            "message": "An unexpected error occurred. It has been logged; please try again later.",
            "locations": [{"line": 1, "column": 37}],
            "path": ["report"],
            "extensions": {"code": "INTERNAL_ERROR"},
        }
    ]
    # ...and the log has the failure but not the variables
    assert "unexpected error at ['report']" in caplog.text
    assert "secret-49007@example.org" not in caplog.text.lower()
