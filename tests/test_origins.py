"""Every per-origin limit counts an IPv6 address by its /64 (one subscriber usually holds a
whole /64): the API's and the pages' request and submission limits, the sensor opinions'
hourly limit, as the staff login throttle does."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from service.app import create_app
from service.context import Services
from service.integrations.ratelimit import RateLimiter, submission_key
from service.origins import origin_of
from service.settings import Settings
from tests.sensors.test_opinions import a_sensor, give
from tests.support import running_service


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("192.0.2.7", "192.0.2.7"),
        ("testclient", "testclient"),
    ],
)
def test_an_origin_is_an_ipv4_address_or_an_ipv6_64(host: str, origin: str) -> None:
    assert origin_of(host) == origin


def test_the_rate_limiter_counts_the_addresses_of_one_64_in_one_bucket() -> None:
    # given: a limit of 2 a minute, used up from two addresses of one /64
    limiter = RateLimiter()
    for host in ("2001:db8:1:2::1", "2001:db8:1:2::2"):
        assert limiter.hit(submission_key(limiter.origin(host)), 2) == 0.0
    # when
    same_network = limiter.hit(submission_key(limiter.origin("2001:db8:1:2::99")), 2)
    next_network = limiter.hit(submission_key(limiter.origin("2001:db8:1:3::1")), 2)
    # then
    assert same_network > 0
    assert next_network == 0.0


def client_at(settings: Settings, services: Services, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(settings, services), client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.mark.anyio
async def test_sensor_opinions_from_one_64_count_against_one_hourly_limit(
    settings: Settings,
) -> None:
    limited = replace(settings, opinions_per_origin_hour=2)
    async with running_service(limited) as (services, client):
        # given: two opinions (two devices) from two addresses of one /64
        slug = await a_sensor(client, services)
        for n in (1, 2):
            async with client_at(limited, services, f"2001:db8:1:2::{n}") as resident:
                assert (await give(resident, slug))["errors"] == []
        # when: a third device from a third address of the same /64, and one from another
        async with client_at(limited, services, "2001:db8:1:2::99") as neighbour:
            refused = await give(neighbour, slug)
        async with client_at(limited, services, "2001:db8:1:3::1") as elsewhere:
            taken = await give(elsewhere, slug)
    # then
    assert [e["code"] for e in refused["errors"]] == ["TOO_MANY_OPINIONS"]
    assert taken["errors"] == []
