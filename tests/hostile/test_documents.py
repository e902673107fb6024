"""Hostile documents and request bodies (issue 16, items 1 and 5).

A document of k fragments, each spreading the previous one twice, is a few hundred bytes and
2^k selections once expanded: every check that reads a document before or while it runs must
read each fragment once. JSON nested thousands of levels deep must be a typed 400, never a 500.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import parse

from service.context import Services
from service.integrations.cost import MAX_ESTIMATE, operation_cost
from service.schema import build_schema
from service.selections import (
    MAX_STEPS,
    QueryTooComplex,
    Steps,
    fragments,
    selected_names,
    selected_operation,
)
from service.settings import Settings
from service.staff.models import Role
from tests.integrations.clients import client_key
from tests.support import graphql, staff
from tests.test_served import ANSWER_WITHIN_SECONDS, start_server, stop

# A liveness bound, not a speed claim: read exponentially, k=64 would never finish.
WITHIN_SECONDS = 10.0
CALLERS = ("anonymous", "client", "staff")


def doubling(k: int, on: str = "Query", leaf: str = "__typename", root: str = "{ ...F%d }") -> str:
    """k fragments, each spreading the previous one twice."""
    definitions = [root % k, f"fragment F0 on {on} {{ {leaf} }}"]
    definitions += [f"fragment F{i} on {on} {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, k + 1)]
    return "\n".join(definitions)


@contextlib.contextmanager
def answered_within(seconds: float) -> Iterator[None]:
    """Fail, rather than hang, when the code inside takes longer (the app runs in this thread:
    the alarm interrupts whatever walk is under way)."""

    def expire(*_: object) -> None:
        raise TimeoutError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    expired = False
    try:
        yield
    except TimeoutError:
        expired = True  # failed below, without the traceback of the walk it interrupted
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if expired:
        pytest.fail(f"no answer within {seconds} s", pytrace=False)


async def headers_of(caller: str, services: Services, client: httpx.AsyncClient) -> dict[str, str]:
    if caller == "client":
        return {"authorization": f"Bearer {await client_key(services)}"}
    if caller == "staff":
        agent = await staff(services, client, "mairie-49007", Role.AGENT)
        return {"authorization": f"Bearer {agent.token}"}
    return {}


async def send(
    client: httpx.AsyncClient, query: str, headers: dict[str, str], language: str = "en"
) -> httpx.Response:
    with answered_within(WITHIN_SECONDS):
        return await client.post(
            "/graphql",
            json={"query": query},
            headers={
                "accept": "application/graphql-response+json",
                "accept-language": language,
                **headers,
            },
        )


def the_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The one error of a refusal, checked for its status and code."""
    assert response.status_code == status, response.text
    errors = response.json()["errors"]
    assert len(errors) == 1
    assert errors[0]["extensions"]["code"] == code
    error: dict[str, Any] = errors[0]
    return error


@pytest.mark.anyio
@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("k", [20, 40, 64])
async def test_a_fragment_doubling_document_is_refused_or_answered_at_once(
    services: Services, client: httpx.AsyncClient, caller: str, k: int
) -> None:
    # given: a comment makes the text new, so no cache answers in place of the checks
    headers = await headers_of(caller, services, client)
    query = f"# {caller} {k}\n" + doubling(k)
    # when
    response = await send(client, query, headers)
    # then: callers with a cost budget are refused (the estimate counts every spread);
    # staff, who have none, get the answer: the executor merges the spreads
    if caller == "staff":
        assert response.status_code == 200, response.text
        assert response.json() == {"data": {"__typename": "Query"}}
    else:
        error = the_error(response, 400, "QUERY_TOO_COSTLY")
        assert error["extensions"]["cost"] == min(2**k, MAX_ESTIMATE)


@pytest.mark.anyio
@pytest.mark.parametrize("caller", CALLERS)
async def test_a_fragment_doubling_search_is_refused_or_answered_with_its_facets(
    services: Services, client: httpx.AsyncClient, caller: str
) -> None:
    # given: the fragments select facets, which the search computes only when selected
    headers = await headers_of(caller, services, client)
    query = f"# {caller}\n" + doubling(
        64,
        on="SearchResult",
        leaf="totalCount facets { kinds { value } }",
        root='{ search(query: "lampadaire") { ...F%d } }',
    )
    # when
    response = await send(client, query, headers)
    # then
    if caller == "staff":
        assert response.status_code == 200, response.text
        assert response.json()["data"]["search"]["facets"] is not None
    else:
        the_error(response, 400, "QUERY_TOO_COSTLY")


@pytest.mark.anyio
async def test_a_client_without_the_scope_is_refused_through_doubling_fragments(
    services: Services, client: httpx.AsyncClient
) -> None:
    # given: the root field needing a scope sits at the bottom of 64 doubling fragments
    key = await client_key(services, ("opendata:read",))
    query = doubling(64, leaf="communes { code }")
    # when
    response = await send(client, query, {"authorization": f"Bearer {key}"})
    # then
    assert "communes" in the_error(response, 403, "INSUFFICIENT_SCOPE")["message"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("caller", "code"),
    [
        ("anonymous", "QUERY_TOO_COSTLY"),
        ("client", "QUERY_TOO_COSTLY"),
        ("staff", "QUERY_TOO_LONG"),  # the schema's own token limit, below the checks' one
    ],
)
async def test_the_longest_doubling_document_the_checks_read_is_refused_at_once(
    services: Services, client: httpx.AsyncClient, caller: str, code: str
) -> None:
    # given: 900 fragments, near the 10,000 tokens the checks made before execution parse
    headers = await headers_of(caller, services, client)
    query = f"# {caller}\n" + doubling(900)
    # when
    response = await send(client, query, headers)
    # then
    the_error(response, 400, code)


@pytest.mark.anyio
async def test_a_document_repeating_one_field_is_refused_as_too_complex_to_check(
    client: httpx.AsyncClient,
) -> None:
    # given: 200 times the same field, which validation compares pair by pair
    query = "{ " + " ".join(["communes { code }"] * 200) + " }"
    # when
    response = await send(client, query, {}, language="fr")
    # then
    assert "trop complexe" in the_error(response, 400, "QUERY_TOO_COMPLEX")["message"]


def test_each_walk_reads_each_fragment_once_or_twice() -> None:
    # given
    document = parse(doubling(64, leaf="communes { code }"))
    operation = selected_operation(document, None)
    assert operation is not None
    named = fragments(document)
    # the operation's spread, F0's two fields, two spreads in each other fragment
    selections = 1 + 2 + 2 * 64
    # when
    names, costs = Steps(), Steps()
    root_fields = selected_names([operation.selection_set], named, names)
    cost = operation_cost(build_schema(Settings())._schema, document, operation, {}, costs)
    # then
    assert root_fields == {"communes"}
    assert names.taken <= selections
    assert cost == 2**64 * (1 + 20)  # the list, then a code per commune (20 when not paged)
    assert costs.taken <= 2 * selections  # inside a page and not


def test_a_walk_past_its_step_limit_stops_with_a_typed_refusal() -> None:
    # given
    document = parse(doubling(10))
    operation = selected_operation(document, None)
    assert operation is not None
    # when / then
    with pytest.raises(QueryTooComplex) as refused:
        selected_names([operation.selection_set], fragments(document), Steps(limit=5))
    assert refused.value.limit == 5
    assert MAX_STEPS >= 2 * 10_000  # never reached by walks reading each fragment twice


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.anyio
@pytest.mark.parametrize("depth", [65, 900, 5000])
@pytest.mark.parametrize("where", ["variables", "extensions"])
async def test_json_nested_too_deep_in_a_post_is_a_typed_400(
    client: httpx.AsyncClient, depth: int, where: str
) -> None:
    # given
    body = '{"query": "{ __typename }", "' + where + '": {"x": ' + nested(depth) + "}}"
    # when
    response = await client.post(
        "/graphql",
        content=body.encode(),
        headers={"content-type": "application/json", "accept-language": "fr"},
    )
    # then
    assert "imbriqué" in the_error(response, 400, "BAD_REQUEST")["message"]


@pytest.mark.anyio
@pytest.mark.parametrize("depth", [65, 3000])
async def test_json_nested_too_deep_in_get_variables_is_a_typed_400(
    client: httpx.AsyncClient, depth: int
) -> None:
    # when
    response = await client.get(
        "/graphql",
        params={"query": "{ __typename }", "variables": '{"x": ' + nested(depth) + "}"},
        headers={"accept-language": "de"},
    )
    # then
    assert "verschachtelt" in the_error(response, 400, "BAD_REQUEST")["message"]


@pytest.mark.anyio
async def test_json_nested_just_under_the_limit_is_answered_and_cached(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: a public read (cached under a key made of its variables), 64 levels in all
    variables: dict[str, Any] = {"x": []}
    for _ in range(30):
        variables = {"x": [variables]}
    query = "{ communes { code } }"  # variables it does not declare are ignored
    # when
    first = await graphql(client, query, variables)
    again = await graphql(client, query, variables)
    # then
    assert first.status_code == 200, first.json()
    assert again.json() == first.json()
    assert services.response_cache.hits >= 1


@pytest.mark.slow
def test_healthz_answers_while_doubling_documents_are_sent(tmp_path: Path) -> None:
    # given: a real server, and two clients sending a new doubling document without pause
    process, base = start_server(tmp_path)
    sending = threading.Event()
    sending.set()
    statuses: list[int] = []

    def keep_sending(name: str) -> None:
        with httpx.Client(base_url=base, timeout=ANSWER_WITHIN_SECONDS) as http:
            sent = 0
            while sending.is_set():
                sent += 1
                query = f"# {name} {sent}\n" + doubling(64)
                try:
                    statuses.append(http.post("/graphql", json={"query": query}).status_code)
                except httpx.TimeoutException:
                    statuses.append(0)

    senders = [threading.Thread(target=keep_sending, args=(n,)) for n in ("a", "b")]
    health: list[int] = []
    try:
        for sender in senders:
            sender.start()
        # when: a health check every 50 ms (a timeout past the bound fails the test)
        for _ in range(40):
            health.append(httpx.get(f"{base}/healthz", timeout=ANSWER_WITHIN_SECONDS).status_code)
            time.sleep(0.05)
    finally:
        sending.clear()
        for sender in senders:
            sender.join()
        stop(process)
    # then: every health check answered within the bound; every document was refused, as
    # too costly (or, past the per-origin limit, as too many)
    assert health == [200] * 40
    assert 400 in statuses
    assert set(statuses) <= {400, 429}
