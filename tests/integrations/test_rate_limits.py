"""Rate limits: per API client and per anonymous network origin, 429 with Retry-After and a
translated message; two worker processes admit at most twice a limit (the documented bound);
the public cache never lets a client past its scopes."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from service.context import Services
from service.integrations.ratelimit import RateLimiter
from service.settings import Settings
from tests.integrations.clients import call, client_key
from tests.support import operation, report_input, running_service

pytestmark = pytest.mark.anyio


async def test_a_burst_of_anonymous_submissions_on_two_workers_gets_429_with_retry_after(
    settings: Settings,
) -> None:
    # given: two workers (two processes' worth of state) on one database
    limited = dataclasses.replace(settings, anonymous_submissions_per_minute=3)
    async with running_service(limited) as (_, one), running_service(limited) as (_, two):
        # when: ten reports in a burst, alternating between the workers, from one network
        responses = [
            await call(
                worker,
                None,
                {"query": operation("ReportCreate"), "variables": {"input": report_input()}},
                language="fr",
            )
            for worker in (one, two) * 5
        ]
    # then
    admitted = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 429]
    assert 3 <= len(admitted) <= 2 * 3
    assert len(admitted) + len(refused) == 10
    first = refused[0]
    assert 1 <= int(first.headers["retry-after"]) <= 20
    errors = first.json()["errors"]
    assert len(errors) == 1
    assert errors[0]["extensions"]["code"] == "RATE_LIMITED"
    assert "patienter" in errors[0]["message"]


async def test_each_client_has_its_own_request_budget(settings: Settings) -> None:
    # given
    limited = dataclasses.replace(settings, client_requests_per_minute=5)
    async with running_service(limited) as (services, client):
        busy, quiet = await client_key(services), await client_key(services)
        categories = {"query": operation("Categories")}
        # when
        statuses = [(await call(client, busy, categories)).status_code for _ in range(6)]
        other = await call(client, quiet, categories)
        anonymous = await call(client, None, categories)
    # then
    assert statuses == [200] * 5 + [429]
    assert other.status_code == 200
    assert anonymous.status_code == 200


async def test_the_public_cache_never_opens_what_a_clients_scopes_do_not(
    client: httpx.AsyncClient, services: Services
) -> None:
    # given: the categories answer is in the public cache
    assert (await call(client, None, {"query": operation("Categories")})).status_code == 200
    writer = await client_key(services, ("items:write",))
    reader = await client_key(services, ("public:read",))
    # when
    refused = await call(client, writer, {"query": operation("Categories")})
    served = await call(client, reader, {"query": operation("Categories")})
    # then
    assert refused.status_code == 403
    assert served.status_code == 200
    assert services.response_cache.hits >= 1


def test_a_refused_caller_may_come_back_after_retry_after() -> None:
    # given
    now = [0.0]
    limiter = RateLimiter(monotonic=lambda: now[0])
    for _ in range(60):
        assert limiter.hit("c:1:r", 60) == 0.0
    # when
    wait = limiter.hit("c:1:r", 60)
    now[0] += wait
    # then
    assert wait == pytest.approx(1.0)
    assert limiter.hit("c:1:r", 60) == 0.0


def test_network_origins_are_pseudonyms_that_change_at_rotation() -> None:
    # given
    now = [0.0]
    limiter = RateLimiter(rotation_seconds=3600, monotonic=lambda: now[0])
    before = limiter.origin("192.0.2.7")
    limiter.hit(before + ":r", 1)
    # when
    same = limiter.origin("192.0.2.7")
    now[0] += 3600
    after = limiter.origin("192.0.2.7")
    # then
    assert same == before
    assert "192.0.2.7" not in before
    assert after != before
    assert limiter.hit(after + ":r", 1) == 0.0  # the old count went with the old key


async def test_open311_posts_share_the_clients_submission_limit(settings: Settings) -> None:
    # given
    limited = dataclasses.replace(settings, client_submissions_per_minute=2)
    async with running_service(limited) as (services, client):
        key = await client_key(services)
        form = {
            "api_key": key,
            "service_code": "pothole",
            "lat": "47.4712",
            "long": "-0.5502",
            "description": "Trou profond",
        }
        # when
        statuses = []
        for _ in range(3):
            response = await client.post("/open311/v2/requests.json", data=form)
            statuses.append(response.status_code)
    # then
    assert statuses == [200, 200, 429]
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()[0]["code"] == 429
