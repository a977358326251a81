#!/usr/bin/env bash
# Runs the whole test suite repeatedly on fresh clones, to find tests that fail only sometimes:
#   hack/soak.sh [SEQUENTIAL] [PAIRS]
# SEQUENTIAL runs of `make test` one after another on one clone (default 10), then PAIRS times two suites at once on
# two clones (default 5), the way the 2-core CI machine is shared. Prints one line per run (passed/failed/skipped and
# the duration) and a summary; exits 1 if any run failed. Logs stay in the work directory it prints.
set -uo pipefail

sequential="${1:-10}"
pairs="${2:-5}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/gdc-soak.XXXXXX)"
export CI="${CI:-true}"
# The clones share this checkout's helm (make tools installs it into .tools/bin) unless HELM says otherwise.
if [ -z "${HELM:-}" ] && [ -x "$root/.tools/bin/helm" ]; then
  export HELM="$root/.tools/bin/helm"
fi

git clone -q "$root" "$work/a"
git clone -q "$root" "$work/b"
echo "soak: $(git -C "$work/a" rev-parse --short HEAD) in $work (CI=$CI)"

failures=0

# Prints "passed failed skipped" from a dotnet test log (summed over test projects).
counts() {
  grep -E "^(Passed|Failed)!" "$1" | sed -E 's/.*Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+).*/\2 \1 \3/' |
    awk '{p+=$1; f+=$2; s+=$3} END {printf "%d %d %d", p, f, s}'
}

run() { # clone, label
  local log="$work/$2.log" start end status
  start=$(date +%s)
  (cd "$work/$1" && make test) >"$log" 2>&1
  status=$?
  end=$(date +%s)
  read -r passed failed skipped <<<"$(counts "$log")"
  printf '%-10s exit %d  passed %5s  failed %3s  skipped %3s  %4ds\n' "$2" "$status" "$passed" "$failed" "$skipped" "$((end - start))"
  if [ "$status" -ne 0 ] || [ "${failed:-0}" -ne 0 ]; then
    grep -E "^\s+Failed " "$log" | head -20
    return 1
  fi
}

# Build both clones first so every timed run is a test run.
(cd "$work/a" && make build) >"$work/build-a.log" 2>&1 || { echo "build failed: $work/build-a.log"; exit 1; }
(cd "$work/b" && make build) >"$work/build-b.log" 2>&1 || { echo "build failed: $work/build-b.log"; exit 1; }

for i in $(seq 1 "$sequential"); do
  run a "seq-$i" || failures=$((failures + 1))
done

for i in $(seq 1 "$pairs"); do
  run a "pair-$i-a" >"$work/pair-$i-a.line" & first=$!
  run b "pair-$i-b" >"$work/pair-$i-b.line" & second=$!
  wait $first || failures=$((failures + 1))
  wait $second || failures=$((failures + 1))
  cat "$work/pair-$i-a.line" "$work/pair-$i-b.line"
done

echo "soak: $((sequential + 2 * pairs)) runs, $failures failed"
[ "$failures" -eq 0 ]
