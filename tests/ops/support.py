"""Helpers of the operations tests: a served process becoming ready."""

from __future__ import annotations

import os
import subprocess
import time
from typing import Any

import httpx
import pytest


def wait_ready(base: str, process: subprocess.Popen[bytes], seconds: float = 90) -> Any:
    """The body of the first 200 ``/readyz``; raises if the process exits or never gets there."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            response = httpx.get(f"{base}/readyz", timeout=1)
            if response.status_code == 200:
                return response.json()
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server was not ready within {seconds} s")


# For the tests that never touch the configured test database (they serve the demo on its
# SQLite file, build a wheel, run nginx): run in CI's SQLite pass, not again in its
# PostgreSQL pass, which would only repeat them.
sqlite_pass_only = pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")),
    reason="independent of the test database: runs in the SQLite pass",
)
