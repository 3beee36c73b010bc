# regionflip: the long versions of the reliability tests (docs/reliability.md).
# Included from the Makefile (`include mk/soak.mk`); also works alone:
# `make -f mk/soak.mk soak`.
#
#   make soak          races over SOAK_RACE_SEEDS seeds, the fuzz properties with
#                      SOAK_PROPTEST_CASES cases each, the fault and concurrent-CLI tests,
#                      then 30 s of wrk at saturation on the health endpoint (its figures
#                      are written into docs/reliability.md). About 10 minutes on 2 cores.
#   make soak-short    the 3 s load run alone, on the debug build: what `make test` runs.
#
# `make test` already runs every one of these tests at its short size (200 seeds, 2,000
# cases); the soak only turns the counts up.

# Including this file never changes the including Makefile's default goal (see the end).
_soak_mk_default_goal := $(.DEFAULT_GOAL)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo

SOAK_RACE_SEEDS ?= 20000
SOAK_PROPTEST_CASES ?= 50000
SOAK_WRK_SECONDS ?= 30

.PHONY: soak soak-short

soak:
	RACE_SEEDS=$(SOAK_RACE_SEEDS) $(CARGO) test --locked -p regionflip-watcher --test races -- --nocapture
	PROPTEST_CASES=$(SOAK_PROPTEST_CASES) $(CARGO) test --locked -p regionflip-core --test hostile
	PROPTEST_CASES=$(SOAK_PROPTEST_CASES) $(CARGO) test --locked -p regionflip-watcher --test hostile
	$(CARGO) test --locked -p regionflip-watcher --test faults
	$(CARGO) test --locked -p regionflip-cli --test concurrent -- --nocapture
	SOAK_SECONDS=$(SOAK_WRK_SECONDS) scripts/soak.sh

soak-short:
	scripts/soak.sh --short

.DEFAULT_GOAL := $(_soak_mk_default_goal)
