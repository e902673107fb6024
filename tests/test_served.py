"""The real server process, as `python -m service serve --demo` starts it: hostile requests
get a quick 4xx and the server keeps answering."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest

from service.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow
# A liveness bound, not a speed claim: a refused request must not tie the server up.
ANSWER_WITHIN_SECONDS = 5.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    data_dir: Path, *extra: str, settings: Mapping[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """``serve --demo`` on a free loopback port, with these ``SERVICE_*`` variables only."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICE_")}
    # The demo's few example reports only, unless a test asks for its year of examples.
    env["SERVICE_DEMO_YEAR_ITEMS"] = "0"
    env.update(settings or {})
    env["SERVICE_DATA_DIR"] = str(data_dir)
    process = subprocess.Popen(
        [sys.executable, "-m", "service", "serve", "--demo", "--port", str(port), *extra],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not become ready within 60 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process, base = start_server(tmp_path_factory.mktemp("served"))
    yield base
    stop(process)


def post(base: str, **kwargs: object) -> httpx.Response:
    return httpx.post(f"{base}/graphql", timeout=ANSWER_WITHIN_SECONDS, **kwargs)  # type: ignore[arg-type]


HOSTILE = {
    "depth 50": {
        "json": {"query": '{ body(code: "alm") ' + "{ parent " * 50 + "{ code }" + " }" * 50 + " }"}
    },
    "1,000 aliases": {
        "json": {"query": "{ " + " ".join(f"a{i}: __typename" for i in range(1000)) + " }"}
    },
    "2 MB body": {
        "content": b'{"query": "' + b"#" * 2_000_000 + b'"}',
        "headers": {"content-type": "application/json"},
    },
    "malformed JSON": {"content": b'{"query": ', "headers": {"content-type": "application/json"}},
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_request_gets_a_clear_4xx_and_the_server_keeps_answering(
    server: str, name: str
) -> None:
    # given
    request = dict(HOSTILE[name])
    headers = {"accept": "application/graphql-response+json", **request.pop("headers", {})}
    # when
    response = post(server, headers=headers, **request)
    # then
    assert 400 <= response.status_code < 500
    assert response.json()["errors"][0]["extensions"]["code"]
    assert post(server, json={"query": "{ communes { code } }"}).status_code == 200


def test_graphiql_is_served_in_demo_mode(server: str) -> None:
    # when: a browser opens /graphql
    response = httpx.get(f"{server}/graphql", headers={"accept": "text/html"})
    # then
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


def test_two_workers_serve_the_same_data(tmp_path: Path) -> None:
    # given
    process, base = start_server(tmp_path, "--workers", "2")
    try:
        # when
        answers = {
            post(
                base,
                json={
                    "query": "{ communeAt(latitude: 47.4712, longitude: -0.5502) "
                    "{ commune { name } } }"
                },
            ).text
            for _ in range(20)
        }
    finally:
        stop(process)
    # then
    assert answers == {'{"data":{"communeAt":{"commune":{"name":"Angers"}}}}'}


def test_demo_mode_serves_example_reports_in_several_states(server: str) -> None:
    # when
    response = post(
        server,
        json={"query": "{ reports(first: 100) { totalCount edges { node { status } } } }"},
        headers={"accept-language": "fr"},
    )
    # then
    reports = response.json()["data"]["reports"]
    assert reports["totalCount"] == 12
    statuses = {edge["node"]["status"] for edge in reports["edges"]}
    assert {"SUBMITTED", "ACKNOWLEDGED", "IN_PROGRESS", "RESOLVED", "REJECTED"} <= statuses
