"""`python -m tests.benchmarks.console`: speed of the staff console's pages (issue 19).

A real served instance (`serve --demo`, one worker pinned to one core) over a database seeded
with `--reports` reports (100,000 by default, all in Angers: the commune's categories handled
by the town hall, the others by ALM's directorates), an Angers agent made with `staff
create`, signed in through the console's own form. Then, with 8 concurrent clients holding
that session (closed loop, keep-alive), p50/p95 of each page from request to last byte:

* the queue as it opens (oldest first, every status), filtered (submitted, newest first),
  sorted by support, and a second page (keyset cursor) — budget p95 ≤ 100 ms;
* an item's page (history, nearby duplicates, templates) — budget p95 ≤ 50 ms;

interleaved in slices with the trivial GraphQL query as the other page benchmarks do, the
server's CPU ms per request beside them (with 8 clients on one worker, a request mostly waits
for the 7 others). Reports and exits 0 even when a budget is missed (MISSED beside it).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.benchmarks.__main__ import (
    _commit,
    _interrupt,
    _non_negative_float,
    _positive_float,
    _positive_int,
    _service_modified,
)
from tests.benchmarks.load import Slice, Target, run_slices, summarize
from tests.benchmarks.report import _cpus, _ms, _percent, add_ratios, write_json
from tests.benchmarks.seed import seed_database
from tests.benchmarks.server import (
    PROJECT_ROOT,
    ServerFailed,
    data_directory,
    running_server,
    service_environment,
    split_cpus,
)

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results" / "console.json"
EXIT_INTERRUPTED = 130
PASSWORD = "benchmark password 2026"
EMAIL = "agent.benchmark@angers.fr"
QUEUE_BUDGET_MS, ITEM_BUDGET_MS, HTML_BUDGET = 100.0, 50.0, 30_000


@dataclass(frozen=True)
class Case:
    label: str
    path: str
    budget_ms: float


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.slices = 1.0, 0.3, 1
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _run(args)
    except KeyboardInterrupt:
        print("\ninterrupted: server stopped, no results written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ServerFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    server_cpus, client_cpus = split_cpus()
    load_before = os.getloadavg()
    with data_directory() as data_dir:
        environment = service_environment(data_dir)
        seeding = seed_database(data_dir, environment, args.reports, seed=1)
        print(f"seeded {args.reports:,} reports in {seeding.total_seconds:.1f} s", file=sys.stderr)
        _create_agent(environment)
        with running_server(
            cpus=server_cpus, data_dir=data_dir, environment={"SERVICE_MAP_TILES_URL": ""}
        ) as server:
            with httpx.Client(base_url=server.base_url, timeout=30.0, trust_env=False) as client:
                cookie = _sign_in(client)
                cases = _cases(client, cookie)
                weights = {case.label: _weigh(client, case, cookie) for case in cases}
            plan = _plan(cases, args, cookie)
            target = Target(port=server.port, server_pid=server.pid, cpus=client_cpus)

            def progress(index: int, result: dict[str, Any]) -> None:
                rate = len(result["latencies"]) / result["duration_s"]
                print(
                    f"[{index + 1}/{len(plan)}] {result['scenario']}: {rate:,.0f} req/s",
                    file=sys.stderr,
                )

            http = summarize(run_slices(target, plan, progress))
    add_ratios(http)
    trivial = next(r for r in http if r["scenario"] == "trivial")
    rows = [_row(case, weights[case.label], http) for case in cases]
    meta = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "service_modified": _service_modified(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "server_cpus": sorted(server_cpus) if server_cpus else None,
        "client_cpus": sorted(client_cpus) if client_cpus else None,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "reports": args.reports,
        "clients": args.clients,
        "duration_s": args.duration,
        "slices": args.slices,
        "warmup_s": args.warmup,
    }
    print(render(meta, trivial, rows))
    write_json(args.output, {"meta": meta, "trivial": trivial, "pages": rows})
    print(f"\nwrote {args.output}")
    return 0


def _create_agent(environment: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "service", "staff", "create", "--email", EMAIL, "--name", "Agent"]
        + ["--body", "mairie-49007", "--role", "agent", "--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
    )


def _sign_in(client: httpx.Client) -> str:
    """Sign in through the console's form; the Cookie header of the session."""
    form = client.get("/console/connexion")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    if token is None:
        raise ServerFailed("the sign-in page has no CSRF token")
    response = client.post(
        "/console/connexion",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    if response.status_code != 303 or "alm_staff" not in client.cookies:
        raise ServerFailed(f"signing in answered {response.status_code}")
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def _cases(client: httpx.Client, cookie: str) -> list[Case]:
    first = client.get("/console", headers={"cookie": cookie})
    found = re.search(r'href="(/console\?apres=[^"]+)"', first.text)
    reference = re.findall(r'<th scope="row"><a href="/console/dossiers/([^"?]+)"', first.text)
    if not found or not reference:
        raise ServerFailed("the queue shows no item or no next page: was the database seeded?")
    return [
        Case("queue", "/console", QUEUE_BUDGET_MS),
        Case("queue submitted newest", "/console?status=submitted&order=newest_first", 100.0),
        Case("queue most supported", "/console?order=most_supported", QUEUE_BUDGET_MS),
        Case("queue page 2", found.group(1).replace("&amp;", "&"), QUEUE_BUDGET_MS),
        Case("queue overdue due soonest", "/console?overdue=1&order=due_soonest", QUEUE_BUDGET_MS),
        Case("item", f"/console/dossiers/{reference[len(reference) // 2]}", ITEM_BUDGET_MS),
    ]


def _weigh(client: httpx.Client, case: Case, cookie: str) -> dict[str, Any]:
    response = client.get(case.path, headers={"cookie": cookie, "accept-language": "fr"})
    if response.status_code != 200:
        raise ServerFailed(f"{case.label} answered {response.status_code}")
    total = re.search(r"<h2 id=\"counts-title\">([^<]+)</h2>", response.text)
    return {"html_bytes": len(response.content), "shown_total": total.group(1) if total else ""}


def _plan(cases: list[Case], args: argparse.Namespace, cookie: str) -> list[Slice]:
    plan: list[Slice] = []
    for round_number in range(args.slices):
        warmup = args.warmup if round_number == 0 else min(args.warmup, 0.25)
        for case in [None, *cases]:
            plan.append(
                Slice(
                    scenario="trivial" if case is None else case.label,
                    concurrency=args.clients,
                    warmup=warmup,
                    duration=args.duration / args.slices,
                    seed=len(plan),
                    path="" if case is None else case.path,
                    language="" if case is None else "fr",
                    cookie="" if case is None else cookie,
                )
            )
    return plan


def _row(case: Case, weight: dict[str, Any], http: list[dict[str, Any]]) -> dict[str, Any]:
    result = next(r for r in http if r["scenario"] == case.label)
    requests, cpu = result["requests"], result["server_cpu"]
    cpu_ms = cpu * result["duration_s"] / requests * 1000 if cpu is not None and requests else None
    p95 = result["latency_ms"]["p95"]
    return {
        "page": case.label,
        "path": case.path,
        **weight,
        **{k: v for k, v in result.items() if k != "scenario"},
        "server_cpu_ms_per_request": cpu_ms,
        "budget_ms": case.budget_ms,
        "p95_met": p95 is not None and p95 <= case.budget_ms and not result["errors"],
        "html_met": weight["html_bytes"] <= HTML_BUDGET,
    }


def render(meta: dict[str, Any], trivial: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    before = ", ".join(f"{x:.2f}" for x in meta["load_average_before"])
    after = ", ".join(f"{x:.2f}" for x in meta["load_average_after"])
    lines = [
        f"{meta['reports']:,} reports; server: 1 worker pinned to CPU "
        f"{_cpus(meta['server_cpus'])}; load generator on CPU {_cpus(meta['client_cpus'])}; "
        f"{meta['clients']} clients; {meta['duration_s']:g} s per page in {meta['slices']} "
        f"interleaved slices; commit {meta['commit'] or '?'}"
        f"{' + uncommitted changes in service/' if meta['service_modified'] else ''}",
        f"machine: {meta['cpu_count']} CPUs; load average (1, 5, 15 min) {before} before, "
        f"{after} after",
        f"trivial GraphQL query: {trivial['requests_per_second']:,.0f} req/s, p95 "
        f"{_ms(trivial['latency_ms']['p95'])} ms, server CPU {_percent(trivial['server_cpu'])}",
        "",
    ]
    header = (
        f"{'page':<25}{'HTML B':>8}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'CPU ms/req':>11}"
        f"{'errors':>7}  budgets"
    )
    lines += [header, "-" * len(header)]
    for r in rows:
        latency = r["latency_ms"]
        verdict = "ok" if r["p95_met"] else "MISSED"
        html = "ok" if r["html_met"] else "MISSED"
        lines.append(
            f"{r['page']:<25}{r['html_bytes']:>8,}{r['requests_per_second']:>8,.0f}"
            f"{_ms(latency['p50']):>8}{_ms(latency['p95']):>8}"
            f"{_ms(r['server_cpu_ms_per_request']):>11}{r['errors']:>7}  "
            f"p95 ≤ {r['budget_ms']:g} ms: {verdict}; HTML ≤ 30 KB: {html}"
        )
    for r in rows:
        if r["errors"]:
            lines.append(
                f"note: {r['page']} had {r['errors']} errors, e.g. {r['error_samples'][:2]}"
            )
    lines.append(f"the agent's queue: {rows[0]['shown_total']}")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.console",
        description="Speed of the staff console's pages against issue 19's budgets.",
    )
    parser.add_argument("--reports", type=_positive_int, default=100_000, help="seeded reports")
    parser.add_argument("--duration", type=_positive_float, default=5.0, help="seconds per page")
    parser.add_argument(
        "--warmup", type=_non_negative_float, default=1.0, help="unmeasured seconds before each"
    )
    parser.add_argument("--clients", type=_positive_int, default=8, help="concurrent clients")
    parser.add_argument(
        "--slices", type=_positive_int, default=5, help="slices per page, interleaved"
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 s per page")
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help=f"JSON file (default {DEFAULT_OUTPUT})"
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
