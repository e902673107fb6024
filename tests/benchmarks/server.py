"""Start and stop the real service (`python -m service serve --demo`) for a benchmark run."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


class ServerFailed(RuntimeError):
    """The server did not become ready; the message carries the end of its log."""


@dataclass(frozen=True)
class Server:
    pid: int
    port: int
    log_path: Path
    startup_seconds: float
    cpus: frozenset[int] | None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"


def free_port() -> int:
    # The port is released before the server binds it: a tiny race, acceptable for a local run
    # (a clash shows up as a start-up failure with the server's log, not as wrong figures).
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def split_cpus() -> tuple[frozenset[int] | None, frozenset[int] | None]:
    """One core for the server, the others for the load generator (None: cannot pin)."""
    if not hasattr(os, "sched_getaffinity"):
        return None, None
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return None, None
    return frozenset(available[:1]), frozenset(available[1:])


@contextmanager
def data_directory() -> Iterator[Path]:
    """A throw-away data dir (database, demo key, server log), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="alm-bench-") as data_dir:
        yield Path(data_dir)


def service_environment(data_dir: Path, log_level: str = "warning") -> dict[str, str]:
    """The environment of every service process of a run: the server and the seeding commands."""
    env = {
        **os.environ,
        "SERVICE_DATA_DIR": str(data_dir),
        # Access logs at "info" would cost the single worker a log line per request and
        # measure the terminal as much as the service; warnings and errors are still kept.
        "SERVICE_LOG_LEVEL": log_level,
        # Every client of the load generator comes from 127.0.0.1: lift the per-origin limit
        # of sensor opinions (the per-device one still applies; devices vary).
        "SERVICE_OPINIONS_PER_ORIGIN_HOUR": "1000000000",
        # The load comes from one address: lift the per-origin limits and budgets.
        "SERVICE_ANONYMOUS_REQUESTS_PER_MINUTE": "1000000000",
        "SERVICE_ANONYMOUS_SUBMISSIONS_PER_MINUTE": "1000000000",
        "SERVICE_ANONYMOUS_COST_PER_MINUTE": "1000000000",
        # Production runs the search indexer apart (`python -m service index`): in the serving
        # worker it took half of its core at 200 submissions/s (reportCreate 214 -> 409 req/s
        # without it). The budgets are per serving worker.
        "SERVICE_SEARCH_INDEXER": os.environ.get("SERVICE_SEARCH_INDEXER", "false"),
    }
    env.pop("SERVICE_DATABASE_URL", None)  # the embedded SQLite file in the data dir
    return env


@contextmanager
def running_server(
    *,
    cpus: frozenset[int] | None,
    data_dir: Path,
    log_level: str = "warning",
    ready_timeout: float = 60.0,
    environment: Mapping[str, str] | None = None,
) -> Iterator[Server]:
    """Yield a ready server on a free port using `data_dir` (possibly seeded); always stop it.

    `environment` adds to or overrides the variables of `service_environment`."""
    port = free_port()
    log_path = data_dir / "server.log"
    command = [sys.executable, "-m", "service", "serve", "--demo", "--port", str(port)]
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        # A new session keeps a terminal Ctrl-C away from the server: we stop it ourselves,
        # after the load generator, so it never dies mid-measurement with a confusing trace.
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env={**service_environment(data_dir, log_level), **(environment or {})},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        if cpus is not None:
            # Pinned before the interpreter starts any thread; threads inherit the mask.
            os.sched_setaffinity(process.pid, cpus)
        _wait_ready(process, port, log_path, ready_timeout)
        yield Server(
            pid=process.pid,
            port=port,
            log_path=log_path,
            startup_seconds=time.perf_counter() - started,
            cpus=cpus,
        )
    finally:
        _stop(process)


def _wait_ready(
    process: subprocess.Popen[bytes], port: int, log_path: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    # trust_env=False: an HTTP(S)_PROXY in the environment must not capture 127.0.0.1.
    with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=2.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ServerFailed(
                    f"the server exited with code {process.returncode}:\n{_tail(log_path)}"
                )
            try:
                if client.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.05)
    raise ServerFailed(f"the server was not ready after {timeout:.0f} s:\n{_tail(log_path)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # uvicorn shuts down gracefully on SIGTERM
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"
