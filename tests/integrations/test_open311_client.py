"""An Open311 client someone else wrote and published (civicbot, from PyPI) lists the
services, posts a request and reads it back, against the real server process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from civicbot import Open311Client
from civicbot.http import HttpTransport, RateLimiter
from civicbot.registry import Endpoint

from service.settings import PROJECT_ROOT
from tests.test_served import start_server, stop

pytestmark = pytest.mark.slow


def cli(data_dir: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICE_")}
    env["SERVICE_DATA_DIR"] = str(data_dir)
    done = subprocess.run(
        [sys.executable, "-m", "service", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@pytest.fixture(scope="module")
def served_with_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    data_dir = tmp_path_factory.mktemp("open311")
    cli(data_dir, "migrate")
    key = cli(data_dir, "api-client", "create", "--name", "civicbot").strip().splitlines()[-1]
    process, base = start_server(data_dir)
    yield base, key
    stop(process)


def client_for(base: str, fmt: str = "json") -> Open311Client:
    endpoint = Endpoint(
        id="alm", name="Angers Loire Métropole", base_url=f"{base}/open311/v2", write=True
    )
    transport = HttpTransport(rate_limiter=RateLimiter(min_interval=0.0))
    return Open311Client(endpoint, transport, jurisdiction_id="angersloiremetropole.fr", fmt=fmt)


def test_a_published_open311_client_lists_posts_and_reads_back(
    served_with_key: tuple[str, str],
) -> None:
    base, key = served_with_key
    client = client_for(base)
    # when: it lists the services and reads a definition
    services = client.list_services()
    definition = client.get_service_definition("tree_pruning")
    # then
    codes = {s["service_code"] for s in services}
    assert {"pothole", "tree_pruning", "bulky_waste_pickup"} <= codes
    assert [a["code"] for a in definition["attributes"]] == ["tree_place", "problem", "height_m"]
    # when: it validates against the live definition, then really posts
    prepared = client.create_request(
        "tree_pruning",
        dry_run=False,
        confirm="SEND",
        api_key=key,
        validate_remote=True,
        lat=47.50694,
        lng=-0.58917,
        description="Branches sur le panneau stop",
        attributes={"tree_place": "street", "problem": ["hides_sign"]},
    )
    # then: it gets an id and reads the request back, open
    request_id = prepared.response[0]["service_request_id"]
    record = client.get_request(request_id)
    assert record is not None
    assert record["service_request_id"] == request_id
    assert record["status"] == "open"
    assert record["service_code"] == "tree_pruning"
    listed = client.list_requests(service_code="tree_pruning", status="open")
    assert request_id in [r["service_request_id"] for r in listed]
