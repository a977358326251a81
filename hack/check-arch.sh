#!/usr/bin/env bash
# Proves the two NativeAOT binaries are the same program for their two architectures: the arm64 one runs (under
# qemu-user when this machine is not arm64) and prints exactly what the amd64 one prints:
#   - each file is an ELF executable for its architecture;
#   - `version -o json`: the same version, revision and runtime; arch amd64 / arm64; both NativeAOT;
#   - `crd` equals crds/ (byte for byte), for both;
#   - `diagnose --bundle DIR -o json` on every bundle in tests/testdata/bundles: the same output (but for the
#     diagnosedAt timestamp, the clock of each run), the same standard error and exit code.
# Usage: hack/check-arch.sh AMD64_BINARY ARM64_BINARY      (make check-arch; make release runs it on dist/)
# Needs qemu-user-static on a non-arm64 machine, and the arm64 C runtime (hack/install-tools.sh arm64 installs both).
set -euo pipefail

amd64="${1:?usage: check-arch.sh AMD64_BINARY ARM64_BINARY}"
arm64="${2:?usage: check-arch.sh AMD64_BINARY ARM64_BINARY}"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
crd="$repo_root/crds/coverage.guardduty.io_guarddutycoverages.yaml"
bundles="$repo_root/tests/testdata/bundles"

fail() { printf 'check-arch: FAIL: %s\n' "$*" >&2; exit 1; }
log() { printf 'check-arch: %s\n' "$*" >&2; }

for binary in "$amd64" "$arm64"; do
  [[ -x $binary ]] || fail "$binary is not an executable file (make publish-aot ARCH=...)"
done

# ELF header: e_machine 62 (0x3e) is x86-64, 183 (0xb7) is AArch64.
machine() { od -An -t u2 -j 18 -N 2 "$1" | tr -d ' '; }
[[ $(head -c 4 "$amd64" | od -An -c | tr -d ' ') == '177ELF' ]] || fail "$amd64 is not an ELF file"
[[ $(machine "$amd64") == 62 ]] || fail "$amd64 is not an x86-64 executable (e_machine $(machine "$amd64"))"
[[ $(machine "$arm64") == 183 ]] || fail "$arm64 is not an AArch64 executable (e_machine $(machine "$arm64"))"

# How to run each binary here.
run_amd64=()
run_arm64=()
case "$(uname -m)" in
  x86_64)
    qemu="$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)"
    [[ -n $qemu ]] || fail "qemu-aarch64-static not found: hack/install-tools.sh arm64"
    # The arm64 dynamic loader and glibc: Debian's multiarch libc6:arm64 (/lib/ld-linux-aarch64.so.1) or the cross
    # toolchain's copy.
    prefix=/
    [[ -e /lib/ld-linux-aarch64.so.1 ]] || prefix=/usr/aarch64-linux-gnu
    [[ -e $prefix/lib/ld-linux-aarch64.so.1 ]] || fail "no arm64 glibc found (libc6:arm64 or libc6-arm64-cross): hack/install-tools.sh arm64"
    run_arm64=("$qemu" -L "$prefix")
    ;;
  aarch64)
    qemu="$(command -v qemu-x86_64-static || command -v qemu-x86_64 || true)"
    [[ -n $qemu ]] || fail "qemu-x86_64-static not found"
    run_amd64=("$qemu" -L /)
    ;;
  *) fail "unsupported machine $(uname -m)" ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

# version
"${run_amd64[@]}" "$amd64" version -o json >"$work/version-amd64.json"
"${run_arm64[@]}" "$arm64" version -o json >"$work/version-arm64.json"
for key in version revision runtime; do
  a="$(field "$work/version-amd64.json" "$key")" b="$(field "$work/version-arm64.json" "$key")"
  [[ $a == "$b" ]] || fail "version: $key differs: amd64 '$a', arm64 '$b'"
done
[[ $(field "$work/version-amd64.json" arch) == amd64 ]] || fail "the amd64 binary reports arch $(field "$work/version-amd64.json" arch)"
[[ $(field "$work/version-arm64.json" arch) == arm64 ]] || fail "the arm64 binary reports arch $(field "$work/version-arm64.json" arch)"
for a in amd64 arm64; do
  [[ $(field "$work/version-$a.json" nativeAot) == True ]] || fail "the $a binary does not run as NativeAOT"
done
log "version: $(field "$work/version-arm64.json" version) (revision $(field "$work/version-arm64.json" revision)) on amd64 and arm64"

# crd
"${run_amd64[@]}" "$amd64" crd | diff -u "$crd" - >&2 || fail "the amd64 binary's crd differs from crds/"
"${run_arm64[@]}" "$arm64" crd | diff -u "$crd" - >&2 || fail "the arm64 binary's crd differs from crds/"
log "crd: both equal crds/"

# diagnose --bundle, on every bundle that diagnoses (a bundle whose README says it is a usage error still has to be
# refused the same way by both).
count=0
for dir in "$bundles"/*/; do
  name="$(basename "$dir")"
  set +e
  "${run_amd64[@]}" "$amd64" diagnose --bundle "$dir" -o json >"$work/$name.amd64.out" 2>"$work/$name.amd64.err"
  exit_amd64=$?
  "${run_arm64[@]}" "$arm64" diagnose --bundle "$dir" -o json >"$work/$name.arm64.out" 2>"$work/$name.arm64.err"
  exit_arm64=$?
  set -e
  [[ $exit_amd64 == "$exit_arm64" ]] || fail "diagnose --bundle $name: exit $exit_amd64 on amd64, $exit_arm64 on arm64"
  # diagnosedAt is the wall clock of each run; everything else must be byte-identical.
  for a in amd64 arm64; do
    sed -E 's/^( *"diagnosedAt": )"[^"]*"/\1"<now>"/' "$work/$name.$a.out" >"$work/$name.$a.cmp"
  done
  diff -u "$work/$name.amd64.cmp" "$work/$name.arm64.cmp" >&2 || fail "diagnose --bundle $name: the JSON differs"
  diff -u "$work/$name.amd64.err" "$work/$name.arm64.err" >&2 || fail "diagnose --bundle $name: standard error differs"
  [[ $exit_amd64 == 2 || -s $work/$name.amd64.out ]] || fail "diagnose --bundle $name printed nothing"
  log "diagnose --bundle $name: exit $exit_amd64, $(wc -c <"$work/$name.amd64.out") bytes of JSON, identical"
  count=$((count + 1))
done
[[ $count -ge 5 ]] || fail "only $count bundles under $bundles"
log "OK: $amd64 and $arm64 agree (version, crd, $count bundles)"
