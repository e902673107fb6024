"""Helpers of the operations tests: a served process becoming ready."""

from __future__ import annotations

import subprocess
import time
from typing import Any

import httpx


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
