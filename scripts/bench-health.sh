#!/usr/bin/env bash
# Benchmarks the health endpoint against its budgets and records the results.
#
# Measures, on this machine:
#   - handler cost in process (criterion, crates/health/benches/respond.rs)  budget <= 5 us
#   - process start to first 200 answer, local mode, median of $START_RUNS  budget <= 10 ms
#   - peak RSS (VmHWM) of the local server after a wrk load run             budget <= 10 MB
#   - requests/s and latency percentiles under wrk on loopback               (recorded)
#   - size of the stripped bootstrap from `cargo lambda build --release`     budget <= 3 MB
# Prints a markdown table, rewrites the section between <!-- health:begin --> and
# <!-- health:end --> in docs/benchmarks.md, and exits 1 when any budget is missed.
#
# Environment: WRK_SECONDS (10), WRK_CONNECTIONS (16), START_RUNS (50),
# SKIP_LAMBDA_BUILD=1 to reuse an existing bootstrap, NO_DOCS=1 to leave docs alone,
# RESULTS_JSON=FILE to also write every measurement there (scripts/bench.sh reads it).
# Needs cargo, cargo-lambda, wrk, python3. All traffic stays on 127.0.0.1.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

wrk_seconds="${WRK_SECONDS:-10}"
wrk_connections="${WRK_CONNECTIONS:-16}"
start_runs="${START_RUNS:-50}"

# Budgets. MB here means 10^6 bytes: the stricter reading of "3 MB" / "10 MB".
budget_handler_ns=5000
budget_start_ms=10
budget_rss_kb=$((10 * 1000 * 1000 / 1024))
budget_bootstrap_bytes=$((3 * 1000 * 1000))

for tool in cargo cargo-lambda wrk python3; do
    command -v "$tool" >/dev/null || { echo "bench-health: $tool is not installed" >&2; exit 2; }
done

target_dir="$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
route53_agent='Amazon-Route53-Health-Check-Service (ref 0f7c4c1e-5d0a-4b8e-9f3a-2c6d8e1b7a45; report http://amzn.to/1vsZADi)'
failures=()

echo "== build (release, local mode)" >&2
cargo build --release -p regionflip-health --bin health >&2
health="$target_dir/release/health"

echo "== handler (criterion)" >&2
cargo bench -p regionflip-health --bench respond -- --warm-up-time 1 --measurement-time 3 >&2
criterion_ns() { # $1 = benchmark id in group "health"; prints the mean in ns
    python3 -c 'import json, sys; print(round(json.load(open(sys.argv[1]))["mean"]["point_estimate"]))' \
        "$target_dir/criterion/health/$1/new/estimates.json"
}
handler_ns="$(criterion_ns respond_get_healthy)"
lambda_handler_ns="$(criterion_ns route_path_and_respond_http_api_event)"

echo "== start to first 200 ($start_runs runs)" >&2
# Spawn, wait for the "listening on" line, GET /health, stop at the end of the 200 answer.
start_stats="$(python3 - "$health" "$start_runs" <<'PY'
import socket, statistics, subprocess, sys, time
exe, runs = sys.argv[1], int(sys.argv[2])
samples = []
for _ in range(runs):
    began = time.perf_counter()
    child = subprocess.Popen([exe, "--listen", "127.0.0.1:0"], env={"AWS_REGION": "eu-west-1"},
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        line = child.stdout.readline().decode()
        port = int(line.strip().rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=4) as conn:
            conn.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := conn.recv(4096):
                answer += chunk
        ended = time.perf_counter()
        if not answer.startswith(b"HTTP/1.1 200 "):
            sys.exit(f"unexpected answer: {answer[:80]!r}")
        samples.append((ended - began) * 1000)
    finally:
        child.terminate()
        child.wait()
samples.sort()
p90 = samples[min(len(samples) - 1, int(len(samples) * 0.9))]
print(f"{statistics.median(samples):.2f} {samples[0]:.2f} {p90:.2f}")
PY
)"
read -r start_median_ms start_min_ms start_p90_ms <<<"$start_stats"

echo "== wrk ${wrk_seconds}s, $wrk_connections connections" >&2
wrk_file="$(mktemp)"
# Read the "listening on" line straight from the server's stdout (bounded by read -t).
exec {server_out}< <(AWS_REGION=eu-west-1 exec "$health" --listen 127.0.0.1:0 2>/dev/null)
server_pid=$!
cleanup() { kill "$server_pid" 2>/dev/null || true; rm -f "$wrk_file"; }
trap cleanup EXIT
read -r -t 5 listening <&"$server_out" || { echo "bench-health: no listening line" >&2; exit 1; }
port="${listening##*:}"
idle_rss_kb="$(awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status")"
wrk --latency -t1 -c"$wrk_connections" -d"${wrk_seconds}s" -H "User-Agent: $route53_agent" \
    "http://127.0.0.1:$port/health" | tee "$wrk_file" >&2
peak_rss_kb="$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status")"
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true

if grep -q 'Non-2xx or 3xx responses' "$wrk_file"; then
    failures+=("wrk saw non-2xx answers")
fi
requests_per_s="$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$wrk_file")"
to_ms() { # wrk latency like 85.00us / 1.20ms / 1.01s -> milliseconds
    python3 -c '
import re, sys
value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", sys.argv[1]).groups()
print("%.3f" % (float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]))' "$1"
}
percentile_ms() { to_ms "$(awk -v p="$1" '$1 == p {print $2; exit}' "$wrk_file")"; }
p50_ms="$(percentile_ms 50%)"
p90_ms="$(percentile_ms 90%)"
p99_ms="$(percentile_ms 99%)"

echo "== bootstrap size (cargo lambda build --release)" >&2
# field-facts: cargo lambda's --target-dir is broken; it honours CARGO_TARGET_DIR.
if [[ "${SKIP_LAMBDA_BUILD:-0}" != 1 ]]; then
    CARGO_TARGET_DIR="$target_dir" cargo lambda build --release -p regionflip-health >&2
fi
bootstrap="$target_dir/lambda/health/bootstrap"
bootstrap_bytes="$(stat -c %s "$bootstrap")"

verdict() { # $1 = within budget (0/1) -> cell text
    if [[ "$1" == 1 ]]; then echo "ok"; else echo "**MISSED**"; fi
}
ok_handler=$((handler_ns <= budget_handler_ns))
ok_start="$(python3 -c "import sys; print(int(float('$start_median_ms') <= $budget_start_ms))")"
ok_rss=$((peak_rss_kb <= budget_rss_kb))
ok_bootstrap=$((bootstrap_bytes <= budget_bootstrap_bytes))
[[ "$ok_handler" == 1 ]] || failures+=("handler ${handler_ns} ns > ${budget_handler_ns} ns")
[[ "$ok_start" == 1 ]] || failures+=("start ${start_median_ms} ms > ${budget_start_ms} ms")
[[ "$ok_rss" == 1 ]] || failures+=("peak RSS ${peak_rss_kb} KiB > ${budget_rss_kb} KiB")
[[ "$ok_bootstrap" == 1 ]] || failures+=("bootstrap ${bootstrap_bytes} B > ${budget_bootstrap_bytes} B")

cpu="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
table="$(cat <<EOF
Measured $(date -u +%Y-%m-%d) on $(nproc) cores, ${cpu:-unknown CPU}, $(uname -sr), $(rustc --version).
Command: \`scripts/bench-health.sh\` (wrk ${wrk_seconds} s, 1 thread, ${wrk_connections} connections, loopback; start: median of ${start_runs} runs).

| measure | result | budget | verdict |
| --- | --- | --- | --- |
| handler in process, \`respond\` GET healthy (criterion mean) | ${handler_ns} ns | ≤ 5 µs | $(verdict "$ok_handler") |
| handler in process, Lambda event \`route_path\` + \`respond\` | ${lambda_handler_ns} ns | — | — |
| process start to first 200, local mode (median; min, p90) | ${start_median_ms} ms (${start_min_ms}; ${start_p90_ms}) | ≤ 10 ms | $(verdict "$ok_start") |
| RSS idle after start | $((idle_rss_kb)) KiB | — | — |
| peak RSS (VmHWM) after the wrk run | ${peak_rss_kb} KiB | ≤ 10 MB | $(verdict "$ok_rss") |
| throughput, wrk on loopback | ${requests_per_s} req/s | — | — |
| latency p50 / p90 / p99 | ${p50_ms} / ${p90_ms} / ${p99_ms} ms | — | — |
| stripped \`bootstrap\` (\`cargo lambda build --release\`) | ${bootstrap_bytes} bytes | ≤ 3 MB (3,000,000 bytes) | $(verdict "$ok_bootstrap") |
EOF
)"
echo
echo "$table"

docs="$root/docs/benchmarks.md"
if [[ "${NO_DOCS:-0}" != 1 ]]; then
    mkdir -p "$(dirname "$docs")"
    [[ -f "$docs" ]] || printf '# Benchmarks\n' >"$docs"
    printf '%s\n' "$table" | python3 "$root/scripts/lib/docblock.py" "$docs" health "## Health endpoint"
    echo "updated ${docs#"$root"/}" >&2
fi

if [[ -n "${RESULTS_JSON:-}" ]]; then
    python3 - "$RESULTS_JSON" "${failures[@]}" <<PY
import json, sys
json.dump({
    "handler_ns": $handler_ns, "lambda_handler_ns": $lambda_handler_ns,
    "start_ms": {"median": $start_median_ms, "min": $start_min_ms, "p90": $start_p90_ms,
                 "runs": $start_runs},
    "idle_rss_kib": $idle_rss_kb, "peak_rss_kib": $peak_rss_kb,
    "wrk": {"seconds": $wrk_seconds, "connections": $wrk_connections,
            "requests_per_s": $requests_per_s,
            "p50_ms": $p50_ms, "p90_ms": $p90_ms, "p99_ms": $p99_ms},
    "bootstrap_bytes": $bootstrap_bytes,
    "failures": sys.argv[2:],
}, open(sys.argv[1], "w"), indent=1)
PY
fi

if ((${#failures[@]})); then
    printf 'bench-health: budget missed: %s\n' "${failures[@]}" >&2
    exit 1
fi
