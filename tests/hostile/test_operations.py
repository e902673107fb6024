"""Operations an attacker on the same host or behind the same proxy would abuse: a data folder
readable by other users, proxy headers believed from anyone, a staff account anyone can lock.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.app import create_app
from service.context import Services
from service.settings import PROJECT_ROOT, Settings
from service.staff import rules
from service.staff.models import Role
from tests.hostile.processes import modes_under, not_owner_only, server_database, usual_umask
from tests.support import operation, report_input, running_service
from tests.test_served import start_server, stop

PASSWORD = "correct horse battery staple"
# The documented allowances (README, "Security"): 5 failures of one origin at one account; an
# account with 20 failures from all origins is under attack.
FAILURES_PER_PAIR = 5
ACCOUNT_UNDER_ATTACK = 20


def run_command(data_dir: Path, database: dict[str, str], *args: str) -> str:
    """``python -m service ARGS`` as an operator runs it (usual umask); its standard error."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICE_")}
    env.update(database, SERVICE_DATA_DIR=str(data_dir), SERVICE_SECRET_KEYS="k" * 32)
    with usual_umask():
        result = subprocess.run(
            [sys.executable, "-m", "service", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=PROJECT_ROOT,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr
    return result.stderr


@pytest.fixture
def database(tmp_path: Path) -> Iterator[dict[str, str]]:
    with server_database(tmp_path) as variables:
        yield variables


def submit(base: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(
        f"{base}/graphql",
        json={"query": operation("ReportCreate"), "variables": {"input": report_input()}},
        headers=headers or {},
        timeout=10,
    )


def wait_until_indexed(base: str) -> None:
    deadline = time.monotonic() + 30
    while httpx.get(f"{base}/readyz", timeout=5).json()["search"]["pendingEntries"]:
        assert time.monotonic() < deadline, "the indexer did not catch up within 30 s"
        time.sleep(0.2)


# -- the data folder -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_serve_demo_keeps_every_data_file_to_its_owner(
    tmp_path: Path, database: dict[str, str], engine: str
) -> None:
    # given: a host's usual umask (022), and a server that wrote and indexed a report
    data_dir = tmp_path / "data"
    with usual_umask():
        process, base = start_server(
            data_dir, settings={**database, "SERVICE_SEARCH_ENGINE": engine}
        )
    try:
        assert submit(base).status_code == 200
        wait_until_indexed(base)
        # when: looking while it runs (the WAL and its index exist only then)
        modes = modes_under(data_dir)
        wrong = not_owner_only(data_dir)
    finally:
        stop(process)
    # then
    expected = {"demo-secret-key", "search", "search/indexer.lock"}
    if not database:
        expected |= {"service.db", "service.db-wal", "service.db-shm"}
    assert expected <= set(modes), sorted(modes)
    assert any(name.lower().endswith("lock") and name.count("/") == 2 for name in modes)
    assert wrong == {}


@pytest.mark.slow
def test_commands_keep_every_data_file_to_their_owner(
    tmp_path: Path, database: dict[str, str]
) -> None:
    # given
    data_dir = tmp_path / "data"
    # when: what an operator runs, under the usual umask
    for command in (["migrate"], ["load-fixtures"], ["reindex"], ["index", "--once"], ["purge"]):
        run_command(data_dir, database, *command)
    # then
    assert "search/index" in modes_under(data_dir)
    assert not_owner_only(data_dir) == {}


@pytest.mark.slow
def test_a_data_folder_found_open_is_made_owner_only_with_a_warning(
    tmp_path: Path, database: dict[str, str]
) -> None:
    # given: a data folder as an earlier version left it, readable by every user
    data_dir = tmp_path / "data"
    run_command(data_dir, database, "migrate")
    run_command(data_dir, database, "reindex")
    for name in modes_under(data_dir):
        (data_dir / name).chmod(0o755 if (data_dir / name).is_dir() else 0o644)
    # when
    warnings = run_command(data_dir, database, "migrate")
    # then
    assert not_owner_only(data_dir) == {}
    assert f"data folder {data_dir} was open to other users" in warnings
    assert "search/index" in warnings


# -- proxy headers ---------------------------------------------------------------------------


def accepted_submissions(base: str, count: int) -> int:
    """Submissions each claiming another client address in X-Forwarded-For; how many pass."""
    accepted = 0
    for n in range(count):
        response = submit(base, {"x-forwarded-for": f"203.0.113.{n + 1}"})
        if response.status_code == 200 and response.json()["data"]["reportCreate"]["report"]:
            accepted += 1
    return accepted


@pytest.mark.slow
@pytest.mark.parametrize(
    ("trusted", "accepted"),
    [
        pytest.param("", 3, id="no proxy trusted: the connecting address is the origin"),
        pytest.param("127.0.0.1", 5, id="the loopback proxy is trusted: its header counts"),
    ],
)
def test_x_forwarded_for_is_believed_only_from_the_configured_proxies(
    tmp_path: Path, database: dict[str, str], trusted: str, accepted: int
) -> None:
    # given: 3 submissions a minute per origin
    settings = {
        **database,
        "SERVICE_ANONYMOUS_SUBMISSIONS_PER_MINUTE": "3",
        "SERVICE_FORWARDED_ALLOW_IPS": trusted,
    }
    process, base = start_server(tmp_path / "data", settings=settings)
    try:
        # when: 5 submissions from 127.0.0.1, each naming another client
        count = accepted_submissions(base, 5)
    finally:
        stop(process)
    # then
    assert count == accepted


# -- staff login throttling ------------------------------------------------------------------


async def new_agent(services: Services) -> str:
    email = f"agent-{uuid.uuid4().hex[:8]}@angers.fr"
    async with services.db.writing() as session:
        await rules.create_staff(
            session,
            email=email,
            name="Dominique Agent",
            body_code="mairie-49007",
            role=Role.AGENT,
            password=PASSWORD,
            now=services.clock(),
        )
    return email


def client_at(settings: Settings, services: Services, address: str) -> httpx.AsyncClient:
    """A client of the same service (the same throttle) connecting from ``address``."""
    transport = httpx.ASGITransport(app=create_app(settings, services), client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def log_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> list[Any]:
    """The login's error codes ([] when it opened a session)."""
    response = await client.post(
        "/graphql",
        json={
            "query": operation("StaffLogin"),
            "variables": {"email": email, "password": password},
        },
        headers={"accept-language": "en"},
    )
    payload = response.json()["data"]["staffLogin"]
    assert (payload["me"] is None) == bool(payload["errors"])
    return [error["code"] for error in payload["errors"]]


@pytest.mark.anyio
async def test_failures_from_one_origin_do_not_lock_the_account_for_another(
    settings: Settings,
) -> None:
    async with running_service(settings) as (services, _):
        # given: an origin that failed 6 times at an account
        email = await new_agent(services)
        async with (
            client_at(settings, services, "198.51.100.66") as guesser,
            client_at(settings, services, "192.0.2.10") as office,
        ):
            for _ in range(FAILURES_PER_PAIR + 1):
                await log_in(guesser, email, "guess")
            # when
            from_office = await log_in(office, email)
            from_guesser = await log_in(guesser, email)
    # then: the owner logs in from an origin that has not failed; the guesser still waits
    assert from_office == []
    assert from_guesser == ["TOO_MANY_ATTEMPTS"]


@pytest.mark.anyio
async def test_an_ipv6_guesser_cannot_escape_the_pair_limit_by_changing_address_in_its_64(
    settings: Settings,
) -> None:
    async with running_service(settings) as (services, _):
        # given: 5 failures from 5 addresses of one /64
        email = await new_agent(services)
        for n in range(FAILURES_PER_PAIR):
            async with client_at(settings, services, f"2001:db8:1:2::{n + 1}") as guesser:
                await log_in(guesser, email, "guess")
        # when
        async with client_at(settings, services, "2001:db8:1:2::99") as same_network:
            from_same_network = await log_in(same_network, email)
        async with client_at(settings, services, "2001:db8:1:3::1") as next_network:
            from_next_network = await log_in(next_network, email)
    # then
    assert from_same_network == ["TOO_MANY_ATTEMPTS"]
    assert from_next_network == []


@pytest.mark.anyio
async def test_under_a_distributed_attack_an_origin_that_failed_waits_and_a_clean_one_logs_in(
    settings: Settings,
) -> None:
    async with running_service(settings) as (services, _):
        # given: one wrong guess from each of 20 origins
        email = await new_agent(services)
        for n in range(ACCOUNT_UNDER_ATTACK):
            async with client_at(settings, services, f"198.51.100.{n + 1}") as guesser:
                await log_in(guesser, email, "guess")
        # when
        async with client_at(settings, services, "198.51.100.1") as first_guesser:
            from_a_guesser = await log_in(first_guesser, email)
        async with client_at(settings, services, "192.0.2.10") as office:
            from_office = await log_in(office, email)
    # then
    assert from_a_guesser == ["TOO_MANY_ATTEMPTS"]
    assert from_office == []
