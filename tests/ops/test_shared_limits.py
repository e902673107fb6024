"""Limits shared by workers and hosts through a real Redis (SERVICE_REDIS_URL): two processes
with one limit admit the limit once, not twice; login failures seen by one count in the
other. Without Redis (the default) each process counts alone."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from service.integrations.ratelimit import RateLimiter
from service.settings import PROJECT_ROOT
from service.shared_limits import (
    SharedLoginThrottle,
    SharedOpinionThrottle,
    SharedRateLimiter,
    SharedStore,
)
from service.staff.throttle import MAX_FAILURES_PER_PAIR
from tests.ops.support import sqlite_pass_only, wait_ready
from tests.support import operation, report_input
from tests.test_served import free_port, stop

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database of its own (one of 1..15, emptied): CI starts redis-server; a
    developer without one skips these tests, CI fails them."""
    url = f"{REDIS}/{random.randint(1, 15)}"
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.flushdb()
    except redis.RedisError as error:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"no Redis at {REDIS} ({type(error).__name__})")
    yield url
    client.flushdb()
    client.close()


@sqlite_pass_only
def test_two_processes_with_one_limit_admit_it_once_between_them(redis_url: str) -> None:
    # given: two workers' limiters on one Redis, and the in-process default for comparison
    one, two = (SharedRateLimiter(store=SharedStore(redis_url)) for _ in range(2))
    alone = [RateLimiter(), RateLimiter()]
    limit = 10
    # when: one caller sends 2 x limit requests, alternately to each worker
    shared = [
        (one if i % 2 == 0 else two).hit(one.origin("192.0.2.7") + ":r", limit)
        for i in range(2 * limit)
    ]
    separate = [
        alone[i % 2].hit(alone[i % 2].origin("192.0.2.7") + ":r", limit) for i in range(2 * limit)
    ]
    # then: the shared limit admits `limit`; two processes alone admit twice as many
    assert one.origin("192.0.2.7") == two.origin("192.0.2.7")
    assert sum(1 for wait in shared if wait == 0) == limit
    assert all(0 < wait <= 60 for wait in shared[limit:])
    assert sum(1 for wait in separate if wait == 0) == 2 * limit


@sqlite_pass_only
def test_two_processes_share_the_opinion_limits_all_or_none(redis_url: str) -> None:
    # given: two workers' opinion throttles on one Redis, 3 opinions a device, 4 an origin
    one, two = (
        SharedOpinionThrottle(per_device=3, per_origin=4, store=SharedStore(redis_url))
        for _ in range(2)
    )
    # when: one device gives opinions alternately through each worker, then others on its wifi
    device = [(one if i % 2 == 0 else two).allow("phone", "wifi") for i in range(5)]
    others = [two.allow("tablet", "wifi"), one.allow("laptop", "wifi")]
    # then: 3 for the device between the two workers; the origin's 4th goes to the tablet, and
    # the device's refused attempts did not count against the origin
    assert device == [True, True, True, False, False]
    assert others == [True, False]


@sqlite_pass_only
def test_login_failures_seen_by_one_worker_block_the_guesser_at_the_other(
    redis_url: str,
) -> None:
    # given
    one, two = (SharedLoginThrottle(store=SharedStore(redis_url)) for _ in range(2))
    # when: a guesser fails at one account, alternately through each worker
    for attempt in range(MAX_FAILURES_PER_PAIR):
        assert not (one if attempt % 2 else two).blocked("account", "origin")
        (one if attempt % 2 else two).failed("account", "origin")
    # then: both refuse that origin at that account; another origin still gets through
    assert one.blocked("account", "origin") and two.blocked("account", "origin")
    assert not one.blocked("account", "other-origin")
    # and the owner's success clears their pair for both
    two.succeeded("account", "origin")
    assert not one.blocked("account", "origin")


@sqlite_pass_only
def test_an_unreachable_redis_falls_back_to_counting_in_the_process() -> None:
    # given: nothing listens there
    limiter = SharedRateLimiter(store=SharedStore(f"redis://127.0.0.1:{free_port()}/0"))
    # when
    waits = [limiter.hit(limiter.origin("192.0.2.7") + ":r", 3) for _ in range(4)]
    # then: still limited, by this process alone
    assert waits[:3] == [0.0, 0.0, 0.0] and waits[3] > 0


@sqlite_pass_only
@pytest.mark.slow
def test_two_served_workers_share_one_submission_limit(redis_url: str, tmp_path: Path) -> None:
    # given: two server processes (two workers, or two hosts) on one database and one Redis,
    # each allowing 4 anonymous submissions a minute
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICE_")}
    env.update(
        SERVICE_DATA_DIR=str(tmp_path),
        SERVICE_SECRET_KEYS="s" * 40,
        SERVICE_REDIS_URL=redis_url,
        SERVICE_ANONYMOUS_SUBMISSIONS_PER_MINUTE="4",
        SERVICE_SEARCH_INDEXER="false",
    )
    prepared = subprocess.run(
        [sys.executable, "-m", "service", "migrate"],
        env=env,
        cwd=PROJECT_ROOT,
        timeout=120,
        capture_output=True,
    )
    assert prepared.returncode == 0, prepared.stderr
    fixtures = subprocess.run(
        [sys.executable, "-m", "service", "load-fixtures"],
        env=env,
        cwd=PROJECT_ROOT,
        timeout=120,
        capture_output=True,
    )
    assert fixtures.returncode == 0, fixtures.stderr
    servers = []
    try:
        for _ in range(2):
            port = free_port()
            process = subprocess.Popen(
                [sys.executable, "-m", "service", "serve", "--port", str(port)],
                env=env,
                cwd=PROJECT_ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            servers.append((process, f"http://127.0.0.1:{port}"))
            wait_ready(servers[-1][1], process)
        # when: one resident's address submits 8 reports, alternately to each
        statuses = []
        for i in range(8):
            response = httpx.post(
                f"{servers[i % 2][1]}/graphql",
                json={"query": operation("ReportCreate"), "variables": {"input": report_input()}},
                timeout=10,
            )
            statuses.append(response.status_code)
    finally:
        for process, _ in servers:
            stop(process)
    # then: 4 accepted between them, then 429 from both
    assert statuses.count(200) == 4, statuses
    assert statuses[4:] == [429, 429, 429, 429]
