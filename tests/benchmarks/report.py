"""The printed table and the JSON file of a benchmark run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# ARCHITECTURE §9. Only the commune lookup has an absolute budget that these scenarios measure;
# the HTTP scenarios here have none yet and are reported as ratios to the trivial query.
COMMUNE_LOOKUP_BUDGET = 20_000.0


def add_ratios(http: list[dict[str, Any]]) -> None:
    """Each HTTP result gets its rate as a fraction of the trivial query's at the same clients."""
    trivial = {
        r["concurrency"]: r["requests_per_second"] for r in http if r["scenario"] == "trivial"
    }
    for result in http:
        base = trivial.get(result["concurrency"])
        result["ratio_to_trivial"] = result["requests_per_second"] / base if base else None


def lookup_verdict(lookup: dict[str, Any]) -> dict[str, Any]:
    ok = lookup["lookups_per_second"] >= COMMUNE_LOOKUP_BUDGET
    return {"budget_per_second": COMMUNE_LOOKUP_BUDGET, "met": ok}


def render(meta: dict[str, Any], http: list[dict[str, Any]], lookup: dict[str, Any] | None) -> str:
    lines = [
        f"server: 1 worker pinned to CPU {_cpus(meta['server_cpus'])}, "
        f"ready in {meta['server_startup_s']:.1f} s; load generator on CPU "
        f"{_cpus(meta['client_cpus'])}; {meta['duration_s']:g} s per scenario and clients, "
        f"in {meta['slices']} interleaved slices, after {meta['warmup_s']:g} s warm-up; "
        f"seed {meta['seed']}",
        "",
    ]
    if http:
        header = (
            f"{'scenario':<15}{'clients':>8}{'req/s':>10}{'×trivial':>10}{'p50 ms':>9}"
            f"{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}{'server CPU':>12}{'client CPU':>12}"
            "  budget"
        )
        lines += [header, "-" * len(header)]
        for r in http:
            latency = r["latency_ms"]
            lines.append(
                f"{r['scenario']:<15}{r['concurrency']:>8}{r['requests_per_second']:>10,.0f}"
                f"{_ratio(r['ratio_to_trivial']):>10}{_ms(latency['p50']):>9}"
                f"{_ms(latency['p95']):>9}{_ms(latency['p99']):>9}{r['errors']:>8}"
                f"{_percent(r['server_cpu']):>12}{_percent(r['client_cpu']):>12}"
                "  none yet (ratio to trivial)"
            )
        lines.append("")
    if lookup is not None:
        verdict = lookup["budget"]
        status = "ok" if verdict["met"] else "MISSED"
        lines.append(
            f"commune_lookup (in-process, {lookup['lookups']:,.0f} random points, best of "
            f"{lookup['repeat']}): {lookup['lookups_per_second']:,.0f} lookups/s"
            f"   budget ≥ {verdict['budget_per_second']:,.0f}/s: {status}"
        )
        lines.append(f"  (index built in {lookup['build_ms']:.0f} ms, including JSON parsing)")
    missed = [r for r in http if r["errors"]]
    for r in missed:
        lines.append(
            f"note: {r['scenario']} at {r['concurrency']} clients had {r['errors']} errors, "
            f"e.g. {r['error_samples'][:2]}"
        )
    saturated = [r for r in http if r["client_cpu"] is not None and r["client_cpu"] > 0.9]
    for r in saturated:
        lines.append(
            f"warning: the load generator used {_percent(r['client_cpu'])} of its core for "
            f"{r['scenario']} at {r['concurrency']} clients: that rate may be the client's limit"
        )
    # A closed loop of ≥ 8 clients keeps one worker busy: less than its core means something
    # else ran on that core during the run, and the rates are low for reasons of the machine.
    starved = [r for r in http if r["server_cpu"] is not None and r["server_cpu"] < 0.9]
    for r in starved:
        lines.append(
            f"warning: the server used only {_percent(r['server_cpu'])} of its core for "
            f"{r['scenario']} at {r['concurrency']} clients: another process shared its core?"
        )
    return "\n".join(lines)


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _cpus(cpus: list[int] | None) -> str:
    return ",".join(map(str, cpus)) if cpus else "(not pinned)"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f} %"
