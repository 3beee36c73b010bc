"""The monthly cost model of docs/cost.md, from published list prices and this run.

Imported by scripts/bench/report.py, which passes the suite's results; every measured
input (billed durations, memory, AWS calls per pass, metric series) comes from them, and
every price from PRICES below, each with its source. Nothing here is measured.
"""

import math
from pathlib import Path

# Published list prices, us-east-1, USD. The suite cannot reach aws.amazon.com from its
# machine, so each figure was taken from a verbatim quotation of the AWS page named in
# SOURCES (where and when it was read is in SOURCES); re-check them before relying on them.
PRICES = {
    "apigw_rest_per_million": 3.50,        # REST API requests, first 333 million a month
    "apigw_http_per_million": 1.00,        # HTTP API requests, first 300 million a month
    "lambda_requests_per_million": 0.20,
    "lambda_gb_second_x86": 0.0000166667,
    "hc_basic_aws": 0.50,                  # per health check per month, AWS endpoint
    "hc_basic_non_aws": 0.75,              # non-AWS endpoint
    "hc_feature_aws": 1.00,                # per optional feature (HTTPS, string matching,
    "hc_feature_non_aws": 2.00,            # fast interval, latency) per month
    "cw_metric_month": 0.30,               # custom metric, first 10,000
    "cw_alarm_month": 0.10,                # standard-resolution alarm
    "cw_requests_per_thousand": 0.01,      # PutMetricData, DescribeAlarms, ... (after 1M free)
    "cw_gmd_metrics_per_thousand": 0.01,   # GetMetricData, per 1,000 metrics requested
    "arc_cluster_hour": 2.50,              # routing control cluster (max 2 per account)
    "arc_region_switch_plan_month": 70.0,  # Region switch plan
}

SOURCES = [
    ("Route 53 health checks: $0.50 (AWS endpoint) / $0.75 (non-AWS) per check per month; "
     "optional features $1.00 / $2.00 each per month",
     "https://aws.amazon.com/route53/pricing/",
     "page transcribed on 2026-09-20 (public pricing transcription, api-evangelist)"),
    ("API Gateway: REST $3.50, HTTP API $1.00 per million requests; Lambda: $0.20 per "
     "million requests, $0.0000166667 per GB-second (x86); CloudWatch: $0.30 per custom "
     "metric per month",
     "https://aws.amazon.com/api-gateway/pricing/, https://aws.amazon.com/lambda/pricing/, "
     "https://aws.amazon.com/cloudwatch/pricing/",
     "quoted in public cost notes dated February 2026"),
    ("CloudWatch: $0.10 per standard alarm per month; GetMetricData $0.01 per 1,000 "
     "metrics requested (no free tier); other API requests $0.01 per 1,000 after 1 million "
     "free a month",
     "https://aws.amazon.com/cloudwatch/pricing/",
     "quoted in public notes, read 2026-10-03 and 2026-10-10"),
    ("ARC: routing control cluster $2.50 per hour per cluster (max 2 per account); "
     "Region switch plan $70 per plan per month; zonal shift free",
     "https://aws.amazon.com/application-recovery-controller/pricing/",
     "verbatim quotations of the page in public notes, 2026"),
    ("Route 53 checker rate: 'A Route 53 health checker in each health-checking region "
     "sends a health check request to an endpoint every 30 seconds. On average, your "
     "endpoint receives a health check request about every two seconds.'",
     "https://docs.aws.amazon.com/Route53/latest/APIReference/API_autonaming_HealthCheckConfig.html",
     "AWS documentation"),
]

HOURS_PER_MONTH = 730  # AWS's own convention for monthly prices
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
TICKS_PER_MONTH = HOURS_PER_MONTH * 60  # the template's default rate(1 minute)
# Assumption, not measured: alarm state changes that wake the watcher besides the tick.
ALARM_EVENTS_PER_MONTH = 100
# From AWS's "about every two seconds" at a 30 s interval with the default (all) checker
# regions: about 15 checkers. At 10 s the same checkers send three times as often.
CHECKERS_DEFAULT = 15
# A custom selection needs at least 3 of the 8 checker regions; assumed proportional.
CHECKER_REGION_SHARE_MIN = 3 / 8


def dollars(value):
    if value == 0:
        return "$0"
    if value < 0.01:
        return f"${value:.4f}"
    return f"${value:,.2f}"


def health_requests_per_month(interval_s, share=1.0):
    return CHECKERS_DEFAULT * share / interval_s * SECONDS_PER_MONTH


def endpoint_check(interval_s, aws_endpoint):
    """HTTPS_STR_MATCH: basic + HTTPS + string matching (+ fast interval at 10 s)."""
    features = 2 + (1 if interval_s == 10 else 0)
    if aws_endpoint:
        return PRICES["hc_basic_aws"] + features * PRICES["hc_feature_aws"]
    return PRICES["hc_basic_non_aws"] + features * PRICES["hc_feature_non_aws"]


def lambda_cost(invocations, billed_ms, memory_mb):
    requests = invocations / 1e6 * PRICES["lambda_requests_per_million"]
    duration = invocations * billed_ms / 1000 * memory_mb / 1024 * PRICES["lambda_gb_second_x86"]
    return requests + duration


def inputs(results):
    """The measured inputs of the model, from the suite's results."""
    rust = results["runtimes"]["runtimes"]["rust"]
    reconcile = results["reconcile"]["modes"]
    watcher = {}
    for mode, data in reconcile.items():
        moto = data["moto"]
        steady = moto["steady"]
        flip = max(moto["failover"]["p99_ms"], moto["failback"]["p99_ms"])
        series = data["memory"]["steady_metric_series"]["per_region"]
        all_series = data["memory"]["metric_series"]["per_region"]
        home = max(series, key=series.get)  # the watcher's own region
        watcher[mode] = {
            "steady_p50_ms": steady["p50_ms"],
            "steady_p99_ms": steady["p99_ms"],
            "flip_p99_ms": flip,
            # Lambda bills whole milliseconds; the p99 keeps the model on the safe side.
            "billed_ms": math.ceil(steady["p99_ms"]),
            "calls": steady["calls"],
            "requests_per_pass": steady["calls"]["DescribeAlarms"]
            + steady["calls"]["PutMetricData"] + steady["calls"]["PutMetricAlarm"],
            "flip_calls": moto["failover"]["calls"],
            # Series in the watcher's region: its pass metrics plus the gates it hosts.
            # Every region's watcher publishes the same set into its own region.
            "metric_series": series[home],
            "transition_series": all_series[home] - series[home],
        }
    starts = results["watcher_start"]
    return {
        "health_billed_ms": max(1, math.ceil(rust["warm_p99_us"] / 1000)),
        "health_warm_p99_us": rust["warm_p99_us"],
        "health_rss_mib": rust["peak_rss_kib"]["median"] / 1024,
        "watcher": watcher,
        "watcher_rss_mib": max(s["peak_rss_kib"]["median"] for s in starts.values()) / 1024,
        "watcher_init_ms": max(s["init_ms"]["median"] for s in starts.values()),
        "regions": sum(1 for name in next(iter(reconcile.values()))["watcher_env"]
                       if name.startswith("REGIONFLIP_REGION_") and name.endswith("_NAME")),
    }


def health_api(interval_s, billed_ms, share=1.0, front="rest"):
    requests = health_requests_per_month(interval_s, share)
    per_million = {"rest": PRICES["apigw_rest_per_million"],
                   "http": PRICES["apigw_http_per_million"], "url": 0.0}[front]
    return requests / 1e6 * per_million + lambda_cost(requests, billed_ms, 128), requests


def stack_alarms():
    """How many CloudWatch alarms one regional stack creates (template.yaml)."""
    template = (Path(__file__).resolve().parents[2] / "template.yaml").read_text()
    return template.count("Type: AWS::CloudWatch::Alarm")


def watcher_cost(mode, measured, memory_mb, regions):
    """One region's watcher for a month: Lambda, CloudWatch requests, metrics, alarms."""
    w = measured["watcher"][mode]
    invocations = TICKS_PER_MONTH + ALARM_EVENTS_PER_MONTH
    compute = lambda_cost(invocations, w["billed_ms"], memory_mb)
    calls = w["calls"]
    requests = calls["DescribeAlarms"] + calls["PutMetricData"] + calls["PutMetricAlarm"]
    cw_requests = invocations * requests / 1000 * PRICES["cw_requests_per_thousand"]
    # One GetMetricData per pass asks for every region's HealthCheckStatus.
    gmd = invocations * calls["GetMetricData"] * regions / 1000 * PRICES["cw_gmd_metrics_per_thousand"]
    metrics = w["metric_series"] * PRICES["cw_metric_month"]
    # template.yaml's alarms (counted from the template: operational and paging alarms);
    # gate mode adds, per region, the state holder alarm and at most one gate alarm it
    # hosts (the last region has no gate: provision's resources.rs).
    alarms = (stack_alarms() + (0 if mode == "records" else 2)) * PRICES["cw_alarm_month"]
    return {"compute": compute, "cw_requests": cw_requests, "gmd": gmd, "metrics": metrics,
            "alarms": alarms, "invocations": invocations, "requests_per_pass": requests,
            "total": compute + cw_requests + gmd + metrics + alarms}


def markdown(results):
    m = inputs(results)
    regions = m["regions"]
    out = []
    add = out.append
    add("### Inputs from this run\n")
    add("| input | value | from |")
    add("| --- | --- | --- |")
    add(f"| health invoke, warm p99 | {m['health_warm_p99_us']:.0f} µs → billed "
        f"{m['health_billed_ms']} ms (Lambda rounds up to 1 ms) | runtime comparison |")
    add(f"| health peak RSS | {m['health_rss_mib']:.1f} MiB → 128 MB function fits | "
        "runtime comparison |")
    for mode, w in m["watcher"].items():
        add(f"| watcher steady pass, `{mode}` (moto) | p50 {w['steady_p50_ms']:.1f} ms, p99 "
            f"{w['steady_p99_ms']:.1f} ms → billed {w['billed_ms']} ms | reconcile passes |")
        add(f"| watcher CloudWatch requests per steady pass, `{mode}` | "
            f"{w['requests_per_pass']} (DescribeAlarms, PutMetricData) + "
            f"{w['calls']['GetMetricData']} GetMetricData of {regions} metrics; "
            f"Route 53: {w['calls']['route53']} | `Counting` wrappers |")
        add(f"| custom metric series per region, `{mode}` | {w['metric_series']} every month "
            f"(+ {w['transition_series']} only in months with a transition) | in-memory model |")
    add(f"| watcher peak RSS / start to ready | {m['watcher_rss_mib']:.1f} MiB / "
        f"{m['watcher_init_ms']:.1f} ms | watcher start |")
    add("")

    add("### Health API, per region per month\n")
    add(f"Request rate: AWS documents that at a 30 s interval \"your endpoint receives a "
        f"health check request about every two seconds\" with the default checker regions, "
        f"i.e. about {CHECKERS_DEFAULT} checkers; at 10 s the same checkers send three times "
        f"as often. With the minimum custom selection (3 of the 8 checker regions) we assume "
        f"3/8 of that. Each request is one API Gateway request and "
        f"one Lambda invocation of {m['health_billed_ms']} ms at 128 MB.\n")
    add("| interval | checker regions | requests/s | requests/month | REST API + Lambda "
        "(as deployed) | HTTP API + Lambda | function URL (Lambda only) |")
    add("| --- | --- | --- | --- | --- | --- | --- |")
    for interval in (30, 10):
        for label, share in (("all 8 (default)", 1.0), ("3 (minimum)", CHECKER_REGION_SHARE_MIN)):
            rest, requests = health_api(interval, m["health_billed_ms"], share, "rest")
            http, _ = health_api(interval, m["health_billed_ms"], share, "http")
            url, _ = health_api(interval, m["health_billed_ms"], share, "url")
            add(f"| {interval} s | {label} | {requests / SECONDS_PER_MONTH:.2f} | "
                f"{requests / 1e6:.2f} M | {dollars(rest)} | {dollars(http)} | {dollars(url)} |")
    add("")

    add("### Health checks, per region per month\n")
    add("| check | 30 s, AWS endpoint | 30 s, non-AWS | 10 s, AWS endpoint | 10 s, non-AWS |")
    add("| --- | --- | --- | --- | --- |")
    add("| endpoint `HTTPS_STR_MATCH` (basic + HTTPS + string matching; + fast interval at 10 s) | "
        + " | ".join(dollars(endpoint_check(i, a)) for i in (30, 10) for a in (True, False))
        + " |")
    gate = 2 * PRICES["hc_basic_aws"]
    add(f"| `health-gate` only, every region but the last (a pair: home alone): gate "
        f"`CLOUDWATCH_METRIC` + `CALCULATED` (assumed basic "
        f"AWS-endpoint rate, no features) | {dollars(gate)} | {dollars(gate)} | "
        f"{dollars(gate)} | {dollars(gate)} |")
    add("")

    add("### Watcher, per region per month\n")
    add(f"{TICKS_PER_MONTH:,} ticks (rate(1 minute)) + {ALARM_EVENTS_PER_MONTH} alarm events "
        f"(assumed). Billed duration from this run's p99 steady pass against moto; real AWS "
        f"adds cross-region round trips, so the last row shows the sensitivity.\n")
    add("| mode | memory | Lambda | CloudWatch requests | GetMetricData | custom metrics | "
        "alarms | total |")
    add("| --- | --- | --- | --- | --- | --- | --- | --- |")
    watcher_totals = {}
    for mode in m["watcher"]:
        for memory in (128, 256):
            c = watcher_cost(mode, m, memory, regions)
            watcher_totals[(mode, memory)] = c["total"]
            note = " (template.yaml)" if memory == 256 else " (fits the measured RSS)"
            add(f"| `{mode}` | {memory} MB{note} | {dollars(c['compute'])} | "
                f"{dollars(c['cw_requests'])} | {dollars(c['gmd'])} | {dollars(c['metrics'])} | "
                f"{dollars(c['alarms'])} | {dollars(c['total'])} |")
    slow = lambda_cost(TICKS_PER_MONTH + ALARM_EVENTS_PER_MONTH, 1000, 256)
    add(f"| sensitivity | 256 MB | every pass billed 1 s instead (not measured) → Lambda "
        f"{dollars(slow)} | | | | | |")
    add("")

    add("### Bottom line, per region per month (REST API as deployed, 256 MB watcher)\n")
    add("| mode | interval | endpoint billed as | health API | health checks | watcher | "
        "total per region |")
    add("| --- | --- | --- | --- | --- | --- | --- |")
    totals = {}
    for mode in m["watcher"]:
        for interval in (30, 10):
            for aws_endpoint in (True, False):
                api, _ = health_api(interval, m["health_billed_ms"])
                checks = endpoint_check(interval, aws_endpoint) + (gate if mode != "records" else 0)
                watcher = watcher_totals[(mode, 256)]
                total = api + checks + watcher
                totals[(mode, interval, aws_endpoint)] = total
                add(f"| `{mode}` | {interval} s | {'AWS' if aws_endpoint else 'non-AWS'} | "
                    f"{dollars(api)} | {dollars(checks)} | {dollars(watcher)} | "
                    f"**{dollars(total)}** |")
    add("")

    cluster = PRICES["arc_cluster_hour"] * HOURS_PER_MONTH
    plan = PRICES["arc_region_switch_plan_month"]
    low = min(totals.values())
    high = max(totals.values())
    add("### Beside Route 53 ARC, per month\n")
    add("ARC is priced per account or plan, not per region; regionflip per region. ARC's "
        "figures are its own charges only (the Route 53 health checks or health endpoints "
        "an ARC setup still uses are not added).\n")
    add("| what | 2 regions | 3 regions |")
    add("| --- | --- | --- |")
    add(f"| regionflip, cheapest row above (`{min(totals, key=totals.get)[0]}`, "
        f"{min(totals, key=totals.get)[1]} s) | {dollars(2 * low)} | {dollars(3 * low)} |")
    add(f"| regionflip, dearest row above (`{max(totals, key=totals.get)[0]}`, "
        f"{max(totals, key=totals.get)[1]} s) | {dollars(2 * high)} | {dollars(3 * high)} |")
    add(f"| ARC routing control cluster (${PRICES['arc_cluster_hour']:.2f}/h × "
        f"{HOURS_PER_MONTH} h; one cluster serves many routing controls) | {dollars(cluster)} | "
        f"{dollars(cluster)} |")
    add(f"| ARC Region switch plan (${plan:.0f} per plan per month) | {dollars(plan)} | "
        f"{dollars(plan)} |")
    add("")
    add("### Prices and sources (us-east-1 list prices, USD)\n")
    add("| prices | page | how obtained |")
    add("| --- | --- | --- |")
    for what, page, how in SOURCES:
        add(f"| {what} | {page} | {how} |")
    add("")
    return "\n".join(out), {"per_region_low": low, "per_region_high": high,
                            "arc_cluster_month": cluster, "arc_plan_month": plan}
