#!/usr/bin/env bash
# The benchmark suite behind `make bench`: measures, writes docs/benchmarks.md and
# docs/cost.md from this run's numbers, then checks the budgets.
#
#   1. installs what it needs (scripts/bench/install.sh: wrk, jq, awslambdaric, aws-lambda-ric)
#   2. health endpoint: scripts/bench-health.sh (criterion, start to first 200, RSS, wrk,
#      stripped bootstrap from `cargo lambda build --release`), unchanged and reused
#   3. watcher bootstrap: `cargo lambda build --release -p regionflip-watcher`, size
#   4. runtimes side by side: bench/runtime_api.py health (our bootstrap vs awslambdaric
#      vs aws-lambda-ric under one loopback Runtime API, alternating rounds)
#   5. watcher start to ready: the bootstrap under the same harness, moto as the endpoint
#   6. reconcile passes and AWS calls: crates/watcher/examples/bench_reconcile.rs
#   7. engine: criterion, crates/core/benches/engine.rs
#   8. drill: `regionflip drill` (default timings) in both modes
#   9. scripts/bench/report.py writes the docs; scripts/bench/budgets.py exits non-zero
#      when a budget is missed
#
# Environment (defaults in brackets): BENCH_ROUNDS [20] and BENCH_INVOKES [1000] for the
# runtime comparison; BENCH_RECONCILE_RUNS [50]; BENCH_START_ROUNDS [20] for the watcher;
# BENCH_SKIP_DRILL=1 keeps the previous drill results; NO_DOCS=1 leaves docs/ alone;
# BUDGET_* tighten or relax budgets (the limits live in scripts/bench/budgets.json; see
# scripts/bench/budgets.py). Raw results go to
# target/bench/ (results.json is everything in one file). Loopback only; every port is
# chosen by the kernel.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="$root/target/bench"
mkdir -p "$out"
suite_started="$(date +%s)"
rounds="${BENCH_ROUNDS:-20}"
invokes="${BENCH_INVOKES:-1000}"
reconcile_runs="${BENCH_RECONCILE_RUNS:-50}"
start_rounds="${BENCH_START_ROUNDS:-20}"
# Every cargo invocation here and in bench-health.sh shares one target directory
# (field-facts: cargo lambda's --target-dir is broken; it honours CARGO_TARGET_DIR).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

step() { printf '\n== %s\n' "$*" >&2; }
stamp() { # name: records how long the step took
    local now
    now="$(date +%s)"
    printf '%s %s\n' "$1" "$((now - step_started))" >>"$out/durations.txt"
    step_started="$now"
}
: >"$out/durations.txt"
step_started="$suite_started"

step "install (wrk, jq, moto, cargo-lambda, awslambdaric, aws-lambda-ric)"
scripts/bench/install.sh
stamp install

step "health endpoint (scripts/bench-health.sh)"
health_status=0
RESULTS_JSON="$out/health.json" scripts/bench-health.sh || health_status=$?
# Its own budgets are checked again by budgets.py; a miss must not stop the rest.
[[ -f "$out/health.json" ]] || { echo "bench: bench-health.sh produced no results" >&2; exit 1; }
stamp health

step "watcher bootstrap (cargo lambda build --release -p regionflip-watcher)"
# One package per build: feature unification would otherwise bloat the health binary.
cargo lambda build --release -p regionflip-watcher >&2
stat -c %s "$CARGO_TARGET_DIR/lambda/watcher/bootstrap" >"$out/watcher-bootstrap-bytes.txt"
stamp watcher_build

step "reconcile passes and AWS calls ($reconcile_runs runs, moto and in-memory)"
cargo build --release --locked -p regionflip-watcher --example bench_reconcile >&2
"$CARGO_TARGET_DIR/release/examples/bench_reconcile" --runs "$reconcile_runs" \
    --out "$out/reconcile.json"
stamp reconcile

step "runtimes side by side ($rounds rounds x $invokes invokes, alternating)"
peer_args=()
peer_ok() { # $1 = python or node -> 1 when install.sh made that peer available, else 0
    # A peers.json without the peer's "ok" flag is a broken install step: stop the run.
    jq -r --arg peer "$1" '.[$peer].ok
        | if type == "boolean" then (if . then 1 else 0 end)
          else error("target/bench/peers.json has no boolean \($peer).ok") end' "$out/peers.json"
}
python_ok="$(peer_ok python)"
node_ok="$(peer_ok node)"
if [[ "$python_ok" == 1 ]]; then
    peer_args+=(--python-packages "$out/python")
else
    peer_args+=(--python-missing "see target/bench/peers.json")
fi
if [[ "$node_ok" == 1 ]]; then
    peer_args+=(--node-ric "$out/node/node_modules/.bin/aws-lambda-ric")
else
    peer_args+=(--node-missing "see target/bench/peers.json")
fi
python3 bench/runtime_api.py health --ours "$CARGO_TARGET_DIR/lambda/health/bootstrap" \
    --event events/health-rest-get.json --rounds "$rounds" --invokes "$invokes" \
    --pycache "$out/pycache" --log "$out/runtime_api.log" --out "$out/runtimes.json" \
    "${peer_args[@]}"
stamp runtimes

step "watcher start to ready ($start_rounds rounds per mode, moto endpoint)"
for mode in records health-gate; do
    # -e: a mode missing from reconcile.json stops the run instead of writing null.
    jq -e --arg mode "$mode" '.modes[$mode].watcher_env' "$out/reconcile.json" \
        >"$out/watcher-env-$mode.json"
    # As template.yaml configures the watcher: JSON logs, 256 MB.
    python3 bench/runtime_api.py start --name "watcher-$mode" --rounds "$start_rounds" \
        --memory 256 --moto --env-json "$out/watcher-env-$mode.json" \
        --env AWS_LAMBDA_LOG_FORMAT=JSON --env AWS_LAMBDA_LOG_LEVEL=INFO \
        --log "$out/watcher-start-$mode.log" --out "$out/watcher-start-$mode.json" \
        "$CARGO_TARGET_DIR/lambda/watcher/bootstrap"
done
stamp watcher_start

step "engine decisions (criterion)"
cargo bench --locked -p regionflip-core --bench engine -- --warm-up-time 1 --measurement-time 3 >&2
stamp engine

if [[ "${BENCH_SKIP_DRILL:-0}" != 1 ]]; then
    step "drill, default timings, both modes"
    cargo build --locked --quiet -p regionflip-cli -p regionflip-health
    for mode in records health-gate; do
        # Exit 4 means an expectation failed: recorded in report.json, reported, not fatal here.
        "$CARGO_TARGET_DIR/debug/regionflip" drill --mode "$mode" --out "$out/drill-$mode" >&2 ||
            echo "bench: drill ($mode) exited $?; see $out/drill-$mode/report.json" >&2
    done
    stamp drill
fi

suite_ended="$(date +%s)"
printf 'total %s\n' "$((suite_ended - suite_started))" >>"$out/durations.txt"

step "report and budgets"
python3 scripts/bench/report.py --results "$out" --health-status "$health_status"
python3 scripts/bench/budgets.py "$out/results.json"
