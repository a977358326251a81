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
# The one version of the release (VERSION file): the binary, the image tag, the chart, install.yaml.
VERSION := $(shell cat VERSION)
IMAGE_REPO ?= ghcr.io/guardduty-coverage/guardduty-coverage-operator
IMG ?= $(IMAGE_REPO):$(VERSION)
DIST ?= dist
INSTALLER ?= $(DIST)/install.yaml
# CPU architecture of the NativeAOT binary, named as image platforms and kubernetes.io/arch name it.
ARCH ?= amd64
ARCHS := amd64 arm64
AOT_OUT ?= artifacts/publish-aot/linux-$(ARCH)

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

.PHONY: docs
docs: ## Regenerate the catalog's parts of docs/troubleshooting.md and operator/Diagnosis/README.md from the catalog rows.
	$(DOTNET) run --project hack/docgen -c Release --nologo -v quiet -- $(CURDIR)

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

SOAK_SEQUENTIAL ?= 10
SOAK_PAIRS ?= 5
.PHONY: soak
soak: ## Hunt flaky tests: make test SOAK_SEQUENTIAL times in a row, then SOAK_PAIRS times two at once, on fresh clones of HEAD.
	hack/soak.sh $(SOAK_SEQUENTIAL) $(SOAK_PAIRS)

FUZZ_SCALE ?= 10
.PHONY: fuzz
fuzz: ## The long fuzz campaign (FUZZ_SCALE x the make-test budget, >= 100,000 inputs at 10); prints the numbers.
	rm -f $(CURDIR)/fuzz-report.txt
	GDC_FUZZ_SCALE=$(FUZZ_SCALE) GDC_FUZZ_REPORT=$(CURDIR)/fuzz-report.txt $(DOTNET) test tests/GuardDutyCoverage.Tests -c $(CONFIGURATION) --nologo --filter "Category=Fuzz"; \
	  status=$$?; cat $(CURDIR)/fuzz-report.txt 2>/dev/null; exit $$status

# Extra arguments for the harness: --quick, --scale-only, --no-scale, --scale-pods N, --scale-sizes 5000,50000,
# --operator PATH (default: the AOT binary), --operator-env NAME=VALUE (e.g. DOTNET_gcConcurrent=1); --reconcile-cost
# [--reconcile-pods N] [--reconcile-nodes N] times the no-op reconcile in process, per stage (no binary needed).
BENCH_ARGS ?=

.PHONY: bench
bench: publish-aot ## Run the performance harness and the scale harness at 5,000 and 50,000 pods on the AOT binary (prints numbers; tests never assert time; BENCH_ARGS="--scale-pods 5000" for one size).
	$(DOTNET) run --project benchmarks -c $(CONFIGURATION) --nologo -- --operator $(AOT_OUT)/guardduty-coverage $(BENCH_ARGS)

.PHONY: bench-scale
bench-scale: publish-aot ## The scale harness only, one column per size (5,000 and 50,000 agent pods: the growth is visible).
	$(DOTNET) run --project benchmarks -c $(CONFIGURATION) --nologo -- --scale-only --scale-sizes 5000,50000 --operator $(AOT_OUT)/guardduty-coverage $(BENCH_ARGS)

.PHONY: clean
clean: ## Remove build output.
	rm -rf $(BIN) operator/bin operator/obj operator/*/bin operator/*/obj tests/*/bin tests/*/obj

##@ Build

.PHONY: publish-aot
publish-aot: ## NativeAOT-publish the operator for linux/ARCH (amd64, arm64) into artifacts/publish-aot/linux-ARCH, as the Dockerfile does (make tools first).
	@case "$(ARCH)" in amd64|arm64) ;; *) echo "ARCH must be amd64 or arm64, not '$(ARCH)'" >&2; exit 2 ;; esac
	$(DOTNET) publish operator -c Release --os linux -a $(ARCH) -p:PublishAot=true -o $(AOT_OUT) --nologo
	@# The ILC substitution keeps KubernetesClient's JSON context of every API model out of the image (issue 11); ILC
	@# ignores a substitution that matches nothing, so the image is checked for the context's name.
	@if grep -q SourceGenerationContext $(AOT_OUT)/guardduty-coverage; then \
	  echo "$(AOT_OUT)/guardduty-coverage carries KubernetesClient's SourceGenerationContext: operator/KubernetesClient.Substitutions.xml no longer matches (see its comment)" >&2; exit 1; fi

.PHONY: check-arch
check-arch: ## Run the arm64 binary under qemu-user and compare it with the amd64 one (crd, diagnose --bundle, version).
	hack/check-arch.sh artifacts/publish-aot/linux-amd64/guardduty-coverage artifacts/publish-aot/linux-arm64/guardduty-coverage

.PHONY: release
release: $(HELM) ## Write DIST (dist/): amd64+arm64 binaries, SHA256SUMS, install.yaml for IMG, the chart package, a CycloneDX SBOM; then check they agree.
	rm -rf $(DIST)
	@mkdir -p $(DIST)
	@for arch in $(ARCHS); do \
	  $(MAKE) --no-print-directory publish-aot ARCH=$$arch AOT_OUT=artifacts/publish-aot/linux-$$arch; \
	  install -m 0755 artifacts/publish-aot/linux-$$arch/guardduty-coverage $(DIST)/guardduty-coverage-linux-$$arch; \
	done
	cd $(DIST) && sha256sum guardduty-coverage-linux-* > SHA256SUMS
	$(MAKE) --no-print-directory build-installer IMG=$(IMG) INSTALLER=$(DIST)/install.yaml
	$(HELM) package $(CHART) --destination $(DIST)
	$(DOTNET) tool restore
	$(DOTNET) dotnet-CycloneDX operator/GuardDutyCoverage.Operator.csproj --output $(DIST) --filename guardduty-coverage-operator-$(VERSION).cdx.json \
	  --output-format Json --set-name guardduty-coverage-operator --set-version $(VERSION) --exclude-test-projects
	hack/release-check.sh $(DIST) $(VERSION) $(IMG)

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
	hack/installer-overlay.sh "$(IMG)" artifacts/installer-overlay
	$(KUBECTL) kustomize artifacts/installer-overlay > $(INSTALLER).tmp
	@mv $(INSTALLER).tmp $(INSTALLER)
	@echo "wrote $(INSTALLER) for $(IMG)"

.PHONY: deploy
deploy: ## Install CRD + operator into the current kubectl context (kubectl apply -k), with image IMG.
	hack/installer-overlay.sh "$(IMG)" artifacts/installer-overlay
	$(KUBECTL) apply -k artifacts/installer-overlay

.PHONY: undeploy
undeploy: ## Remove the operator and the CRD (and with it every GuardDutyCoverage) from the current kubectl context.
	$(KUBECTL) delete --ignore-not-found -k config/default

##@ Tools

.PHONY: tools
tools: ## Install helm (into .tools/), lua5.1/lua5.4, promtool, clang, zlib1g-dev, the arm64 cross toolchain and qemu-user: everything the deploy tests, publish-aot and release use.
	hack/install-tools.sh

$(HELM):
	hack/install-tools.sh helm
