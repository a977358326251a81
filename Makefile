# GuardDuty Coverage Operator
SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

DOTNET ?= dotnet
CONFIGURATION ?= Release
BIN := bin
CLI := $(BIN)/guardduty-coverage
CRD := crds/coverage.guardduty.io_guarddutycoverages.yaml
KUBECTL ?= kubectl
HELM ?= .tools/bin/helm
CHART := charts/guardduty-coverage-operator
IMG ?= ghcr.io/guardduty-coverage/guardduty-coverage-operator:0.1.0
INSTALLER ?= dist/install.yaml
AOT_OUT ?= artifacts/publish-aot/linux-x64

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
	hack/sync-crds.sh

.PHONY: demo
demo: build ## Show the operator working on the embedded sandbox: no cluster, no AWS account.
	hack/demo.sh

.PHONY: run
run: build ## Run the operator against the current kubeconfig context.
	$(CLI) run --metrics-bind-address :8080 --health-probe-bind-address :8081

.PHONY: test
test: ## Run unit, integration and e2e tests.
	$(DOTNET) test GuardDutyCoverage.slnx -c $(CONFIGURATION) --nologo

# Extra arguments for the harness: --quick, --scale-only, --no-scale, --scale-pods N, --scale-sizes 1000,5000,50000,
# --operator PATH (default: the AOT binary), --operator-env NAME=VALUE (e.g. DOTNET_GCConserveMemory=5).
BENCH_ARGS ?=

.PHONY: bench
bench: publish-aot ## Run the performance harness and the scale harness at 5,000 pods on the AOT binary (prints numbers; tests never assert time).
	$(DOTNET) run --project benchmarks -c $(CONFIGURATION) --nologo -- --operator $(AOT_OUT)/guardduty-coverage $(BENCH_ARGS)

.PHONY: bench-scale
bench-scale: publish-aot ## The scale harness only, one column per size (1,000 / 5,000 / 20,000 / 50,000 agent pods).
	$(DOTNET) run --project benchmarks -c $(CONFIGURATION) --nologo -- --scale-only --scale-sizes 1000,5000,20000,50000 --operator $(AOT_OUT)/guardduty-coverage $(BENCH_ARGS)

.PHONY: clean
clean: ## Remove build output.
	rm -rf $(BIN) operator/bin operator/obj tests/*/bin tests/*/obj

##@ Build

.PHONY: publish-aot
publish-aot: ## NativeAOT-publish the operator for linux-x64 into artifacts/publish-aot/linux-x64, as the Dockerfile does (needs clang, zlib1g-dev: make tools).
	$(DOTNET) publish operator -c Release -r linux-x64 -p:PublishAot=true -o $(AOT_OUT) --nologo

##@ Deployment

.PHONY: sync-crds
sync-crds: ## Copy crds/ into the Helm chart and config/crd (make manifests does this too).
	hack/sync-crds.sh

.PHONY: helm-lint
helm-lint: $(HELM) ## helm lint --strict the chart with default and all-features values; check the CRD copies are current.
	$(HELM) lint --strict $(CHART)
	$(HELM) lint --strict $(CHART) -f $(CHART)/ci/all-features-values.yaml
	hack/sync-crds.sh --check

.PHONY: build-installer
build-installer: ## Write dist/install.yaml (INSTALLER=...): CRD + operator from config/default, with image IMG.
	@mkdir -p $(dir $(INSTALLER))
	hack/installer-overlay.sh "$(IMG)" dist/overlay
	$(KUBECTL) kustomize dist/overlay > $(INSTALLER).tmp
	@mv $(INSTALLER).tmp $(INSTALLER)
	@echo "wrote $(INSTALLER) for $(IMG)"

.PHONY: deploy
deploy: ## Install CRD + operator into the current kubectl context (kubectl apply -k), with image IMG.
	hack/installer-overlay.sh "$(IMG)" dist/overlay
	$(KUBECTL) apply -k dist/overlay

.PHONY: undeploy
undeploy: ## Remove the operator and the CRD (and with it every GuardDutyCoverage) from the current kubectl context.
	$(KUBECTL) delete --ignore-not-found -k config/default

##@ Tools

.PHONY: tools
tools: ## Install helm (into .tools/), lua5.1/lua5.4, clang and zlib1g-dev: everything the deploy tests and publish-aot use.
	hack/install-tools.sh

$(HELM):
	hack/install-tools.sh helm
