"""Query cost: fields x requested page sizes, a budget per request and per minute, and a
clear typed error with the cost when over it."""

from __future__ import annotations

import dataclasses

import pytest

from service.graphql_endpoint import graphql_types
from service.integrations.cost import estimate
from service.schema import build_schema
from service.settings import Settings
from tests.integrations.clients import call, client_key
from tests.support import OPERATIONS_DIR, operation, running_service

pytestmark = pytest.mark.anyio

PAGE = "query($n: Int) { reports(first: $n) { edges { node { reference status } } } }"


def test_the_cost_is_fields_times_page_sizes() -> None:
    # given
    schema = graphql_types(build_schema(Settings()))
    # when
    small = estimate(schema, PAGE, None, {"n": 10})
    large = estimate(schema, PAGE, None, {"n": 100})
    literal = estimate(schema, "{ reports(first: 10) { edges { node { reference } } } }", None, {})
    # then: reports once, then edges, node, reference and status once per report
    assert small == 1 + 10 * 4
    assert large == 1 + 100 * 4
    assert literal == 1 + 10 * 3


async def test_a_query_over_the_per_request_budget_is_refused_with_its_cost(
    settings: Settings,
) -> None:
    # given
    budget = dataclasses.replace(settings, client_cost_per_request=300)
    async with running_service(budget) as (services, client):
        key = await client_key(services)
        # when
        refused = await call(client, key, {"query": PAGE, "variables": {"n": 100}}, language="de")
        allowed = await call(client, key, {"query": PAGE, "variables": {"n": 5}})
    # then
    assert refused.status_code == 400
    errors = refused.json()["errors"]
    assert len(errors) == 1
    assert errors[0]["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 401, "limit": 300}
    assert "401" in errors[0]["message"] and "Seiten" in errors[0]["message"]
    assert allowed.status_code == 200
    assert "errors" not in allowed.json()


async def test_the_per_minute_budget_is_spent_then_retry_after_says_when(
    settings: Settings,
) -> None:
    # given: a budget of about one and a half category lists a minute
    categories = operation("Categories")
    schema = graphql_types(build_schema(settings))
    cost = estimate(schema, categories, None, {})
    assert cost is not None
    budget = dataclasses.replace(
        settings, anonymous_cost_per_minute=cost * 3 // 2, public_cache_seconds=0
    )
    async with running_service(budget) as (_, client):
        # when
        first = await call(client, None, {"query": categories})
        second = await call(client, None, {"query": categories}, language="fr")
    # then
    assert first.status_code == 200
    assert second.status_code == 429
    assert int(second.headers["retry-after"]) >= 1
    errors = second.json()["errors"]
    assert len(errors) == 1
    assert errors[0]["extensions"]["code"] == "COST_BUDGET_EXCEEDED"
    assert errors[0]["extensions"]["cost"] == cost


def test_every_published_operation_fits_the_default_anonymous_budget_at_full_pages() -> None:
    # given
    settings = Settings()
    schema = graphql_types(build_schema(settings))
    full_pages = {"first": settings.max_page_size, "limit": settings.max_page_size}
    # when
    costs = {
        path.stem: estimate(schema, path.read_text(encoding="utf-8"), None, full_pages)
        for path in OPERATIONS_DIR.glob("*.graphql")
    }
    # then
    too_costly = {name: cost for name, cost in costs.items() if (cost or 0) > 25_000}
    assert too_costly == {}
    assert settings.anonymous_cost_per_request == 25_000
