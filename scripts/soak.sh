#!/usr/bin/env bash
# Holds the health endpoint at saturation on loopback and fails on any error.
#
#   scripts/soak.sh           30 s of wrk against the release binary; records the figures
#                             in docs/reliability.md (between <!-- soak:begin/end -->)
#   scripts/soak.sh --short   3 s against the debug binary `cargo test` already built;
#                             prints the figures, leaves the docs alone (for `make test`)
#
# The server is `health --listen 127.0.0.1:0` in local mode (the Lambda binary serving
# HTTP itself); it prints `listening on http://127.0.0.1:PORT`, and that port is used, so
# no port is fixed. wrk sends Route 53's checker User-Agent. The run fails when wrk
# reports a socket error (connect, read, write, timeout) or a non-2xx answer, when it
# completed no request, or when the server no longer answers 200 afterwards.
#
# Environment: SOAK_SECONDS (30; 3 with --short), SOAK_CONNECTIONS (64), SOAK_THREADS (1:
# one core for wrk, one for the single-threaded server), SOAK_PROFILE (release; debug
# with --short), NO_DOCS=1 to leave docs/reliability.md alone. Needs cargo, wrk and jq
# (`apt-get install wrk jq`; `make deps` and .ci/run install them) and python3.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

short=0
case "${1:-}" in
    --short) short=1 ;;
    "") ;;
    *) echo "usage: scripts/soak.sh [--short]" >&2; exit 2 ;;
esac
if ((short)); then
    seconds="${SOAK_SECONDS:-3}"
    profile="${SOAK_PROFILE:-debug}"
else
    seconds="${SOAK_SECONDS:-30}"
    profile="${SOAK_PROFILE:-release}"
fi
connections="${SOAK_CONNECTIONS:-64}"
threads="${SOAK_THREADS:-1}"

for tool in cargo wrk jq python3; do
    if ! command -v "$tool" >/dev/null; then
        echo "soak: $tool is not installed (wrk, jq: apt-get install wrk jq)" >&2
        exit 2
    fi
done
# shellcheck source=lib/wrk.sh
source "$root/scripts/lib/wrk.sh"

target_dir="$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)"
echo "== build ($profile)" >&2
if [[ "$profile" == release ]]; then
    cargo build --release --locked -p regionflip-health --bin health >&2
else
    cargo build --locked -p regionflip-health --bin health >&2
fi
health="$target_dir/$profile/health"

wrk_out="$(mktemp)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -f "$wrk_out"
}
trap cleanup EXIT

# Read the "listening on" line straight from the server's stdout (bounded by read -t).
exec {server_out}< <(AWS_REGION=eu-west-1 REGIONFLIP_SERVICE_NAME=soak exec "$health" --listen 127.0.0.1:0 2>/dev/null)
server_pid=$!
if ! read -r -t 10 listening <&"$server_out"; then
    echo "soak: the health server printed no listening line" >&2
    exit 1
fi
port="${listening##*:}"
url="http://127.0.0.1:$port/health"
route53_agent='Amazon-Route53-Health-Check-Service (ref 0f7c4c1e-5d0a-4b8e-9f3a-2c6d8e1b7a45; report http://amzn.to/1vsZADi)'

echo "== wrk ${seconds}s, $threads thread(s), $connections connections, $url" >&2
wrk --latency -t"$threads" -c"$connections" -d"${seconds}s" -H "User-Agent: $route53_agent" \
    "$url" | tee "$wrk_out" >&2
peak_rss_kb="$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status")"

failures=()
if grep -q '^ *Socket errors:' "$wrk_out"; then
    failures+=("$(grep '^ *Socket errors:' "$wrk_out" | sed 's/^ *//')")
fi
if grep -q 'Non-2xx or 3xx responses' "$wrk_out"; then
    failures+=("$(grep 'Non-2xx or 3xx responses' "$wrk_out" | sed 's/^ *//')")
fi
requests="$(awk '/requests in/ {print $1; exit}' "$wrk_out")"
if [[ -z "$requests" || "$requests" == 0 ]]; then
    failures+=("wrk completed no request")
fi
# Still serving after the load.
after="$(python3 - "$port" <<'PY'
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=4) as conn:
    conn.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    answer = b""
    while chunk := conn.recv(4096):
        answer += chunk
print(answer.split(b"\r\n", 1)[0].decode())
PY
)" || after="no answer"
if [[ "$after" != "HTTP/1.1 200 OK" ]]; then
    failures+=("after the load the server answered: $after")
fi

requests_per_s="$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$wrk_out")"
percentile() { wrk_ms "$(awk -v p="$1" '$1 == p {print $2; exit}' "$wrk_out")"; } # "50%  85.00us" -> ms
max_ms="$(wrk_ms "$(awk '$1 == "Latency" {print $4; exit}' "$wrk_out")")"
p50="$(percentile 50%)"; p75="$(percentile 75%)"; p90="$(percentile 90%)"; p99="$(percentile 99%)"

cpu="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
summary="$(cat <<EOF
Measured $(date -u +%Y-%m-%d) on $(nproc) cores, ${cpu:-unknown CPU}, $(uname -sr).
Command: \`scripts/soak.sh\` (${profile} \`health --listen 127.0.0.1:0\`, wrk ${seconds} s, ${threads} thread, ${connections} connections, loopback, Route 53's User-Agent).

| measure | result |
| --- | --- |
| requests completed | ${requests} |
| throughput | ${requests_per_s} req/s |
| latency p50 / p75 / p90 / p99 | ${p50} / ${p75} / ${p90} / ${p99} ms |
| latency max | ${max_ms} ms |
| socket errors, non-2xx answers | $(if ((${#failures[@]})); then echo "**${failures[*]}**"; else echo "none"; fi) |
| peak RSS of the server (VmHWM) | ${peak_rss_kb} KiB |
| answer after the run | ${after} |
EOF
)"
echo
echo "$summary"

if ((! short)) && [[ "${NO_DOCS:-0}" != 1 ]] && ((${#failures[@]} == 0)); then
    docs="$root/docs/reliability.md"
    printf '%s\n' "$summary" | python3 "$root/scripts/lib/docblock.py" "$docs" soak
    echo "updated ${docs#"$root"/}" >&2
fi

if ((${#failures[@]})); then
    printf 'soak: %s\n' "${failures[@]}" >&2
    exit 1
fi
echo "soak: ${requests} requests in ${seconds} s, no errors" >&2
