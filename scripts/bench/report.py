#!/usr/bin/env python3
"""Collects one run of the suite into target/bench/results.json and writes the docs.

    python3 scripts/bench/report.py --results target/bench [--health-status N]

Reads what scripts/bench.sh left in the results directory (peers.json, health.json,
runtimes.json, watcher-start-*.json, reconcile.json, drill-*/report.json, criterion's
estimates for the engine, durations.txt), adds the machine's description, and rewrites:

* docs/benchmarks.md, between <!-- suite:begin --> and <!-- suite:end --> (the health
  block above it belongs to scripts/bench-health.sh);
* docs/cost.md, between <!-- cost:begin --> and <!-- cost:end --> (scripts/bench/cost.py).

Every number written comes from this run's files; NO_DOCS=1 writes results.json only.
"""

import argparse
import datetime
import glob
import json
import os
import platform
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import budgets  # noqa: E402
import cost  # noqa: E402
from docblock import replace_block  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODES = ("records", "health-gate")


def run(*argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=60).stdout.strip()
    except OSError:
        return ""


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), "unknown CPU")
    memory_kib = next(int(line.split()[1]) for line in open("/proc/meminfo")
                      if line.startswith("MemTotal:"))
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
            "cores": os.cpu_count(), "cpu": cpu, "memory_gib": round(memory_kib / 2**20, 1),
            "kernel": f"{platform.system()} {platform.release()}",
            "rustc": run("rustc", "--version"), "python": platform.python_version(),
            "node": run("node", "--version") or "absent"}


def engine_results(criterion_dir):
    found = {}
    for path in glob.glob(os.path.join(criterion_dir, "**", "new", "benchmark.json"),
                          recursive=True):
        meta = json.load(open(path))
        if not meta.get("group_id", "").startswith("engine/"):
            continue
        estimates = json.load(open(os.path.join(os.path.dirname(path), "estimates.json")))
        bench_id = f"{meta['group_id']}/{meta['value_str']}"
        found[bench_id] = {
            "mean_ns": estimates["mean"]["point_estimate"],
            "mean_ci_ns": [estimates["mean"]["confidence_interval"]["lower_bound"],
                           estimates["mean"]["confidence_interval"]["upper_bound"]],
            "median_ns": estimates["median"]["point_estimate"],
        }
    if not found:
        raise SystemExit(f"report: no engine benchmarks under {criterion_dir}")
    return found


def collect(directory, health_status):
    load = lambda name: json.load(open(os.path.join(directory, name)))  # noqa: E731
    durations = {}
    for line in open(os.path.join(directory, "durations.txt")):
        name, seconds = line.split()
        durations[name] = int(seconds)
    results = {
        "machine": machine(),
        "durations_s": durations,
        "peers": load("peers.json"),
        "health": load("health.json"),
        "health_script_status": health_status,
        "runtimes": load("runtimes.json"),
        "watcher_bootstrap_bytes": int(open(os.path.join(directory,
                                                         "watcher-bootstrap-bytes.txt")).read()),
        "watcher_start": {mode: load(f"watcher-start-{mode}.json") for mode in MODES},
        "reconcile": load("reconcile.json"),
        # criterion writes under cargo's target directory, which CARGO_TARGET_DIR moves.
        "engine": engine_results(os.path.join(
            os.environ.get("CARGO_TARGET_DIR") or os.path.dirname(directory), "criterion")),
        "drill": {},
    }
    for mode in MODES:
        path = os.path.join(directory, f"drill-{mode}", "report.json")
        if os.path.exists(path):
            results["drill"][mode] = json.load(open(path))
    return results


# --- formatting ---------------------------------------------------------------------------
def spread(summary, unit, digits=1):
    return (f"{summary['median']:.{digits}f} {unit} "
            f"({summary['p10']:.{digits}f}–{summary['p90']:.{digits}f})")


def ratio(ours, theirs):
    return f"{theirs / ours:.1f}×" if ours else "—"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def summary_section(results, rows):
    m = results["machine"]
    d = results["durations_s"]
    out = [
        "## Summary of the last run\n",
        f"Measured {m['date']} on {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, "
        f"{m['kernel']}, {m['rustc']}, Python {m['python']}, Node.js {m['node']}. "
        f"Command: `make bench` (scripts/bench.sh), {d.get('total', 0) // 60} min "
        f"{d.get('total', 0) % 60} s in all. Medians with their spread (p10–p90 over "
        f"rounds) unless stated.\n",
    ]
    missing = results["runtimes"].get("missing", {})
    ratio, _ = budgets.limit("BUDGET_HEALTH_INIT_RATIO")
    init_ratio_note = f"The {ratio:g}× init budget below fails without it."
    for peer, why in missing.items():
        out.append(f"> **WARNING: the {peer} peer was NOT measured in this run ({why}). "
                   f"{init_ratio_note if peer == 'python' else ''}**\n")
    out.append(table(["budget", "measured", "limit", "verdict"],
                     [[r.what, r.measured, r.budget, "ok" if r.ok else "**MISSED**"]
                      for r in rows]))
    out.append("\n`scripts/bench/budgets.py` checks these; it exits non-zero when one is "
               "missed (see \"Budgets\" above for the dry test).\n")
    return "\n".join(out)


def runtimes_section(results):
    rt = results["runtimes"]
    runtimes = rt["runtimes"]
    peers = results["peers"]
    names = {"rust": "regionflip health (Rust, `bootstrap`)",
             "python": f"Python {peers['python']['version']}, awslambdaric "
                       f"{peers['python'].get('awslambdaric')}",
             "node": f"Node.js {peers['node'].get('version')}, aws-lambda-ric "
                     f"{peers['node'].get('aws-lambda-ric')}"}
    out = [
        "## Health endpoint beside Python and Node.js, under a Lambda Runtime API\n",
        "`bench/runtime_api.py` serves the Lambda Runtime API on 127.0.0.1 (a port the "
        "kernel picks) and starts each runtime as Lambda does (`AWS_LAMBDA_RUNTIME_API` and "
        "the usual `AWS_LAMBDA_*` variables, 128 MB). The peers "
        "(`bench/peers/python/handler.py` under `python3 -m awslambdaric handler.handler`, "
        "`bench/peers/node/index.mjs` under `aws-lambda-ric index.handler`) return the same "
        "static JSON body with the same headers; the harness checks every runtime's answers "
        f"are identical. Each round starts each runtime once and feeds it {rt['invokes_per_round']} "
        f"API Gateway REST events (`{rt['event']}`); {rt['rounds']} rounds, alternating and "
        "rotating who goes first, after one uncounted warm-up round (page cache, bytecode "
        "cache). **init**: process start to the first `GET /next`. **first invoke**: the "
        "first event handed out to its response. **start to first answer**: process start to "
        "the first response. **warm**: every later event, from handing it out to its response "
        f"(p50/p99 over all {rt['rounds']} × {rt['invokes_per_round'] - 1} warm invokes; the "
        "spread of the per-round p50 in brackets). **peak RSS**: VmHWM of the process after "
        "the last invoke. Loopback and a local process: no network or sandbox start-up, so "
        "these are the runtimes' own costs, not Lambda's cold-start numbers.\n",
    ]
    rows = []
    for name in ("rust", "python", "node"):
        if name not in runtimes:
            rows.append([names[name], "**not measured**", "", "", "", "", ""])
            continue
        r = runtimes[name]
        rows.append([
            names[name], spread(r["init_ms"], "ms", 2), spread(r["first_invoke_ms"], "ms", 2),
            spread(r["start_to_first_answer_ms"], "ms", 2),
            f"{r['warm_p50_us']:.0f} µs ({r['warm_p50_us_by_round']['p10']:.0f}–"
            f"{r['warm_p50_us_by_round']['p90']:.0f})",
            f"{r['warm_p99_us']:.0f} µs",
            f"{r['peak_rss_kib']['median'] / 1024:.1f} MiB",
        ])
    out.append(table(["runtime", "init", "first invoke", "start to first answer", "warm p50",
                      "warm p99", "peak RSS"], rows))
    out.append("")
    ours = runtimes["rust"]
    ratio_rows = []
    for name in ("python", "node"):
        if name not in runtimes:
            continue
        r = runtimes[name]
        ratio_rows.append([
            f"ours vs {name}",
            ratio(ours["init_ms"]["median"], r["init_ms"]["median"]),
            ratio(ours["first_invoke_ms"]["median"], r["first_invoke_ms"]["median"]),
            ratio(ours["start_to_first_answer_ms"]["median"], r["start_to_first_answer_ms"]["median"]),
            ratio(ours["warm_p50_us"], r["warm_p50_us"]),
            ratio(ours["warm_p99_us"], r["warm_p99_us"]),
            ratio(ours["peak_rss_kib"]["median"], r["peak_rss_kib"]["median"]),
        ])
    if ratio_rows:
        out.append("How many times faster (or smaller) ours is, from the medians of the same run:\n")
        out.append(table(["", "init", "first invoke", "start to first answer", "warm p50",
                          "warm p99", "peak RSS"], ratio_rows))
        out.append("")
    h = results["health"]
    out.append(
        f"Local mode, same run (scripts/bench-health.sh, block above): wrk "
        f"{h['wrk']['seconds']} s, {h['wrk']['connections']} connections: "
        f"{h['wrk']['requests_per_s']:,} requests/s, p50 {h['wrk']['p50_ms']:.3f} ms, p99 "
        f"{h['wrk']['p99_ms']:.3f} ms; stripped bootstrap {h['bootstrap_bytes']:,} bytes.\n")
    return "\n".join(out)


def watcher_section(results):
    rec = results["reconcile"]
    out = ["## Watcher\n"]
    size = results["watcher_bootstrap_bytes"]
    rows = []
    for mode in MODES:
        s = results["watcher_start"][mode]
        rows.append([f"`{mode}`", spread(s["init_ms"], "ms", 1),
                     f"{s['peak_rss_kib']['median'] / 1024:.1f} MiB", s["rounds"]])
    out.append(
        f"Stripped bootstrap (`cargo lambda build --release -p regionflip-watcher`): "
        f"**{size:,} bytes**. Start to ready: the bootstrap under the same Runtime API "
        "harness, `AWS_ENDPOINT_URL` pointing at a local moto_server, the sample "
        "configuration (`events/watcher-config.toml`) in `REGIONFLIP_*` variables; process "
        "start to its first `GET /next` (configuration validated, SDK clients built; no AWS "
        "call is made before the first event).\n")
    out.append(table(["mode", "start to ready", "peak RSS", "rounds"], rows))
    out.append("")
    out.append(
        f"One reconcile pass (`crates/watcher/examples/bench_reconcile.rs`, release build): "
        f"`Watcher::reconcile` on the sample configuration (2 regions), {rec['runs']} passes "
        f"of each kind after {rec['warm_up_passes']} warm-up passes. **moto**: the production "
        "SDK adapters against a local moto_server (its Python request handling dominates the "
        "time; real AWS adds cross-region round trips instead). **in memory**: the in-memory "
        "models, i.e. the watcher's own CPU per pass. A flip cycle sets the home alarm to "
        "ALARM (failover pass), then back to OK (failback pass once the shortened stable "
        "window has passed on the injected clock). **Calls are counted by the `CallCounter` hook "
        "(`regionflip_local_aws::hooks::Counting`) wrapped around the adapters** on both "
        "backends, the same decorator the tests count with.\n")
    rows = []
    for mode in MODES:
        for kind in ("steady", "failover", "failback"):
            moto = rec["modes"][mode]["moto"][kind]
            memory = rec["modes"][mode]["memory"][kind]
            calls = moto["calls"]
            cw = ", ".join(f"{name} {calls[name]}" for name in
                           ("DescribeAlarms", "GetMetricData", "PutMetricData", "PutMetricAlarm")
                           if calls[name])
            r53 = ", ".join(f"{name} {calls[name]}" for name in
                            ("ListResourceRecordSets", "ChangeResourceRecordSets", "GetChange")
                            if calls[name])
            rows.append([f"`{mode}`", kind, f"{moto['p50_ms']:.1f} / {moto['p90_ms']:.1f} / "
                         f"{moto['p99_ms']:.1f} ms",
                         f"{memory['p50_ms'] * 1000:.0f} / {memory['p99_ms'] * 1000:.0f} µs",
                         f"**{calls['route53']}**" + (f" ({r53})" if r53 else ""),
                         f"{calls['cloudwatch']} ({cw})"])
    out.append(table(["mode", "pass", "moto p50 / p90 / p99", "in memory p50 / p99",
                      "Route 53 calls", "CloudWatch calls"], rows))
    out.append("")
    probes = rec.get("probes")
    if probes:
        out.append(
            "The watcher's own probes of every region's health endpoint (`probe_run`: steady "
            "passes on the in-memory models, `records` mode, so the time is the watcher's CPU "
            "and the probes): without `health_url`; with both endpoints answering on loopback "
            "(a minimal server serving the match string); with the standby's endpoint "
            "accepting connections and never answering, where Route 53's 2 s response limit "
            "bounds the pass. The AWS calls per pass are the same in all three (checked by the "
            "run): a probe is no AWS call.\n")
        rows = []
        for name, label in (("without_probes", "no probes"),
                            ("with_probes", "both endpoints answering"),
                            ("with_a_silent_standby", "standby never answers")):
            p = probes[name]
            rows.append([label, p["runs"], f"{p['p50_ms']:.2f} / {p['p99_ms']:.2f} ms",
                         f"{p['calls']['route53']} / {p['calls']['cloudwatch']}"])
        out.append(table(["probes", "passes", "p50 / p99", "Route 53 / CloudWatch calls"], rows))
        out.append("")
    chain = rec.get("chain")
    if chain:
        out.append(
            f"Five regions in `health-gate` mode (`chain_run`: the gate chain, in-memory models, "
            f"{chain['regions']} regions each with an alarm and an endpoint check): steady "
            "passes with traffic home, and failovers of home onto the second region. Every "
            "move is gates only: no Route 53 call, and one `DescribeAlarms` per region.\n")
        rows = []
        for kind in ("steady", "failover"):
            c = chain[kind]
            calls = c["calls"]
            cw = ", ".join(f"{name} {calls[name]}" for name in
                           ("DescribeAlarms", "GetMetricData", "PutMetricData", "PutMetricAlarm")
                           if calls[name])
            rows.append([kind, c["runs"], f"{c['p50_ms'] * 1000:.0f} / {c['p99_ms'] * 1000:.0f} µs",
                         f"**{calls['route53']}**", f"{calls['cloudwatch']} ({cw})"])
        out.append(table(["pass", "passes", "in memory p50 / p99", "Route 53 calls",
                          "CloudWatch calls"], rows))
        out.append("")
    app = rec.get("application")
    if app:
        out.append(
            "A synthetic application (`app_run`): 100 names (`[[records]]`) over the same five "
            "regions, on the in-memory models. **health-gate**: the names in two hosted zones; "
            "a pass makes the calls of one name (the gates are the regions'). **records**: one "
            "zone; a pass reads the zone in pages of 300 record sets from the first name to the "
            "last (201 record sets: one page), and a failover moves every name in one change "
            "batch.\n")
        rows = []
        for mode in ("health-gate", "records"):
            for kind in ("steady", "failover"):
                c = app[mode][kind]
                calls = c["calls"]
                r53 = ", ".join(f"{name} {calls[name]}" for name in
                                ("ListResourceRecordSets", "ChangeResourceRecordSets", "GetChange")
                                if calls[name])
                rows.append([f"`{mode}`", kind, f"{c['p50_ms'] * 1000:.0f} / {c['p99_ms'] * 1000:.0f} µs",
                             f"**{calls['route53']}**" + (f" ({r53})" if r53 else ""),
                             calls["cloudwatch"]])
        out.append(table(["mode", "pass", "in memory p50 / p99", "Route 53 calls",
                          "CloudWatch calls"], rows))
        out.append("")
    return "\n".join(out)


def engine_section(results):
    engine = results["engine"]
    out = ["## Engine\n",
           "`regionflip_core::decide` alone (criterion, `crates/core/benches/engine.rs`, "
           "mean time per decision, decisions per second in brackets): every region with two "
           "alarms, a guard and an endpoint check; **steady**: all healthy, traffic home; "
           "**failover**: home's alarm in ALARM (the decision builds the change batch or the "
           "new gates and state).\n"]
    rows = []
    for regions in (2, 3, 8):
        row = [regions]
        for scenario in ("steady", "failover"):
            for mode in MODES:
                e = engine[f"engine/{scenario}/{mode}/{regions}"]
                row.append(f"{e['mean_ns']:,.0f} ns ({1e9 / e['mean_ns']:,.0f}/s)")
        rows.append(row)
    out.append(table(["regions", "steady, records", "steady, health-gate", "failover, records",
                      "failover, health-gate"], rows))
    out.append("")
    return "\n".join(out)


def drill_section(results):
    out = ["## Drill: detection and failover against the configured intervals\n"]
    if not results["drill"]:
        out.append("**Not run** (BENCH_SKIP_DRILL=1).\n")
        return "\n".join(out)
    out.append(
        "`regionflip drill` with its default timings, once per mode (docs/drill.md): "
        "simulated Route 53 checkers probe real `health` processes; the real watcher runs on "
        "every tick and alarm change against moto. **Configured detection** is the checkers' "
        "interval × failure threshold; **watcher adds** is the watcher's failover time minus "
        "the measured moment the endpoint check turned unhealthy (what the watcher adds on "
        "top of the checkers: at most one tick plus a pass). A gray failure (alarm only) "
        "needs no checker: the alarm change wakes the watcher directly.\n")
    rows = []
    for mode, report in results["drill"].items():
        t = report["timings"]
        m = report["measurements"]
        configured = t["checker_interval"] * t["failure_threshold"]
        added = (m["outage_failover"] - m["outage_detected"]
                 if m.get("outage_failover") is not None and m.get("outage_detected") is not None
                 else None)
        fmt = lambda v: "—" if v is None else f"{v:.1f} s"  # noqa: E731
        rows.append([
            f"`{mode}`", f"{t['checker_interval']:g} s × {t['failure_threshold']} = "
            f"{configured:g} s (tick {t['tick']:g} s)",
            fmt(m.get("outage_detected")), fmt(m.get("outage_dns_moved")),
            fmt(m.get("outage_failover")), fmt(added),
            f"{fmt(m.get('gray_failover'))} / {fmt(m.get('gray_dns_moved'))}",
            f"{fmt(m.get('restore_stable'))} / {fmt(m.get('recovery_failback'))} "
            f"(window {t['stable_for_secs']} s)",
            "passed" if report["passed"] else "**FAILED**",
        ])
    out.append(table(["mode", "configured detection", "outage: check unhealthy",
                      "outage: DNS moved", "outage: watcher failover", "watcher adds",
                      "gray: watcher failover / DNS moved",
                      "failback after healthy (outage / gray)", "expectations"], rows))
    out.append("")
    return "\n".join(out)


def durations_section(results):
    d = results["durations_s"]
    rows = [[name, f"{seconds} s"] for name, seconds in d.items()]
    return "## Where the time went\n\n" + table(["step", "seconds"], rows) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", required=True, help="the suite's output directory")
    parser.add_argument("--health-status", type=int, default=0)
    args = parser.parse_args()
    directory = os.path.abspath(args.results)
    results = collect(directory, args.health_status)
    rows = budgets.evaluate(results)
    cost_markdown, cost_summary = cost.markdown(results)
    results["cost_summary"] = cost_summary
    with open(os.path.join(directory, "results.json"), "w") as out:
        json.dump(results, out, indent=1)
        out.write("\n")
    if os.environ.get("NO_DOCS") == "1":
        return
    suite = "\n".join([summary_section(results, rows), runtimes_section(results),
                       watcher_section(results), engine_section(results),
                       drill_section(results), durations_section(results)])
    replace_block(os.path.join(ROOT, "docs", "benchmarks.md"), "suite", suite, new_file_text="# Benchmarks\n")
    m = results["machine"]
    cost_body = (f"Generated from the run of {m['date']} (`make bench`); prices as listed at "
                 f"the end of this block.\n\n{cost_markdown}")
    replace_block(os.path.join(ROOT, "docs", "cost.md"), "cost", cost_body, new_file_text="# Cost\n")
    print("report: wrote docs/benchmarks.md, docs/cost.md and "
          f"{os.path.relpath(os.path.join(directory, 'results.json'), ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
