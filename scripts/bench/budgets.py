#!/usr/bin/env python3
"""The performance budgets of regionflip, checked against one run of the suite.

    python3 scripts/bench/budgets.py target/bench/results.json
    python3 scripts/bench/budgets.py --list

Prints one line per budget and exits 1 when any is missed (2 when the results file is
unusable). `make bench` runs it last; it is also the quick way to re-check a finished run.

The limits live in scripts/bench/budgets.json, the one file scripts/bench-health.sh reads
too; `budgets.py --list` prints them as loaded (no results needed). Every limit this script
judges can be overridden with the environment variable of its name, to tighten a budget in
a dry test (the run stays the same; only the verdict changes), e.g.

    BUDGET_ENGINE_3_REGIONS_NS=1 python3 scripts/bench/budgets.py target/bench/results.json
    # -> "MISSED engine decision, 3 regions ..." and exit status 1

bench-health.sh's own budgets (handler in process, peak RSS) are carried over as they
were judged there. A missing Python peer fails the init-ratio budget; a missing Node.js
peer is reported but fails nothing (no budget is measured against it).
"""

import json
import os
import sys

BUDGETS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "budgets.json")


def load_budgets(path=BUDGETS_FILE):
    """{name: {"limit", "override", "what"}} from budgets.json."""
    with open(path) as f:
        return json.load(f)["budgets"]


BUDGETS = load_budgets()
# The limits this script judges, by the environment variable that overrides each. The
# type of the file's number (int or float) is the type an override is read as.
DEFAULTS = {name: spec["limit"] for name, spec in BUDGETS.items() if spec["override"]}


def limit(name):
    value = os.environ.get(name)
    if value is None:
        return DEFAULTS[name], False
    return type(DEFAULTS[name])(float(value)), True


def health_own_budgets():
    """The budgets only bench-health.sh judges, as the results table names them."""
    handler_us = BUDGETS["BUDGET_HEALTH_HANDLER_NS"]["limit"] / 1000
    rss_mb = BUDGETS["BUDGET_HEALTH_PEAK_RSS_BYTES"]["limit"] / 1_000_000
    return f"handler <= {handler_us:g} us, peak RSS <= {rss_mb:g} MB, ..."


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

    cap, overridden = limit("BUDGET_ENGINE_8_REGIONS_NS")
    worst_id, worst_ns = max(((bench_id, e["mean_ns"]) for bench_id, e in engine.items()
                              if bench_id.endswith("/8")), key=lambda item: item[1])
    rows.append(Row(f"engine decision, 8 regions (slowest: {worst_id}, mean)",
                    f"{worst_ns:,.0f} ns", f"<= {cap:,.0f} ns", worst_ns <= cap, overridden))

    chain = reconcile.get("chain")
    for name, kind, what in (("BUDGET_CHAIN_STEADY_ROUTE53", "steady", "steady tick"),
                             ("BUDGET_CHAIN_FLIP_ROUTE53", "failover", "failover")):
        cap, overridden = limit(name)
        if chain is None:
            rows.append(Row(f"watcher {what}, Route 53 calls, health-gate, 5 regions",
                            "no five-region results", f"<= {cap}", False, overridden))
            continue
        calls = chain[kind]["calls_max"]["route53"]
        rows.append(Row(f"watcher {what}, Route 53 calls, health-gate, 5 regions", str(calls),
                        f"<= {cap}", calls <= cap, overridden))
    cap, overridden = limit("BUDGET_CHAIN_PASS_P50_MS")
    if chain is None:
        rows.append(Row("in-memory pass, health-gate, 5 regions (p50)", "no five-region results",
                        f"<= {cap:g} ms", False, overridden))
    else:
        worst_kind, worst_ms = max(((k, chain[k]["p50_ms"]) for k in ("steady", "failover")),
                                   key=lambda item: item[1])
        rows.append(Row(f"in-memory pass, health-gate, 5 regions (slowest p50: {worst_kind})",
                        f"{worst_ms:.3f} ms", f"<= {cap:g} ms", worst_ms <= cap, overridden))

    app = reconcile.get("application") or {}
    gate_app, records_app = app.get("health-gate"), app.get("records")
    cap, overridden = limit("BUDGET_APP_GATE_ROUTE53")
    if gate_app is None:
        rows.append(Row("100 records, health-gate: Route 53 calls", "no application results",
                        f"<= {cap}", False, overridden))
    else:
        calls = max(gate_app[k]["calls_max"]["route53"] for k in ("steady", "failover"))
        rows.append(Row("100 records x 5 regions, health-gate: Route 53 calls per pass",
                        str(calls), f"<= {cap}", calls <= cap, overridden))
    cap, overridden = limit("BUDGET_APP_GATE_EXTRA_CLOUDWATCH")
    if gate_app is None or chain is None:
        rows.append(Row("100 records, health-gate: CloudWatch calls added by the records",
                        "no results", f"<= {cap}", False, overridden))
    else:
        extra = max(gate_app[k]["calls_max"]["cloudwatch"] - chain[k]["calls_max"]["cloudwatch"]
                    for k in ("steady", "failover"))
        rows.append(Row("100 records, health-gate: CloudWatch calls added by the records",
                        str(extra), f"<= {cap}", extra <= cap, overridden))
    cap, overridden = limit("BUDGET_APP_RECORDS_FLIP_BATCHES")
    if records_app is None:
        rows.append(Row("100 records, records mode: change batches per failover",
                        "no application results", f"<= {cap}", False, overridden))
    else:
        batches = records_app["failover"]["calls_max"]["ChangeResourceRecordSets"]
        rows.append(Row("100 records, records mode: change batches per failover",
                        str(batches), f"<= {cap}", batches <= cap, overridden))
    cap, overridden = limit("BUDGET_APP_RECORDS_PAGES_PER_300")
    if records_app is None:
        rows.append(Row("100 records, records mode: listing pages per steady tick",
                        "no application results", f"<= {cap} per 300 record sets per zone",
                        False, overridden))
    else:
        # Each name's pair and the state record, in one zone.
        record_sets = 2 * records_app["records"] + 1
        allowed = cap * -(-record_sets // 300) * records_app["zones"]
        pages = records_app["steady"]["calls_max"]["ListResourceRecordSets"]
        rows.append(Row(f"100 records, records mode: listing pages per steady tick "
                        f"({record_sets} record sets)", str(pages),
                        f"<= {allowed} ({cap} per 300 record sets per zone)",
                        pages <= allowed, overridden))
    cap, overridden = limit("BUDGET_APP_PASS_P50_MS")
    runs = [(f"{mode}/{kind}", result[kind]["p50_ms"]) for mode, result in app.items()
            for kind in ("steady", "failover")]
    if not runs:
        rows.append(Row("100 records: in-memory pass (p50)", "no application results",
                        f"<= {cap:g} ms", False, overridden))
    else:
        worst, ms = max(runs, key=lambda item: item[1])
        rows.append(Row(f"100 records x 5 regions: in-memory pass (slowest p50: {worst})",
                        f"{ms:.3f} ms", f"<= {cap:g} ms", ms <= cap, overridden))

    cap, overridden = limit("BUDGET_WATCHER_PEAK_RSS_BYTES")
    for mode, start in sorted(results.get("watcher_start", {}).items()):
        rss = start["peak_rss_kib"]["median"] * 1024
        rows.append(Row(f"watcher peak RSS, {mode} (median)", f"{rss / 1_000_000:.1f} MB",
                        f"<= {cap / 1_000_000:g} MB", rss <= cap, overridden))

    cap, overridden = limit("BUDGET_DRILL_SECS")
    drills = results.get("drill") or {}
    if not drills:
        rows.append(Row("drill, default timings: duration", "no drill results",
                        f"<= {cap:g} s", False, overridden))
    for mode, report in sorted(drills.items()):
        secs = report["duration_secs"]
        rows.append(Row(f"drill, default timings, {mode}: duration", f"{secs:.1f} s",
                        f"<= {cap:g} s", secs <= cap, overridden))

    health_failures = health.get("failures", [])
    rows.append(Row(f"bench-health.sh's own budgets ({health_own_budgets()})",
                    "; ".join(health_failures) or "all met", "as in bench-health.sh",
                    not health_failures))
    return rows


def list_budgets():
    """Prints every budget as loaded from budgets.json, with any override in force."""
    width = max(len(name) for name in BUDGETS)
    for name, spec in BUDGETS.items():
        if spec["override"]:
            value, overridden = limit(name)
            source = "overridden by environment" if overridden else "budgets.json"
        else:
            value, source = spec["limit"], "budgets.json, judged by bench-health.sh"
        print(f"{name:{width}}  {value!s:<10}  {spec['what']} [{source}]")


def main():
    if sys.argv[1:] == ["--list"]:
        list_budgets()
        return
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
