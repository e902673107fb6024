"""The service as a deployment installs it: a wheel (not the repository), served from a folder
that has nothing to do with the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import venv
from pathlib import Path

import httpx
import pytest

from service.settings import PROJECT_ROOT
from tests.ops.support import sqlite_pass_only
from tests.test_served import free_port, stop

pytestmark = [pytest.mark.slow, sqlite_pass_only]

NOT_SOURCES = shutil.ignore_patterns(
    ".git",
    ".venv",
    "var",
    "build",
    "dist",
    "*.egg-info",
    "node_modules",
    "__pycache__",
    "_resources",
    "screenshots",
    "results",
)


def build_wheel(into: Path) -> Path:
    """``pip wheel .`` on a copy of the sources (the checkout is left as it is)."""
    sources = into / "sources"
    shutil.copytree(PROJECT_ROOT, sources, ignore=NOT_SOURCES)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(into / "dist"),
            str(sources),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = (into / "dist").glob("*.whl")
    return wheel


def fresh_venv_with(wheel: Path, folder: Path) -> Path:
    """A new virtual environment holding the wheel; its dependencies are those of the test
    run's environment (reached through a .pth line, so nothing is downloaded), whose own
    editable install of the service is never activated there."""
    venv.create(folder, with_pip=False)
    python = folder / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "test-dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            purelib,
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    return python


def test_an_installed_wheel_serves_the_demo_from_an_unrelated_folder(tmp_path: Path) -> None:
    # given: the wheel installed in a fresh environment, and a folder with nothing in it
    python = fresh_venv_with(build_wheel(tmp_path / "build"), tmp_path / "env")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SERVICE_", "PYTHON"))}
    env["SERVICE_DATA_DIR"] = str(elsewhere / "data")
    # when
    log = elsewhere / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(python), "-m", "service", "serve", "--demo", "--port", str(port)],
            cwd=elsewhere,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        ready = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and process.poll() is None:
            try:
                ready = httpx.get(f"{base}/readyz", timeout=1)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        assert process.poll() is None, log.read_text(encoding="utf-8")
        # then: it runs the wheel's code, with its reference data, catalogs and operations
        where = subprocess.run(
            [str(python), "-c", "import service; print(service.__file__)"],
            capture_output=True,
            text=True,
            cwd=elsewhere,
            env=env,
            check=True,
        ).stdout
        assert str(tmp_path / "env") in where
        assert ready is not None and ready.status_code == 200
        communes = httpx.post(
            f"{base}/graphql",
            json={"query": '{ commune(code: "49007") { name } }'},
            headers={"accept-language": "en"},
            timeout=10,
        ).json()
        assert communes["data"]["commune"]["name"] == "Angers"
        page = httpx.get(f"{base}/?lang=de", timeout=10)
        assert page.status_code == 200 and 'lang="de"' in page.text
        documents = httpx.get(f"{base}/graphql/documents.json", timeout=10)
        assert documents.status_code == 200 and len(documents.json()["documents"]) > 10
    finally:
        stop(process)
