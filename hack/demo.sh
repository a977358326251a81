#!/usr/bin/env bash
# make demo: the operator against the embedded sandbox — no cluster, no AWS account.
# 1. guardduty-sandbox serves a Kubernetes API (HTTPS, RBAC, admission) seeded with two agent installs
#    (tests/scenarios/demo/) and local GuardDuty/EKS endpoints (tests/scenarios/demo-aws.yaml);
# 2. the real kubectl installs the CRD from crds/ and applies two GuardDutyCoverages;
# 3. the operator binary reconciles them; kubectl waits until both statuses settle and prints them;
# 4. `guardduty-coverage diagnose` explains the broken one, with its fixes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
configuration="${CONFIGURATION:-Release}"
sandbox="$root/tests/Sandbox/bin/$configuration/net10.0/guardduty-sandbox"
cli="$root/operator/bin/$configuration/net10.0/guardduty-coverage"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() {
  echo "demo: $*" >&2
  for log in "$work"/*.log; do [[ -f $log ]] && { echo "--- $(basename "$log")" >&2; tail -n 30 "$log" >&2; }; done
  exit 1
}
[[ -x $sandbox && -x $cli ]] || fail "build first (make build)"
command -v kubectl >/dev/null || fail "kubectl is needed"

say "Starting the sandbox API server and local GuardDuty/EKS endpoints"
"$sandbox" serve --kubeconfig "$work/kubeconfig" --kubernetes-version v1.31.4-eks-2d5f260 --seed "$root/tests/scenarios/demo" --aws-seed "$root/tests/scenarios/demo-aws.yaml" >"$work/sandbox.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do
  [[ -s $work/kubeconfig && -s $work/aws.env ]] && break
  kill -0 "${pids[0]}" 2>/dev/null || fail "the sandbox exited"
  sleep 0.1
done
[[ -s $work/aws.env ]] || fail "the sandbox did not start"
cat "$work/sandbox.log"
export KUBECONFIG="$work/kubeconfig"
set -a; . "$work/aws.env"; set +a

say "kubectl apply -f crds/"
kubectl apply -f "$root/crds/"
kubectl wait --for=condition=Established crd/guarddutycoverages.coverage.guardduty.io --timeout=30s

say "Running the operator (guardduty-coverage run)"
"$cli" run --agent-namespaces amazon-guardduty,guardduty-dev --metrics-bind-address 127.0.0.1:0 --health-probe-bind-address 127.0.0.1:0 >"$work/operator.log" 2>&1 &
pids+=($!)

say "kubectl apply -f tests/scenarios/demo-coverages.yaml"
kubectl apply -f "$root/tests/scenarios/demo-coverages.yaml"
kubectl wait --for=condition=Ready guarddutycoverage/prod-eks-1 --timeout=60s || fail "prod-eks-1 did not become Ready"
kubectl wait --for=jsonpath='{.status.crossCheck}'=Agree guarddutycoverage/dev-eks-2 --timeout=60s || fail "dev-eks-2 did not settle"

say "kubectl get guarddutycoverage -o wide"
kubectl get guarddutycoverage -o wide

say "kubectl get events"
kubectl get events --field-selector involvedObject.kind=GuardDutyCoverage --sort-by=.metadata.creationTimestamp 2>/dev/null | tail -n 8 || true

say "guardduty-coverage diagnose --cluster-name dev-eks-2   (the same engine, one shot, with the fixes)"
set +e
NO_COLOR=1 "$cli" diagnose --cluster-name dev-eks-2
code=$?
set -e
[[ $code -eq 1 ]] || fail "diagnose of the broken cluster exited $code (expected 1: unhealthy)"

say "Operator log (last lines)"
tail -n 5 "$work/operator.log"
echo
echo "demo: OK — prod-eks-1 is covered; dev-eks-2 is not, and the status says why (exit code of diagnose: $code)."
