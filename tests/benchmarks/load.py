"""Closed-loop HTTP load generator, run in its own process on its own core.

Why raw asyncio streams rather than httpx: an httpx AsyncClient spends ~100-200 µs of Python per
request (request/response models, header normalisation, connection-pool bookkeeping), which on one
core caps a client near the rate of the server under test, so the benchmark would measure the
client. Here each of `concurrency` clients holds one HTTP/1.1 keep-alive connection and loops:
write a pre-built request, read the head up to the blank line, read exactly content-length bytes,
check the JSON. On uvloop this client alone does ~60,000 trivial requests/s on one core against a
canned-response server, and it reports its own CPU use next to the server's for every run, so a
reader can tell which side was saturated.

One child process runs a whole plan of slices (scenario, clients, seconds) in order; the caller
interleaves scenarios in that plan so that slow phases of a noisy machine hit them all alike.
"""

from __future__ import annotations

import asyncio
import json
import math
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from tests.benchmarks.scenarios import is_page, is_success, page_request, request_maker

HOST = "127.0.0.1"
# In-flight requests still unanswered this long after the end of a slice count as timeouts.
GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class Target:
    port: int
    server_pid: int | None  # to read its CPU time from /proc
    cpus: frozenset[int] | None  # where the load generator runs


@dataclass(frozen=True)
class Slice:
    scenario: str
    concurrency: int
    warmup: float
    duration: float
    seed: int
    # A web page rather than a GraphQL scenario: its path (with its query string) and the
    # Accept-Language it is asked in; `scenario` is then only its label.
    path: str = ""
    language: str = ""
    # Cookies the page is asked with (a staff console session), as one Cookie header.
    cookie: str = ""


def run_slices(
    target: Target,
    plan: Sequence[Slice],
    on_result: Callable[[int, dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run `plan` in one child process; return one raw result per slice, in order."""
    # spawn, not fork: the child starts clean (no inherited event loop, sockets or threads).
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child_main, args=(target, list(plan), sender), name="bench-load"
    )
    child.start()
    sender.close()
    results: list[dict[str, Any]] = []
    try:
        for index, planned in enumerate(plan):
            timeout = planned.warmup + planned.duration + GRACE_SECONDS + 30.0
            if not receiver.poll(timeout):
                raise RuntimeError(f"the load generator gave no result within {timeout:.0f} s")
            result: dict[str, Any] = receiver.recv()
            if "failure" in result:
                raise RuntimeError(f"the load generator failed: {result['failure']}")
            results.append(result)
            if on_result is not None:
                on_result(index, result)
        child.join(timeout=10)
        return results
    finally:
        receiver.close()
        if child.is_alive():  # Ctrl-C or an error in the parent: do not leave it behind
            child.terminate()
            child.join()


def summarize(results: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pool the slices of each (scenario, clients): total requests over total measured time."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for result in results:
        groups.setdefault((result["scenario"], result["concurrency"]), []).append(result)
    summaries = []
    for (scenario, concurrency), slices in groups.items():
        duration = sum(s["duration_s"] for s in slices)
        latencies = sorted(latency for s in slices for latency in s["latencies"])
        rates = [len(s["latencies"]) / s["duration_s"] for s in slices]
        summaries.append(
            {
                "scenario": scenario,
                "concurrency": concurrency,
                "duration_s": duration,
                "slices": len(slices),
                "requests": len(latencies),
                "requests_per_second": len(latencies) / duration,
                # How much the rate moved between slices: the machine's noise, made visible.
                "slice_requests_per_second": [round(rate, 1) for rate in rates],
                "latency_ms": {
                    "p50": _percentile(latencies, 50),
                    "p95": _percentile(latencies, 95),
                    "p99": _percentile(latencies, 99),
                    "max": latencies[-1] * 1000 if latencies else None,
                },
                "errors": sum(s["errors"] for s in slices),
                "warmup_errors": sum(s["warmup_errors"] for s in slices),
                "error_samples": [e for s in slices for e in s["error_samples"]][:5],
                # Fractions of one core over the measured time (1.0 = one core fully busy).
                "client_cpu": _cpu_share(slices, "client_cpu_s", duration),
                "server_cpu": _cpu_share(slices, "server_cpu_s", duration),
            }
        )
    return summaries


def _cpu_share(slices: Sequence[dict[str, Any]], key: str, duration: float) -> float | None:
    values = [s[key] for s in slices]
    if any(value is None for value in values):
        return None
    return float(sum(values)) / duration


def _child_main(target: Target, plan: list[Slice], sender: Connection) -> None:
    # A terminal Ctrl-C reaches the whole process group; the parent decides what happens next.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if target.cpus is not None:
        os.sched_setaffinity(0, target.cpus)
    try:
        import uvloop  # installed with uvicorn[standard]; the server runs on it too

        run: Callable[[Any], Any] = uvloop.run
    except ImportError:
        run = asyncio.run
    for planned in plan:
        try:
            result = run(_run_slice(target, planned))
        except Exception as error:  # report it to the parent rather than dying silently
            result = {"failure": f"{type(error).__name__}: {error}"}
        sender.send(result)
        if "failure" in result:
            break
    sender.close()


class _Tally:
    """What the clients observed; only completions inside the measured window are kept."""

    def __init__(self, measure_from: float, measure_until: float) -> None:
        self.measure_from = measure_from
        self.measure_until = measure_until
        self.latencies: list[float] = []
        self.errors = 0
        self.warmup_errors = 0
        self.error_samples: list[str] = []

    def in_window(self, at: float) -> bool:
        return self.measure_from <= at <= self.measure_until

    def error(self, at: float, description: str) -> None:
        if self.in_window(at):
            self.errors += 1
        else:
            self.warmup_errors += 1
        if len(self.error_samples) < 5 and description not in self.error_samples:
            self.error_samples.append(description)


async def _run_slice(target: Target, planned: Slice) -> dict[str, Any]:
    start = time.perf_counter()
    tally = _Tally(start + planned.warmup, start + planned.warmup + planned.duration)
    cpu: dict[str, tuple[float, float | None]] = {}

    def snapshot(label: str) -> None:
        cpu[label] = (time.process_time(), _process_cpu_seconds(target.server_pid))

    loop = asyncio.get_running_loop()
    loop.call_later(planned.warmup, snapshot, "from")
    loop.call_later(planned.warmup + planned.duration, snapshot, "until")
    tasks = [
        asyncio.ensure_future(_client(target.port, planned, index, tally))
        for index in range(planned.concurrency)
    ]
    _, pending = await asyncio.wait(
        tasks, timeout=planned.warmup + planned.duration + GRACE_SECONDS
    )
    for task in pending:
        task.cancel()
    tally.errors += len(pending)
    if pending:
        tally.error_samples.append(f"{len(pending)} requests unanswered after {GRACE_SECONDS} s")
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]  # a bug in the client, not a load error
    client_cpu = server_cpu = None
    if "from" in cpu and "until" in cpu:
        client_cpu = cpu["until"][0] - cpu["from"][0]
        server_from, server_until = cpu["from"][1], cpu["until"][1]
        if server_from is not None and server_until is not None:
            server_cpu = server_until - server_from
    return {
        "scenario": planned.scenario,
        "concurrency": planned.concurrency,
        "duration_s": planned.duration,
        "latencies": tally.latencies,
        "errors": tally.errors,
        "warmup_errors": tally.warmup_errors,
        "error_samples": tally.error_samples,
        "client_cpu_s": client_cpu,
        "server_cpu_s": server_cpu,
    }


async def _client(port: int, planned: Slice, index: int, tally: _Tally) -> None:
    if planned.path:
        next_request = page_request(planned.path, planned.language, port, planned.cookie)
    else:
        # A distinct, reproducible stream of requests per client and slice (seeded).
        next_request = request_maker(planned.scenario, port, planned.seed * 1000 + index)
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    while (sent := time.perf_counter()) < tally.measure_until:
        try:
            if connection is None:
                connection = await asyncio.open_connection(HOST, port)
            reader, writer = connection
            writer.write(next_request())
            head = await reader.readuntil(b"\r\n\r\n")
            status, length, keep_alive = _parse_head(head)
            body = await reader.readexactly(length)
        except (OSError, EOFError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
            tally.error(time.perf_counter(), f"{type(e).__name__}: {e}")
            await _close(connection)
            connection = None
            await asyncio.sleep(0.01)  # a dead server must not turn this into a busy loop
            continue
        done = time.perf_counter()
        if status != 200:
            tally.error(done, f"HTTP {status}: {body[:200]!r}")
        elif planned.path and not is_page(body):
            tally.error(done, f"not an HTML page: {body[:200]!r}")
        elif not planned.path and not _succeeded(planned.scenario, body):
            tally.error(done, f"GraphQL error: {body[:200]!r}")
        elif tally.in_window(done):
            tally.latencies.append(done - sent)
        if not keep_alive:
            await _close(connection)
            connection = None
    await _close(connection)


def _parse_head(head: bytes) -> tuple[int, int, bool]:
    """Status, content-length and keep-alive of a response head (uvicorn always sends a length)."""
    lowered = head.lower()
    status = int(head[9:12])
    at = lowered.find(b"\r\ncontent-length:")
    if at < 0:
        raise EOFError("response without content-length")
    end = lowered.index(b"\r\n", at + 2)
    length = int(lowered[at + 17 : end])
    return status, length, b"\r\nconnection: close" not in lowered


def _succeeded(scenario: str, body: bytes) -> bool:
    try:
        return is_success(scenario, json.loads(body))
    except (ValueError, KeyError, TypeError):
        return False


async def _close(connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None) -> None:
    if connection is not None:
        writer = connection[1]
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass


def _process_cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU of another process, from /proc (None where there is no /proc)."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    # After the command name: state is field 3, utime field 14, stime field 15 (proc(5)).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(ordered: list[float], percent: float) -> float | None:
    """Nearest-rank percentile, in milliseconds."""
    if not ordered:
        return None
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1] * 1000
