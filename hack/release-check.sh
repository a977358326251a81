#!/usr/bin/env bash
# Checks the release artifacts `make release` wrote exist and agree with each other and with VERSION:
#   guardduty-coverage-linux-{amd64,arm64}   NativeAOT binaries: checksums match SHA256SUMS; both report VERSION and
#                                            behave the same (hack/check-arch.sh: arm64 under qemu-user)
#   install.yaml                             the CRD and the operator, the Deployment running IMG (tagged VERSION)
#   guardduty-coverage-operator-VERSION.tgz  chart version and appVersion VERSION; renders exactly like the chart
#                                            directory; deploys the same image as install.yaml
#   guardduty-coverage-operator-VERSION.cdx.json   CycloneDX SBOM of the operator at VERSION with its NuGet packages
# Usage: hack/release-check.sh DIST VERSION IMG       Environment: HELM (default .tools/bin/helm)
set -euo pipefail

dist="${1:?usage: release-check.sh DIST VERSION IMG}"
version="${2:?usage: release-check.sh DIST VERSION IMG}"
img="${3:?usage: release-check.sh DIST VERSION IMG}"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
helm="${HELM:-$repo_root/.tools/bin/helm}"
chart_name=guardduty-coverage-operator
package="$dist/$chart_name-$version.tgz"
sbom="$dist/$chart_name-$version.cdx.json"

fail() { printf 'release-check: FAIL: %s\n' "$*" >&2; exit 1; }
log() { printf 'release-check: %s\n' "$*" >&2; }

[[ $version == "$(tr -d '[:space:]' <"$repo_root/VERSION")" ]] || fail "VERSION says $(cat "$repo_root/VERSION"), the release is $version"

# Every artifact, and nothing unexpected.
expected=(SHA256SUMS guardduty-coverage-linux-amd64 guardduty-coverage-linux-arm64 install.yaml "$chart_name-$version.tgz" "$chart_name-$version.cdx.json")
for file in "${expected[@]}"; do
  [[ -s $dist/$file ]] || fail "$dist/$file is missing or empty"
done
extra="$(cd "$dist" && ls -A | grep -vxF -f <(printf '%s\n' "${expected[@]}") || true)"
[[ -z $extra ]] || fail "unexpected files in $dist: $extra"

# Checksums: exactly the two binaries, and they match.
[[ $(awk '{print $2}' "$dist/SHA256SUMS" | sort | tr '\n' ' ') == "guardduty-coverage-linux-amd64 guardduty-coverage-linux-arm64 " ]] \
  || fail "SHA256SUMS does not list exactly the two binaries: $(cat "$dist/SHA256SUMS")"
(cd "$dist" && sha256sum --check --quiet SHA256SUMS) || fail "a binary does not match SHA256SUMS"
log "SHA256SUMS: both binaries match"

# The binaries: same program for both architectures, at this version.
"$repo_root/hack/check-arch.sh" "$dist/guardduty-coverage-linux-amd64" "$dist/guardduty-coverage-linux-arm64"
reported="$("$dist/guardduty-coverage-linux-amd64" version -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')"
[[ $reported == "$version" ]] || fail "the binaries report version $reported, the release is $version"

# The image reference: IMG's tag must be the version (a digest may follow).
img_name="${img%%@*}"
img_tag=""
[[ ${img_name##*/} == *:* ]] && img_tag="${img_name##*:}"
[[ $img_tag == "$version" ]] || fail "IMG $img is not tagged $version"

# install.yaml and the chart's render, read with PyYAML.
images() {
  python3 -c '
import sys, yaml
for doc in yaml.safe_load_all(sys.stdin):
    if doc and doc.get("kind") == "Deployment":
        for c in doc["spec"]["template"]["spec"]["containers"]:
            print(c["image"])
'
}
kinds() { python3 -c 'import sys, yaml; print(" ".join(sorted(d["kind"] for d in yaml.safe_load_all(sys.stdin) if d)))'; }

installer_image="$(images <"$dist/install.yaml")"
[[ $installer_image == "$img" ]] || fail "install.yaml runs '$installer_image', not IMG $img"
kinds <"$dist/install.yaml" | grep -qw CustomResourceDefinition || fail "install.yaml has no CustomResourceDefinition"
log "install.yaml: Deployment runs $installer_image"

[[ -x $helm ]] || fail "helm not found at $helm: hack/install-tools.sh helm"
chart_yaml="$(tar -xOzf "$package" "$chart_name/Chart.yaml")"
grep -qx "version: $version" <<<"$chart_yaml" || fail "the packaged chart's version is not $version"
grep -Eqx "appVersion: \"?${version//./\\.}\"?" <<<"$chart_yaml" || fail "the packaged chart's appVersion is not $version"
for values in "" "$repo_root/charts/$chart_name/ci/all-features-values.yaml"; do
  args=(--namespace guardduty-coverage-system)
  [[ -n $values ]] && args+=(-f "$values")
  diff -u <("$helm" template "$chart_name" "$repo_root/charts/$chart_name" "${args[@]}") \
    <("$helm" template "$chart_name" "$package" "${args[@]}") >&2 \
    || fail "the packaged chart renders differently from charts/$chart_name (${values:-default values})"
done
chart_image="$("$helm" template "$chart_name" "$package" --namespace guardduty-coverage-system | images)"
[[ $chart_image == "$img_name" ]] || fail "the chart deploys '$chart_image'; install.yaml deploys '$img' (IMG must be the chart's image.repository:$version)"
log "chart: $chart_name-$version.tgz renders like the chart directory and deploys $chart_image"

# The SBOM.
python3 - "$sbom" "$chart_name" "$version" <<'EOF' || fail "the SBOM is not a CycloneDX SBOM of $chart_name $version with its packages"
import json, sys
path, name, version = sys.argv[1:]
bom = json.load(open(path))
assert bom["bomFormat"] == "CycloneDX", bom.get("bomFormat")
component = bom["metadata"]["component"]
assert (component["name"], component["version"]) == (name, version), component
packages = {c["name"]: c for c in bom.get("components", [])}
for needed in ("KubernetesClient.Aot", "AWSSDK.Core", "System.CommandLine", "YamlDotNet"):
    assert needed in packages, f"{needed} is not in the SBOM"
for c in packages.values():
    assert c.get("purl", "").startswith("pkg:nuget/"), c
print(f"release-check: SBOM: CycloneDX {bom['specVersion']}, {len(packages)} NuGet packages", file=sys.stderr)
EOF

log "OK: $dist holds release $version for $img ($(stat -c %s "$dist/guardduty-coverage-linux-amd64") bytes amd64, $(stat -c %s "$dist/guardduty-coverage-linux-arm64") bytes arm64)"
