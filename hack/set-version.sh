#!/usr/bin/env bash
# Sets the release version everywhere it is written down, from the one source (VERSION):
#   VERSION                                          the source: the binary's version (Directory.Build.props reads it)
#   charts/guardduty-coverage-operator/Chart.yaml    version and appVersion (the image tag defaults to appVersion)
#   charts/guardduty-coverage-operator/ci/all-features-values.yaml   the pinned image.tag
#   config/manager/kustomization.yaml                newTag (install.yaml, make deploy)
# The Makefile's IMG and the AWS User-Agent derive from VERSION at build time. VersionConsistencyTests fail when any
# of these disagree.
# Usage: hack/set-version.sh X.Y.Z[-PRERELEASE]     Environment: REPO_ROOT (default: this repository)
set -euo pipefail

version="${1:?usage: set-version.sh X.Y.Z[-PRERELEASE]}"
root="${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
if [[ ! $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "set-version: '$version' is not a semantic version X.Y.Z[-PRERELEASE] (Helm requires one)" >&2
  exit 2
fi

chart="$root/charts/guardduty-coverage-operator"
files=("$root/VERSION" "$chart/Chart.yaml" "$chart/ci/all-features-values.yaml" "$root/config/manager/kustomization.yaml")
for file in "${files[@]}"; do
  [[ -f $file ]] || { echo "set-version: $file is missing" >&2; exit 1; }
done

printf '%s\n' "$version" >"$root/VERSION"
sed -i -E "s/^version: .*/version: $version/; s/^appVersion: .*/appVersion: \"$version\"/" "$chart/Chart.yaml"
sed -i -E "s/^(  tag: ).*/\1\"$version\"/" "$chart/ci/all-features-values.yaml"
sed -i -E "s/^(    newTag: ).*/\1$version/" "$root/config/manager/kustomization.yaml"

# Each file must now say the version exactly once where it was meant to: a format change must not go unnoticed.
grep -qx "version: $version" "$chart/Chart.yaml" && grep -qx "appVersion: \"$version\"" "$chart/Chart.yaml" \
  && grep -qx "  tag: \"$version\"" "$chart/ci/all-features-values.yaml" \
  && grep -qx "    newTag: $version" "$root/config/manager/kustomization.yaml" \
  || { echo "set-version: a file did not take the new version; check their format" >&2; exit 1; }
echo "version $version set in: ${files[*]#"$root/"}"
