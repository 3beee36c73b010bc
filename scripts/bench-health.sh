#!/usr/bin/env bash
# Benchmarks the health endpoint against its budgets and records the results.
#
# Measures, on this machine (budgets: scripts/bench/budgets.json, the one file that holds
# them; scripts/bench/budgets.py reads it too):
#   - handler cost in process (criterion, crates/health/benches/respond.rs)  BUDGET_HEALTH_HANDLER_NS
#   - process start to first 200 answer, local mode, median of $START_RUNS  BUDGET_HEALTH_START_MS
#   - peak RSS (VmHWM) of the local server after a wrk load run             BUDGET_HEALTH_PEAK_RSS_BYTES
#   - requests/s and latency percentiles under wrk on loopback               (recorded)
#   - size of the stripped bootstrap from `cargo lambda build --release`     BUDGET_HEALTH_BOOTSTRAP_BYTES
# Prints a markdown table, rewrites the section between <!-- health:begin --> and
# <!-- health:end --> in docs/benchmarks.md, and exits 1 when any budget is missed.
#
# Environment: WRK_SECONDS (10), WRK_CONNECTIONS (16), START_RUNS (50),
# SKIP_LAMBDA_BUILD=1 to reuse an existing bootstrap, NO_DOCS=1 to leave docs alone,
# RESULTS_JSON=FILE to also write every measurement there (scripts/bench.sh reads it).
# Needs cargo, cargo-lambda, wrk, jq, python3. All traffic stays on 127.0.0.1.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

wrk_seconds="${WRK_SECONDS:-10}"
wrk_connections="${WRK_CONNECTIONS:-16}"
start_runs="${START_RUNS:-50}"

for tool in cargo cargo-lambda wrk jq python3; do
    command -v "$tool" >/dev/null || { echo "bench-health: $tool is not installed" >&2; exit 2; }
done
# shellcheck source=lib/wrk.sh
source "$root/scripts/lib/wrk.sh"

# Budgets, from the one file that holds them (MB there means 10^6 bytes: the stricter
# reading of "3 MB" / "10 MB"). This script takes no BUDGET_* overrides; budgets.py does.
budgets_file="$root/scripts/bench/budgets.json"
budget() { # $1 = budget name -> its limit; a missing one stops the run
    jq -er --arg name "$1" '.budgets[$name].limit' "$budgets_file"
}
number() { # $1 / ${2:-1} in the shortest form ("%g": 10.0 -> 10, 5000 / 1000 -> 5)
    LC_ALL=C awk -v value="$1" -v divisor="${2:-1}" 'BEGIN { printf "%g", value / divisor }'
}
thousands() { # 3000000 -> 3,000,000
    sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"
}
budget_handler_ns="$(budget BUDGET_HEALTH_HANDLER_NS)"
budget_start_ms="$(number "$(budget BUDGET_HEALTH_START_MS)")"
budget_rss_bytes="$(budget BUDGET_HEALTH_PEAK_RSS_BYTES)"
budget_rss_kb=$((budget_rss_bytes / 1024))
budget_bootstrap_bytes="$(budget BUDGET_HEALTH_BOOTSTRAP_BYTES)"

target_dir="$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)"
route53_agent='Amazon-Route53-Health-Check-Service (ref 0f7c4c1e-5d0a-4b8e-9f3a-2c6d8e1b7a45; report http://amzn.to/1vsZADi)'
failures=()

echo "== build (release, local mode)" >&2
cargo build --release -p regionflip-health --bin health >&2
health="$target_dir/release/health"

echo "== handler (criterion)" >&2
cargo bench -p regionflip-health --bench respond -- --warm-up-time 1 --measurement-time 3 >&2
criterion_ns() { # $1 = benchmark id in group "health"; prints the mean in ns, rounded
    jq -e '.mean.point_estimate | round' "$target_dir/criterion/health/$1/new/estimates.json"
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
percentile_ms() { wrk_ms "$(awk -v p="$1" '$1 == p {print $2; exit}' "$wrk_file")"; }
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
ok_start="$(LC_ALL=C awk -v measured="$start_median_ms" -v budget="$budget_start_ms" \
    'BEGIN { print (measured + 0 <= budget + 0) ? 1 : 0 }')"
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
| handler in process, \`respond\` GET healthy (criterion mean) | ${handler_ns} ns | ≤ $(number "$budget_handler_ns" 1000) µs | $(verdict "$ok_handler") |
| handler in process, Lambda event \`route_path\` + \`respond\` | ${lambda_handler_ns} ns | — | — |
| process start to first 200, local mode (median; min, p90) | ${start_median_ms} ms (${start_min_ms}; ${start_p90_ms}) | ≤ ${budget_start_ms} ms | $(verdict "$ok_start") |
| RSS idle after start | $((idle_rss_kb)) KiB | — | — |
| peak RSS (VmHWM) after the wrk run | ${peak_rss_kb} KiB | ≤ $(number "$budget_rss_bytes" 1000000) MB | $(verdict "$ok_rss") |
| throughput, wrk on loopback | ${requests_per_s} req/s | — | — |
| latency p50 / p90 / p99 | ${p50_ms} / ${p90_ms} / ${p99_ms} ms | — | — |
| stripped \`bootstrap\` (\`cargo lambda build --release\`) | ${bootstrap_bytes} bytes | ≤ $(number "$budget_bootstrap_bytes" 1000000) MB ($(thousands "$budget_bootstrap_bytes") bytes) | $(verdict "$ok_bootstrap") |
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
    # Every figure is a JSON number already (integers, or decimals as printed above).
    jq -n --indent 1 \
        --argjson handler_ns "$handler_ns" --argjson lambda_handler_ns "$lambda_handler_ns" \
        --argjson start_median "$start_median_ms" --argjson start_min "$start_min_ms" \
        --argjson start_p90 "$start_p90_ms" --argjson start_runs "$start_runs" \
        --argjson idle_rss_kib "$idle_rss_kb" --argjson peak_rss_kib "$peak_rss_kb" \
        --argjson wrk_seconds "$wrk_seconds" --argjson wrk_connections "$wrk_connections" \
        --argjson requests_per_s "$requests_per_s" \
        --argjson p50_ms "$p50_ms" --argjson p90_ms "$p90_ms" --argjson p99_ms "$p99_ms" \
        --argjson bootstrap_bytes "$bootstrap_bytes" \
        '{
            handler_ns: $handler_ns, lambda_handler_ns: $lambda_handler_ns,
            start_ms: {median: $start_median, min: $start_min, p90: $start_p90, runs: $start_runs},
            idle_rss_kib: $idle_rss_kib, peak_rss_kib: $peak_rss_kib,
            wrk: {seconds: $wrk_seconds, connections: $wrk_connections,
                  requests_per_s: $requests_per_s,
                  p50_ms: $p50_ms, p90_ms: $p90_ms, p99_ms: $p99_ms},
            bootstrap_bytes: $bootstrap_bytes,
            failures: $ARGS.positional
        }' --args "${failures[@]}" >"$RESULTS_JSON"
fi

if ((${#failures[@]})); then
    printf 'bench-health: budget missed: %s\n' "${failures[@]}" >&2
    exit 1
fi
