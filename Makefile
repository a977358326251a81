# GuardDuty Coverage Operator
SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

DOTNET ?= dotnet
CONFIGURATION ?= Release
BIN := bin
CLI := $(BIN)/guardduty-coverage
CRD := crds/coverage.guardduty.io_guarddutycoverages.yaml

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: build
build: ## Build everything and leave the CLI at bin/guardduty-coverage.
	$(DOTNET) build GuardDutyCoverage.slnx -c $(CONFIGURATION) --nologo -v quiet
	@mkdir -p $(BIN)
	@ln -sfn ../operator/bin/$(CONFIGURATION)/net10.0/guardduty-coverage $(CLI)
	@echo "built $(CLI)"

.PHONY: manifests
manifests: build ## Regenerate the CRD in crds/ from the C# API types.
	$(CLI) crd > $(CRD)

.PHONY: test
test: ## Run unit, integration and e2e tests.
	$(DOTNET) test GuardDutyCoverage.slnx -c $(CONFIGURATION) --nologo

.PHONY: clean
clean: ## Remove build output.
	rm -rf $(BIN) operator/bin operator/obj tests/*/bin tests/*/obj
