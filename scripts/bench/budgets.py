#!/usr/bin/env python3
"""The performance budgets of regionflip, checked against one run of the suite.

    python3 scripts/bench/budgets.py target/bench/results.json

Prints one line per budget and exits 1 when any is missed (2 when the results file is
unusable). `make bench` runs it last; it is also the quick way to re-check a finished run.

Every limit can be overridden with an environment variable, to tighten a budget in a
dry test (the run stays the same; only the verdict changes), e.g.

    BUDGET_ENGINE_3_REGIONS_NS=1 python3 scripts/bench/budgets.py target/bench/results.json
    # -> "MISSED engine decision, 3 regions ..." and exit status 1

| variable                         | default   | budget                                        |
|----------------------------------|-----------|-----------------------------------------------|
| BUDGET_HEALTH_BOOTSTRAP_BYTES    | 3000000   | stripped health bootstrap (cargo lambda)      |
| BUDGET_HEALTH_START_MS           | 10        | health process start to first answer, median  |
| BUDGET_HEALTH_INIT_RATIO         | 8         | Python peer's init / ours, same run, at least |
| BUDGET_RECORDS_STEADY_ROUTE53    | 1         | Route 53 calls per steady tick, records mode  |
| BUDGET_GATE_STEADY_ROUTE53       | 0         | Route 53 calls per steady tick, health-gate   |
| BUDGET_RECORDS_FLIP_ROUTE53      | 2         | Route 53 calls per flip, records mode         |
| BUDGET_ENGINE_3_REGIONS_NS       | 10000     | one engine decision with 3 regions (mean)     |

bench-health.sh's own budgets (handler in process, peak RSS) are carried over as they
were judged there. A missing Python peer fails the init-ratio budget; a missing Node.js
peer is reported but fails nothing (no budget is measured against it).
"""

import json
import os
import sys

DEFAULTS = {
    "BUDGET_HEALTH_BOOTSTRAP_BYTES": 3_000_000,
    "BUDGET_HEALTH_START_MS": 10.0,
    "BUDGET_HEALTH_INIT_RATIO": 8.0,
    "BUDGET_RECORDS_STEADY_ROUTE53": 1,
    "BUDGET_GATE_STEADY_ROUTE53": 0,
    "BUDGET_RECORDS_FLIP_ROUTE53": 2,
    "BUDGET_ENGINE_3_REGIONS_NS": 10_000.0,
}


def limit(name):
    value = os.environ.get(name)
    if value is None:
        return DEFAULTS[name], False
    return type(DEFAULTS[name])(float(value)), True


class Row:
    """One budget's verdict: what, measured, limit, ok, and whether the limit was overridden."""

    def __init__(self, what, measured, budget, ok, overridden=False):
        self.what, self.measured, self.budget, self.ok = what, measured, budget, ok
        self.overridden = overridden

    def verdict(self):
        return "ok" if self.ok else "MISSED"


def route53_calls(reconcile, mode, kinds):
    """The most Route 53 calls any pass of these kinds made, on any backend."""
    worst = 0
    for backend in ("moto", "memory"):
        for kind in kinds:
            worst = max(worst, reconcile["modes"][mode][backend][kind]["calls_max"]["route53"])
    return worst


def evaluate(results):
    rows = []
    health = results["health"]

    cap, overridden = limit("BUDGET_HEALTH_BOOTSTRAP_BYTES")
    size = health["bootstrap_bytes"]
    rows.append(Row("health bootstrap, stripped (cargo lambda build --release)",
                    f"{size:,} bytes", f"<= {cap:,} bytes", size <= cap, overridden))

    cap, overridden = limit("BUDGET_HEALTH_START_MS")
    local_ms = health["start_ms"]["median"]
    rows.append(Row("health start to first answer, local mode (median)",
                    f"{local_ms:.2f} ms", f"<= {cap:g} ms", local_ms <= cap, overridden))
    runtimes = results["runtimes"]["runtimes"]
    lambda_ms = runtimes["rust"]["start_to_first_answer_ms"]["median"]
    rows.append(Row("health start to first answer, Lambda Runtime API (median)",
                    f"{lambda_ms:.2f} ms", f"<= {cap:g} ms", lambda_ms <= cap, overridden))

    floor, overridden = limit("BUDGET_HEALTH_INIT_RATIO")
    if "python" in runtimes:
        ratio = runtimes["python"]["init_ms"]["median"] / runtimes["rust"]["init_ms"]["median"]
        rows.append(Row("health init vs Python (awslambdaric) in the same run",
                        f"{ratio:.1f}x faster", f">= {floor:g}x", ratio >= floor, overridden))
    else:
        why = results["runtimes"]["missing"].get("python", "not installed")
        rows.append(Row("health init vs Python (awslambdaric) in the same run",
                        f"Python peer missing: {why}", f">= {floor:g}x", False, overridden))

    reconcile = results["reconcile"]
    cap, overridden = limit("BUDGET_RECORDS_STEADY_ROUTE53")
    calls = route53_calls(reconcile, "records", ["steady"])
    rows.append(Row("watcher steady tick, Route 53 calls, records mode", str(calls),
                    f"<= {cap}", calls <= cap, overridden))
    cap, overridden = limit("BUDGET_GATE_STEADY_ROUTE53")
    calls = route53_calls(reconcile, "health-gate", ["steady"])
    rows.append(Row("watcher steady tick, Route 53 calls, health-gate mode", str(calls),
                    f"<= {cap}", calls <= cap, overridden))
    cap, overridden = limit("BUDGET_RECORDS_FLIP_ROUTE53")
    calls = route53_calls(reconcile, "records", ["failover", "failback"])
    rows.append(Row("watcher flip (failover or failback), Route 53 calls, records mode",
                    str(calls), f"<= {cap}", calls <= cap, overridden))

    cap, overridden = limit("BUDGET_ENGINE_3_REGIONS_NS")
    engine = results["engine"]
    worst_id, worst_ns = max(((bench_id, e["mean_ns"]) for bench_id, e in engine.items()
                              if bench_id.endswith("/3")), key=lambda item: item[1])
    rows.append(Row(f"engine decision, 3 regions (slowest: {worst_id}, mean)",
                    f"{worst_ns:,.0f} ns", f"<= {cap:,.0f} ns", worst_ns <= cap, overridden))

    health_failures = health.get("failures", [])
    rows.append(Row("bench-health.sh's own budgets (handler <= 5 us, peak RSS <= 10 MB, ...)",
                    "; ".join(health_failures) or "all met", "as in bench-health.sh",
                    not health_failures))
    return rows


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    try:
        results = json.load(open(sys.argv[1]))
        rows = evaluate(results)
    except (OSError, KeyError, ValueError) as error:
        print(f"budgets: cannot evaluate {sys.argv[1]}: {error!r}", file=sys.stderr)
        sys.exit(2)
    width = max(len(row.what) for row in rows)
    for row in rows:
        note = " (limit overridden by environment)" if row.overridden else ""
        print(f"{row.verdict():6}  {row.what:{width}}  {row.measured}  [{row.budget}]{note}")
    missing = results["runtimes"].get("missing", {})
    for peer, why in missing.items():
        print(f"WARNING: the {peer} peer was not measured: {why}")
    missed = [row for row in rows if not row.ok]
    if missed:
        print(f"budgets: {len(missed)} of {len(rows)} budgets missed", file=sys.stderr)
        sys.exit(1)
    print(f"budgets: all {len(rows)} budgets met", file=sys.stderr)


if __name__ == "__main__":
    main()
