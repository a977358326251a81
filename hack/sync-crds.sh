#!/usr/bin/env bash
# Copies the generated CRDs in crds/ (the source of truth, written by `make manifests`) to where Helm and kustomize can
# reach them: neither may read files outside its own tree.
#   config/crd/bases/<file>                              verbatim copy
#   charts/guardduty-coverage-operator/templates/crds/<file>
#                                                        the same document behind crds.enabled, with the chart's labels
#                                                        and the keep annotation behind crds.keep
# Tests (tests/GuardDutyCoverage.Tests/Deploy) fail when either copy differs from crds/.
# Usage: hack/sync-crds.sh [--check]    --check: change nothing, exit 1 when a copy is stale.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
check=false
[[ ${1:-} == --check ]] && check=true

chart_template() {
  # The CRD's metadata.labels block is replaced by the chart's labels (which include app.kubernetes.io/name); all
  # other lines are copied unchanged, so `helm template` renders the same object plus Helm's labels.
  awk '
    BEGIN { print "{{- if .Values.crds.enabled }}"; section = "" }
    /^[^ ]/ { section = $0 }
    section == "metadata:" && /^  labels:/ { skipping = 1; next }
    skipping && /^    / { next }
    { skipping = 0 }
    section == "metadata:" && /^  name:/ {
      print
      print "  labels:"
      print "    {{- include \"gdc.labels\" . | nindent 4 }}"
      print "  {{- if .Values.crds.keep }}"
      print "  annotations:"
      print "    helm.sh/resource-policy: keep"
      print "  {{- end }}"
      next
    }
    { print }
    END { print "{{- end }}" }
  ' "$1"
}

stale=0
sync() {
  # Callers append "x" so that $(...) keeps trailing newlines; it is removed here.
  local want="${1%x}" target="$2"
  if [[ -f $target ]] && cmp -s <(printf '%s' "$want") "$target"; then
    return
  fi
  if [[ $check == true ]]; then
    echo "stale: $target (run make sync-crds)" >&2
    stale=1
  else
    mkdir -p "$(dirname "$target")"
    printf '%s' "$want" >"$target"
    echo "wrote $target"
  fi
}

for crd in crds/*.yaml; do
  name="$(basename "$crd")"
  if grep -q '{{' "$crd"; then
    echo "$crd contains '{{', which Helm would read as a template action: escape it in the chart copy" >&2
    exit 1
  fi
  if grep -q '^  annotations:' "$crd"; then
    echo "$crd has metadata.annotations: teach hack/sync-crds.sh to merge them with the keep annotation" >&2
    exit 1
  fi
  sync "$(cat "$crd"; echo x)" "config/crd/bases/$name"
  sync "$(chart_template "$crd"; echo x)" "charts/guardduty-coverage-operator/templates/crds/$name"
done
exit "$stale"
