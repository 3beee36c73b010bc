#!/usr/bin/env bash
# Validates the SAM template, offline:
#   1. cfn-lint 1.51 (pinned: it rejects an unknown Runtime, which 1.58 lets through),
#   2. sam validate --lint,
#   3. sam validate (the SAM transform itself; AWS_DEFAULT_REGION=us-east-1, no credentials),
#   4. the template tests (tests/template: IAM, build metadata, EventBridge pattern, ownership).
#
#   scripts/validate-template.sh              # all of the above
#   scripts/validate-template.sh --tools-only # just make sure the tools are installed
#
# The tools live in their own virtualenv (target/template-tools/venv, or TEMPLATE_TOOLS):
# aws-sam-cli's current releases want cfn-lint >= 1.52, so pip settles on an older SAM CLI
# beside cfn-lint 1.51 there, without touching the Python packages the rest of the
# project uses (moto, cargo-lambda).
set -euo pipefail
cd "$(dirname "$0")/.."

tools="${TEMPLATE_TOOLS:-target/template-tools/venv}"
cfn_lint_spec='cfn-lint==1.51.*'

ensure_tools() {
    if [[ -x "$tools/bin/cfn-lint" && -x "$tools/bin/sam" ]] \
        && "$tools/bin/cfn-lint" --version 2>/dev/null | grep -q 'cfn-lint 1\.51\.'; then
        return
    fi
    echo "== installing $cfn_lint_spec and aws-sam-cli into $tools"
    python3 -m venv "$tools"
    "$tools/bin/python" -m pip install --quiet --disable-pip-version-check "$cfn_lint_spec" aws-sam-cli
}

ensure_tools
if [[ "${1:-}" == "--tools-only" ]]; then
    exit 0
fi

# Offline and quiet: no telemetry, no instance-metadata lookups for a region or credentials.
export SAM_CLI_TELEMETRY=0 AWS_EC2_METADATA_DISABLED=true

echo "== $("$tools/bin/cfn-lint" --version) template.yaml"
"$tools/bin/cfn-lint" template.yaml

echo "== sam validate --lint"
"$tools/bin/sam" validate --lint --template-file template.yaml

echo "== sam validate (offline, us-east-1)"
AWS_DEFAULT_REGION=us-east-1 "$tools/bin/sam" validate --template-file template.yaml

echo "== template tests"
"$tools/bin/python" -m unittest discover --start-directory tests/template --pattern 'test_*.py' --top-level-directory tests/template
