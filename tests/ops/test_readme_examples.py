"""Every request example of the README's API tour, run with curl against the demo: each
answers without an HTTP or GraphQL error, and finds something where it searches.

The examples' placeholders (a key printed once, a password, an id computed from a file) are
replaced by real ones made here; nothing else of the text is changed."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.integrations.documents import document_id
from service.settings import PROJECT_ROOT
from tests.ops.support import sqlite_pass_only
from tests.support import OPERATIONS_DIR, operation
from tests.test_served import start_server, stop

pytestmark = [pytest.mark.slow, sqlite_pass_only]

PASSWORD = "readme-example-password-1"
DEMO_BASES = ("http://127.0.0.1:8000", "localhost:8000")


def readme_examples() -> list[str]:
    """The curl commands of the README's sh blocks, continuation lines joined."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", readme, flags=re.S):
        lines = block.split("\n")
        index = 0
        while index < len(lines):
            if lines[index].startswith("curl "):
                command = lines[index]
                while command.rstrip().endswith("\\") or (
                    index + 1 < len(lines)
                    and lines[index + 1].startswith("  ")
                    and not lines[index + 1].lstrip().startswith("#")
                ):
                    index += 1
                    command += "\n" + lines[index]
                commands.append(command)
            index += 1
    return commands


EXAMPLES = readme_examples()


def cli(data_dir: Path, *args: str, stdin: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICE_")}
    env["SERVICE_DATA_DIR"] = str(data_dir)
    result = subprocess.run(
        [sys.executable, "-m", "service", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=120,
        check=True,
    )
    return result.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, dict[str, str]]]:
    """The demo, an API key with every scope, a staff admin and their personal access token."""
    data_dir = tmp_path_factory.mktemp("readme")
    process, base = start_server(data_dir)
    try:
        printed = cli(
            data_dir,
            "api-client",
            "create",
            "--name",
            "vivre-a-angers",
            "--scopes",
            "public:read,items:write,items:follow,webhooks:manage,opendata:read",
        )
        key = re.search(r"alm_api_\S+", printed)
        assert key is not None, printed
        cli(
            data_dir,
            "staff",
            "create",
            "--email",
            "admin@angers.fr",
            "--name",
            "Admin",
            "--body",
            "mairie-49007",
            "--role",
            "admin",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        with httpx.Client(base_url=base, timeout=10) as client:
            login = client.post(
                "/graphql",
                json={
                    "query": operation("StaffLogin"),
                    "variables": {"email": "admin@angers.fr", "password": PASSWORD},
                },
            ).json()["data"]["staffLogin"]
            csrf = login["me"]["csrfToken"]
            created = client.post(
                "/graphql",
                json={
                    "query": operation("AccessTokenCreate"),
                    "variables": {"name": "readme", "scopes": ["items:read", "staff:read"]},
                },
                headers={"x-csrf-token": csrf},
            ).json()
        secret = created["data"]["staffAccessTokenCreate"]["secret"]
        assert secret, created
        categories = (OPERATIONS_DIR / "Categories.graphql").read_text(encoding="utf-8")
        placeholders = {
            "alm_api_…": key.group(0),
            "alm_pat_…": secret,
            'password: \\"…\\"': f'password: \\"{PASSWORD}\\"',
            "sha256:<id of Categories>": document_id(categories),
        }
        yield base, key.group(0), placeholders
    finally:
        stop(process)


def as_run(command: str, base: str, placeholders: dict[str, str]) -> str:
    for old, new in placeholders.items():
        command = command.replace(old, new)
    for demo_base in DEMO_BASES:
        command = command.replace(demo_base, base)
    # A comment ending the example's last line (`   # typed attributes`) would swallow the
    # options added here.
    command = re.sub(r"\s+#[^'\"\n]*$", "", command)
    return command + " -o response -w '%{http_code}'"


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"line-{i}" for i in range(len(EXAMPLES))])
def test_every_readme_example_answers_what_the_readme_shows(
    demo: tuple[str, str, dict[str, str]], example: str, tmp_path: Path
) -> None:
    # given
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    base, key, placeholders = demo
    assert "…" not in as_run(example, base, placeholders), "a placeholder without a value"
    # when
    result = subprocess.run(
        ["bash", "-c", as_run(example, base, placeholders)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "KEY": key},
        timeout=30,
    )
    # then
    assert result.returncode == 0, result.stderr
    status = int(result.stdout.strip()[-3:])
    body = (tmp_path / "response").read_text(encoding="utf-8")
    assert status < 400, body[:500]
    if body.startswith("{") and '"data"' in body:
        answer = json.loads(body)
        assert "errors" not in answer, answer["errors"]
        assert not re.search(r'"errors":\[\{', body), body[:500]
        assert '"totalCount":0' not in body, "the example finds nothing"
