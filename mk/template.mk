# regionflip: building, validating and deploying the SAM stack.
# Included from the Makefile (`include mk/template.mk`); also works alone:
# `make -f mk/template.mk validate`.
#
#   make build                      release zips of both functions for provided.al2023,
#                                   then the glibc check on what the zips hold
#   make validate                   cfn-lint 1.51, sam validate --lint, sam validate
#                                   (offline), the template tests (tests/template)
#   make deploy REGION=us-east-1 [ENV=api-us-east-1] [STACK=name] [SET="HealthDrain=true ..."]
#               [SAMCONFIG=path]
#                                   one region's stack with sam deploy, from the zips
#                                   `make build` made (docs/deploy.md). ENV picks the
#                                   samconfig environment (default: the region); with
#                                   ENV, REGION defaults to the environment's region
#   make cli-config [ENV=api-us-east-1] [OUT=regionflip.toml] [FORCE=1] [SAMCONFIG=path]
#                                   the operator CLI's configuration, from the samconfig
#                                   and the stacks' endpoint checks (found by tag); a file
#                                   it wrote before is regenerated in place, FORCE=1
#                                   overwrites any other file

# Including this file never changes the including Makefile's default goal (see the end).
_template_mk_default_goal := $(.DEFAULT_GOAL)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

# cargo-lambda's --target-dir is broken (docs: field facts); it honours CARGO_TARGET_DIR.
LAMBDA_TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
LAMBDA_BINS := health watcher
LAMBDA_ZIPS := $(foreach bin,$(LAMBDA_BINS),$(LAMBDA_TARGET_DIR)/lambda/$(bin)/bootstrap.zip)
# provided.al2023 ships glibc 2.34.
GLIBC_MAX ?= 2.34
TEMPLATE_TOOLS ?= target/template-tools/venv
export TEMPLATE_TOOLS
# The samconfig environment, from the make command line only: many shells export an ENV
# of their own (sh's startup file), which must never pick an environment.
DEPLOY_ENV := $(if $(filter command line override,$(origin ENV)),$(ENV))

.PHONY: build validate deploy cli-config

build:
	@command -v cargo-lambda >/dev/null || python3 -m pip install --quiet 'cargo-lambda>=1.9,<2'
	@# A failed build must not leave an older zip behind to be checked and shipped. The
	@# loose bootstrap beside each zip is not refreshed by --output-format zip: the zip is
	@# the artifact, and it is what the check reads.
	rm -f $(LAMBDA_ZIPS)
	@# One package per build: cargo unifies features across the packages of one build, and
	@# the watcher's SDK stack would otherwise enlarge the health bootstrap by ~0.8 MB.
	for package in $(addprefix regionflip-,$(LAMBDA_BINS)); do \
	  cargo lambda build --release --locked --output-format zip --package $$package; \
	done
	bash scripts/check-glibc.sh --max $(GLIBC_MAX) $(LAMBDA_ZIPS)

validate:
	bash scripts/validate-template.sh

deploy:
	@if [[ -z "$(REGION)$(DEPLOY_ENV)" ]]; then \
	  echo "make deploy: REGION is required (one stack per region), e.g. make deploy REGION=us-east-1 (or ENV=<samconfig environment>)" >&2; \
	  exit 2; \
	fi
	bash scripts/validate-template.sh --tools-only
	SAM=$(TEMPLATE_TOOLS)/bin/sam $(TEMPLATE_TOOLS)/bin/python scripts/deploy-region.py \
	  $(if $(REGION),--region '$(REGION)') \
	  $(if $(DEPLOY_ENV),--env '$(DEPLOY_ENV)') \
	  $(if $(STACK),--stack '$(STACK)') \
	  $(if $(SAMCONFIG),--config '$(SAMCONFIG)') \
	  $(foreach s,$(SET),--set '$(s)')

cli-config:
	bash scripts/validate-template.sh --tools-only
	$(TEMPLATE_TOOLS)/bin/python scripts/deploy-region.py \
	  --write-cli-config '$(or $(OUT),regionflip.toml)' \
	  $(if $(DEPLOY_ENV),--env '$(DEPLOY_ENV)') \
	  $(if $(filter 1 yes true,$(FORCE)),--force) \
	  $(if $(SAMCONFIG),--config '$(SAMCONFIG)')

.DEFAULT_GOAL := $(_template_mk_default_goal)
