"""The printed table and the JSON file of a benchmark run, and the budgets of ARCHITECTURE §9."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COMMUNE_LOOKUP_BUDGET = 20_000.0


@dataclass(frozen=True)
class Budget:
    """One line of ARCHITECTURE §9, as a check on one row of results."""

    scenario: str
    concurrency: int | None  # None: whatever the number of clients
    metric: str  # "rate" (req/s, at least), "p99" (ms, at most) or "ratio" (to trivial, at least)
    limit: float

    def describe(self) -> str:
        if self.metric == "rate":
            return f"≥ {self.limit:,.0f} req/s"
        if self.metric == "p99":
            return f"p99 ≤ {self.limit:g} ms"
        return f"≥ {self.limit:.0%} of trivial"

    def applies_to(self, result: dict[str, Any]) -> bool:
        return result["scenario"] == self.scenario and self.concurrency in (
            None,
            result["concurrency"],
        )

    def verdict(self, result: dict[str, Any]) -> dict[str, Any]:
        value = {
            "rate": result["requests_per_second"],
            "p99": result["latency_ms"]["p99"],
            "ratio": result["ratio_to_trivial"],
        }[self.metric]
        if value is None:
            met = None  # not measurable: no trivial in this phase, or no successful request
        elif self.metric == "p99":
            met = value <= self.limit
        else:
            met = value >= self.limit
        # Failed requests are not in the rate nor the latencies: a budget met while requests
        # fail would flatter the service, so any error misses it.
        if met and result["errors"]:
            met = False
        return {"budget": self.describe(), "value": value, "met": met}


# ARCHITECTURE §9, the lines these scenarios measure. Submissions: "≥ 500/s with 32 concurrent
# clients, p99 ≤ 50 ms with 8"; a public page of 20 reports: "≥ 50 % of the trivial-query rate".
BUDGETS = (
    Budget("reportCreate", 32, "rate", 500.0),
    Budget("reportCreate", 8, "p99", 50.0),
    Budget("reportsPage", None, "ratio", 0.5),
)


def add_ratios(http: list[dict[str, Any]]) -> None:
    """Each HTTP result gets its rate as a fraction of the trivial query's at the same clients.

    `http` must come from one server (one phase): a ratio to another server's trivial rate
    would mix two databases and two slow or fast phases of the machine.
    """
    trivial = {
        r["concurrency"]: r["requests_per_second"] for r in http if r["scenario"] == "trivial"
    }
    for result in http:
        base = trivial.get(result["concurrency"])
        result["ratio_to_trivial"] = result["requests_per_second"] / base if base else None


def add_verdicts(http: list[dict[str, Any]]) -> None:
    for result in http:
        result["budgets"] = [b.verdict(result) for b in BUDGETS if b.applies_to(result)]


def unmeasured_budgets(http: Sequence[dict[str, Any]], scenarios: Sequence[str]) -> list[str]:
    """Budgets of selected scenarios that no row checked (their number of clients was not run)."""
    return [
        f"{b.scenario} {b.describe()} with {b.concurrency} clients"
        for b in BUDGETS
        if b.scenario in scenarios and not any(b.applies_to(r) for r in http)
    ]


def lookup_verdict(lookup: dict[str, Any]) -> dict[str, Any]:
    ok = lookup["lookups_per_second"] >= COMMUNE_LOOKUP_BUDGET
    return {"budget_per_second": COMMUNE_LOOKUP_BUDGET, "met": ok}


def render(
    meta: dict[str, Any],
    http: list[dict[str, Any]],
    lookup: dict[str, Any] | None,
    unmeasured: Sequence[str] = (),
) -> str:
    lines = [
        f"server: 1 worker pinned to CPU {_cpus(meta['server_cpus'])}; load generator on CPU "
        f"{_cpus(meta['client_cpus'])}; {meta['duration_s']:g} s per scenario and clients, "
        f"in {meta['slices']} interleaved slices, after {meta['warmup_s']:g} s warm-up; "
        f"seed {meta['seed']}; commit {meta['commit'] or '?'}"
        f"{' + uncommitted changes in service/' if meta['service_modified'] else ''}",
        "",
    ]
    if http:
        header = (
            f"{'scenario':<21}{'clients':>8}{'req/s':>10}{'×trivial':>10}{'p50 ms':>9}"
            f"{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}{'server CPU':>12}{'client CPU':>12}"
            "  budget"
        )
        for index, phase in enumerate(meta["phases"]):
            lines.append(f"phase {index + 1}: {_phase(phase)}")
            lines += [header, "-" * len(header)]
            for r in (r for r in http if r["phase"] == index):
                latency = r["latency_ms"]
                lines.append(
                    f"{r['scenario']:<21}{r['concurrency']:>8}{r['requests_per_second']:>10,.0f}"
                    f"{_ratio(r['ratio_to_trivial']):>10}{_ms(latency['p50']):>9}"
                    f"{_ms(latency['p95']):>9}{_ms(latency['p99']):>9}{r['errors']:>8}"
                    f"{_percent(r['server_cpu']):>12}{_percent(r['client_cpu']):>12}"
                    f"  {_budgets(r['budgets'])}"
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
    for budget in unmeasured:
        lines.append(f"note: budget not measured: {budget} (that number of clients was not run)")
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


def _phase(phase: dict[str, Any]) -> str:
    seeding = phase["seeding"]
    if seeding is None:
        database = "database with the demo fixtures only"
    else:
        database = (
            f"{seeding['reports']:,} reports seeded in {seeding['total_s']:.1f} s "
            f"(migrate + fixtures {seeding['schema_s']:.1f} s, inserts {seeding['insert_s']:.1f} s)"
        )
    if "reportCreate" in phase["scenarios"]:
        database += ", plus those reportCreate adds as it runs"
    return f"{database}; server ready in {phase['server_startup_s']:.1f} s"


def _budgets(verdicts: list[dict[str, Any]]) -> str:
    if not verdicts:
        return "none (ratio to trivial)"
    return "; ".join(f"{v['budget']}: {_status(v['met'])}" for v in verdicts)


def _status(met: bool | None) -> str:
    if met is None:
        return "n/a (no trivial or no success)"
    return "ok" if met else "MISSED"


def _cpus(cpus: list[int] | None) -> str:
    return ",".join(map(str, cpus)) if cpus else "(not pinned)"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f} %"
