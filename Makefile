# regionflip — the commands README.md and .ci/run use.
#
#   make drill   the local DR drill (installs what it needs)
#   make test    formatting, lints, every test, template validation
#   make bench   benchmarks; writes docs/benchmarks.md and checks the budgets
#   make build   Lambda zips for provided.al2023 (cargo-lambda), glibc check
#   make soak    the long fault, race, fuzz and load runs (docs/reliability.md)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: all test fmt-check clippy unit deps drill bench

all: test

# build, validate, deploy, cli-config: the SAM stack (mk/template.mk documents them).
include mk/template.mk
# soak, soak-short: the long reliability runs (mk/soak.mk documents them).
include mk/soak.mk

## Tools the tests need: moto_server (the local AWS), cargo-lambda (the local Lambda
## runtime API), wrk (the short load run) and jq (the scripts read JSON with it).
## Installed when missing; present tools are kept.
deps:
	@command -v moto_server >/dev/null || python3 -m pip install --quiet 'moto[server]>=5.2,<5.3'
	@command -v cargo-lambda >/dev/null || python3 -m pip install --quiet 'cargo-lambda>=1.9,<2'
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	@command -v jq >/dev/null || { apt-get update -qq && apt-get install -y -qq jq >/dev/null; }

test: deps fmt-check clippy unit soak-short validate

fmt-check:
	$(CARGO) fmt --all --check

clippy:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

unit:
	$(CARGO) test --workspace --locked

drill: deps
	scripts/drill.sh

bench:
	scripts/bench.sh
