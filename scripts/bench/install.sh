#!/usr/bin/env bash
# Installs what `make bench` needs and is not part of the Rust build, then writes
# target/bench/peers.json saying which runtime peers are available (and why not).
#
#   wrk, jq                  apt-get (Debian packages) when missing; jq reads the JSON
#                            files of the suite (budgets, peers, results) in shell
#   moto_server, cargo-lambda PyPI (same pins as `make deps`) when missing
#   awslambdaric (Python)    pip install --target target/bench/python (pinned)
#   aws-lambda-ric (Node.js) npm install --prefix target/bench/node (pinned); its native
#                            part builds from source, so cmake, autoconf, automake,
#                            libtool and g++ come from apt-get when missing
#
# A peer that cannot be installed is not fatal here: the suite reports it loudly in
# docs/benchmarks.md and the budget script fails when the Python peer is missing (the
# init-ratio budget is measured against it). Everything lands under target/ (gitignored).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/target/bench"
mkdir -p "$out"
log="$out/install.log"
: >"$log"

# Pinned so that two runs compare the same peers; bump deliberately.
AWSLAMBDARIC_VERSION="${AWSLAMBDARIC_VERSION:-4.2.2}"
AWS_LAMBDA_RIC_VERSION="${AWS_LAMBDA_RIC_VERSION:-4.0.2}"

apt_updated=0
apt_install() { # packages...; true when all got installed
    if [[ $apt_updated == 0 ]]; then
        apt-get update -qq >>"$log" 2>&1 || return 1
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >>"$log" 2>&1
}

status=0
for tool in wrk jq; do
    if ! command -v "$tool" >/dev/null; then
        echo "bench: installing $tool (apt-get)" >&2
        apt_install "$tool" || { echo "bench: could not install $tool; see $log" >&2; status=1; }
    fi
done
command -v moto_server >/dev/null ||
    python3 -m pip install --quiet 'moto[server]>=5.2,<5.3' >>"$log" 2>&1 || status=1
command -v cargo-lambda >/dev/null ||
    python3 -m pip install --quiet 'cargo-lambda>=1.9,<2' >>"$log" 2>&1 || status=1

# --- Python peer -------------------------------------------------------------------------
python_dir="$out/python"
python_error=""
module_version="$root/scripts/lib/module_version.py"
if ! PYTHONPATH="$python_dir" python3 "$module_version" awslambdaric >/dev/null 2>&1; then
    echo "bench: installing awslambdaric $AWSLAMBDARIC_VERSION (pip --target)" >&2
    rm -rf "$python_dir"
    python3 -m pip install --quiet --disable-pip-version-check --target "$python_dir" \
        "awslambdaric==$AWSLAMBDARIC_VERSION" >>"$log" 2>&1 ||
        python_error="pip install awslambdaric==$AWSLAMBDARIC_VERSION failed (see target/bench/install.log)"
fi
python_version="$(PYTHONPATH="$python_dir" python3 "$module_version" awslambdaric 2>/dev/null || true)"
[[ -n "$python_version" || -n "$python_error" ]] || python_error="awslambdaric is not importable"

# --- Node.js peer ------------------------------------------------------------------------
node_dir="$out/node"
node_ric="$node_dir/node_modules/.bin/aws-lambda-ric"
node_error=""
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "bench: installing Node.js (apt-get)" >&2
    apt_install nodejs npm || true
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    node_error="node/npm are not installed and apt-get could not install them"
elif [[ ! -x "$node_ric" || ! -f "$node_dir/node_modules/aws-lambda-ric/rapid-client.node" ]]; then
    missing_tools=()
    for tool in cmake autoconf automake libtoolize make g++; do
        command -v "$tool" >/dev/null || missing_tools+=("$tool")
    done
    if ((${#missing_tools[@]})); then
        echo "bench: installing build tools for aws-lambda-ric: ${missing_tools[*]} (apt-get)" >&2
        apt_install cmake autoconf automake libtool make g++ || true
    fi
    echo "bench: installing aws-lambda-ric $AWS_LAMBDA_RIC_VERSION (npm, builds native code: ~2 min)" >&2
    rm -rf "$node_dir"
    mkdir -p "$node_dir"
    # --prefix keeps node_modules under target/; --foreground-scripts shows build errors in the log.
    npm install --prefix "$node_dir" --no-audit --no-fund --foreground-scripts \
        "aws-lambda-ric@$AWS_LAMBDA_RIC_VERSION" >>"$log" 2>&1 ||
        node_error="npm install aws-lambda-ric@$AWS_LAMBDA_RIC_VERSION failed (see target/bench/install.log)"
fi
node_version=""
if [[ -z "$node_error" ]]; then
    node_version="$(node -p "require('$node_dir/node_modules/aws-lambda-ric/package.json').version" 2>/dev/null || true)"
    [[ -x "$node_ric" && -n "$node_version" ]] || node_error="aws-lambda-ric is not installed in $node_dir"
fi

PY_DIR="$python_dir" PY_VER="$python_version" PY_ERR="$python_error" \
NODE_RIC="$node_ric" NODE_VER="$node_version" NODE_ERR="$node_error" \
python3 - "$out/peers.json" <<'PY'
import json, os, platform, subprocess, sys

def run(*argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError:
        return ""

peers = {
    "python": {"ok": not os.environ["PY_ERR"], "error": os.environ["PY_ERR"] or None,
               "packages": os.environ["PY_DIR"], "awslambdaric": os.environ["PY_VER"] or None,
               "interpreter": sys.executable, "version": platform.python_version()},
    "node": {"ok": not os.environ["NODE_ERR"], "error": os.environ["NODE_ERR"] or None,
             "ric": os.environ["NODE_RIC"], "aws-lambda-ric": os.environ["NODE_VER"] or None,
             "version": run("node", "--version") or None},
}
json.dump(peers, open(sys.argv[1], "w"), indent=1)
PY

for peer in python node; do
    # -e: false, or no such peer, is a non-zero status.
    jq -e --arg peer "$peer" '.[$peer].ok' "$out/peers.json" >/dev/null 2>&1 ||
        echo "bench: WARNING: the $peer peer is unavailable; see target/bench/peers.json" >&2
done
exit "$status"
