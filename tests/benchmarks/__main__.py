"""`python -m tests.benchmarks`: throughput and latency of the real server, plus the commune lookup.

Not part of the test suite (timings have no place there): it reports figures against the budgets
of ARCHITECTURE §9 and exits 0 even when one is missed, printing MISSED next to it.

The HTTP scenarios run in up to two phases, each with a server of its own: the small database
(fixtures, 1,000 reports if reportsPage runs, and what reportCreate adds), then, for
nearbyReports, a database seeded with --seed-reports reports before its server starts.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from tests.benchmarks.commune_lookup import (
    GEOJSON,
    measure_commune_lookups,
    random_alm_points,
)
from tests.benchmarks.load import Slice, Target, run_slices, summarize
from tests.benchmarks.report import (
    add_ratios,
    add_verdicts,
    lookup_verdict,
    render,
    unmeasured_budgets,
    write_json,
)
from tests.benchmarks.scenarios import ALL_SCENARIOS, HTTP_SCENARIOS
from tests.benchmarks.seed import seed_database
from tests.benchmarks.server import (
    PROJECT_ROOT,
    ServerFailed,
    data_directory,
    running_server,
    service_environment,
    split_cpus,
)

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results" / "latest.json"
EXIT_INTERRUPTED = 130
DEFAULT_SEED_REPORTS = 100_000
# Enough for reportsPage to read full pages from its first request, whichever scenarios run
# before it; reportCreate, when it runs, adds thousands more during the phase.
PAGE_SEED_REPORTS = 1_000
# The scenarios that need the large seeded table (--seed-reports) get a server of their own: the
# others keep measuring against the small database they always had, so that their figures stay
# comparable from run to run and with earlier runs.
LARGE_TABLE_SCENARIOS = ("nearbyReports",)


@dataclass(frozen=True)
class Phase:
    """One server lifetime: a database prepared before it starts, and the scenarios run on it."""

    scenarios: list[str]
    seed_reports: int


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        scenarios = _scenarios(args.scenarios)
    except ValueError as error:
        parser.error(str(error))  # exits with 2, like any other bad argument
    if args.quick:
        args.duration, args.warmup, args.slices, lookup_points, repeat = 1.0, 0.3, 1, 20_000, 3
    else:
        lookup_points, repeat = 100_000, 15
    # `kill <pid>` must stop the server too, exactly like Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _run(args, scenarios, lookup_points, repeat)
    except KeyboardInterrupt:
        print("\ninterrupted: server stopped, no results written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ServerFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, scenarios: list[str], lookup_points: int, repeat: int) -> int:
    server_cpus, client_cpus = split_cpus()
    lookup = None
    if "commune_lookup" in scenarios:
        # Before the server starts, so that nothing else competes for the core.
        lookup = _commune_lookup(lookup_points, repeat, args.seed)
    http_scenarios = [s for s in scenarios if s in HTTP_SCENARIOS]
    levels = list(dict.fromkeys(c for c in (args.concurrency, args.low_concurrency) if c > 0))
    http: list[dict[str, Any]] = []
    phases: list[dict[str, Any]] = []
    planned = _phases(http_scenarios, args.seed_reports) if levels else []
    for phase in planned:
        index = len(phases)
        print(f"phase {index + 1}/{len(planned)}: {', '.join(phase.scenarios)}", file=sys.stderr)
        summary, results = _run_phase(phase, levels, args, server_cpus, client_cpus)
        for result in results:
            result["phase"] = index
        add_ratios(results)  # within the phase: its own trivial, same server, same database
        http += results
        phases.append(summary)
    add_verdicts(http)
    meta = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        # Others may be editing the service while this runs: say whether the figures are those
        # of the commit alone.
        "service_modified": _service_modified(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "server_cpus": sorted(server_cpus) if server_cpus else None,
        "client_cpus": sorted(client_cpus) if client_cpus else None,
        "server_workers": 1,
        "phases": phases,
        "duration_s": args.duration,
        "slices": args.slices,
        "warmup_s": args.warmup,
        "seed": args.seed,
    }
    print(render(meta, http, lookup, unmeasured_budgets(http, http_scenarios)))
    write_json(args.output, {"meta": meta, "http": http, "commune_lookup": lookup})
    print(f"\nwrote {args.output}")
    return 0  # benchmarks report; they never fail CI


def _phases(scenarios: list[str], seed_reports: int) -> list[Phase]:
    """Split the HTTP scenarios between a small database and, if needed, the large one.

    Each phase runs trivial too when it was asked for: the ratios of a phase are to the trivial
    rate of the same server, measured in the same interleaved rounds.
    """
    large = [s for s in scenarios if s in LARGE_TABLE_SCENARIOS]
    small = [s for s in scenarios if s not in LARGE_TABLE_SCENARIOS]
    phases = []
    if small and (not large or small != ["trivial"]):
        phases.append(Phase(small, PAGE_SEED_REPORTS if "reportsPage" in small else 0))
    if large:
        trivial = ["trivial"] if "trivial" in scenarios else []
        phases.append(Phase(trivial + large, seed_reports))
    return phases


def _run_phase(
    phase: Phase,
    levels: list[int],
    args: argparse.Namespace,
    server_cpus: frozenset[int] | None,
    client_cpus: frozenset[int] | None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    plan = _plan(phase.scenarios, levels, args)
    seeding = None
    with data_directory() as data_dir:
        if phase.seed_reports:
            print(f"seeding {phase.seed_reports:,} reports...", file=sys.stderr)
            # While no server runs: the inserts neither compete with it nor see its writes.
            done = seed_database(
                data_dir, service_environment(data_dir), phase.seed_reports, args.seed
            )
            seeding = {
                "reports": done.reports,
                "schema_s": done.schema_seconds,
                "insert_s": done.insert_seconds,
                "total_s": done.total_seconds,
            }
            print(
                f"seeded {done.reports:,} reports in {done.total_seconds:.1f} s "
                f"(migrate + fixtures {done.schema_seconds:.1f} s, "
                f"inserts {done.insert_seconds:.1f} s)",
                file=sys.stderr,
            )
        with running_server(cpus=server_cpus, data_dir=data_dir) as server:
            target = Target(port=server.port, server_pid=server.pid, cpus=client_cpus)

            def progress(index: int, result: dict[str, Any]) -> None:
                rate = len(result["latencies"]) / result["duration_s"]
                print(
                    f"[{index + 1}/{len(plan)}] {result['scenario']} with "
                    f"{result['concurrency']} clients: {rate:,.0f} req/s",
                    file=sys.stderr,
                )

            results = summarize(run_slices(target, plan, progress))
    summary = {
        "scenarios": phase.scenarios,
        "seeding": seeding,
        "server_startup_s": server.startup_seconds,
    }
    return summary, results


def _plan(scenarios: list[str], levels: list[int], args: argparse.Namespace) -> list[Slice]:
    """Interleave the scenarios: each gets `slices` slices of duration/slices seconds, round robin.

    The machine (a VM) has slow phases lasting seconds; run back to back, one scenario could get
    a slow phase and another none, and their ratio would mean nothing. Interleaved, each scenario
    samples the same phases, so the ratios to trivial stay stable from run to run.
    """
    plan: list[Slice] = []
    for round_number in range(args.slices):
        # The first slice warms the server for that scenario; later ones only refill the pipe.
        warmup = args.warmup if round_number == 0 else min(args.warmup, 0.25)
        for scenario in scenarios:
            for concurrency in levels:
                plan.append(
                    Slice(
                        scenario=scenario,
                        concurrency=concurrency,
                        warmup=warmup,
                        duration=args.duration / args.slices,
                        seed=args.seed * 1000 + len(plan),
                    )
                )
    return plan


def _commune_lookup(points: int, repeat: int, seed: int) -> dict[str, Any]:
    from service.territory.geometry import load_commune_locator

    start = time.perf_counter()
    locator = load_commune_locator(GEOJSON)
    build_ms = (time.perf_counter() - start) * 1000
    # Best of many ~0.1 s passes: this VM's cores drift between fast and slow phases lasting
    # seconds, and a pure-CPU figure is only comparable from run to run when taken in a fast one.
    result: dict[str, Any] = dict(
        measure_commune_lookups(locator, random_alm_points(points, seed), repeat=repeat)
    )
    result.update(build_ms=build_ms, repeat=repeat, seed=seed)
    result["budget"] = lookup_verdict(result)
    return result


def _commit() -> str | None:
    try:
        # Read-only: the benchmark never changes the repository's state.
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def _service_modified() -> bool | None:
    try:
        # Read-only, like _commit.
        out = subprocess.run(
            ["git", "status", "--porcelain", "--", "service"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return bool(out.stdout.strip())


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _scenarios(raw: str) -> list[str]:
    names = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = [name for name in names if name not in ALL_SCENARIOS]
    if unknown or not names:
        raise ValueError(f"unknown scenarios {unknown}; choose among {', '.join(ALL_SCENARIOS)}")
    # In the canonical order, whatever the order given: the round robin relies on it (reportsPage
    # after reportCreate) and runs with the same selection stay comparable.
    return [name for name in ALL_SCENARIOS if name in names]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks",
        description="Benchmark the real server (one worker, one core) and the commune lookup.",
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(ALL_SCENARIOS),
        help=f"comma-separated, among {', '.join(ALL_SCENARIOS)} (default: all); "
        "ratios need trivial",
    )
    parser.add_argument(
        "--duration", type=_positive_float, default=5.0, help="measured seconds per run"
    )
    parser.add_argument(
        "--warmup", type=_non_negative_float, default=1.0, help="unmeasured seconds before each run"
    )
    parser.add_argument(
        "--concurrency", type=_positive_int, default=32, help="concurrent clients (default 32)"
    )
    parser.add_argument(
        "--low-concurrency",
        type=_non_negative_int,
        default=8,
        help="second pass with this many clients, for 'p99 with 8 clients' (0: skip)",
    )
    parser.add_argument(
        "--slices",
        type=_positive_int,
        default=5,
        help="split each duration into this many slices, interleaved across scenarios",
    )
    parser.add_argument(
        "--seed", type=int, default=2026, help="seed of the random points and seeded reports"
    )
    parser.add_argument(
        "--seed-reports",
        type=_non_negative_int,
        default=DEFAULT_SEED_REPORTS,
        help="reports inserted directly in the database before the server of nearbyReports "
        f"starts (default {DEFAULT_SEED_REPORTS:,})",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 1 s per scenario, short warm-up"
    )
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help=f"JSON file (default {DEFAULT_OUTPUT})"
    )
    return parser


def _positive_float(raw: str) -> float:
    value = float(raw)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, not {raw}")
    return value


def _non_negative_float(raw: str) -> float:
    value = float(raw)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number ≥ 0, not {raw}")
    return value


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, not {raw}")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 0, not {raw}")
    return value


if __name__ == "__main__":
    sys.exit(main())
