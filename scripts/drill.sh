#!/usr/bin/env bash
# The local DR drill (docs/drill.md): builds the CLI and the health endpoint, then runs
# `regionflip drill` with any arguments given, e.g. `scripts/drill.sh --mode records`.
# `make drill` installs moto_server first when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v moto_server >/dev/null || [ -n "${AWS_ENDPOINT_URL:-}" ] || {
  echo "drill: moto_server is not installed: pip install 'moto[server]' (or run make drill)" >&2
  exit 1
}
cargo build --locked --quiet -p regionflip-cli -p regionflip-health
exec "${CARGO_TARGET_DIR:-target}/debug/regionflip" drill "$@"
