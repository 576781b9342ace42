#!/usr/bin/env bash
# Every test, in two phases (called by `make test`, after type-check, lint and build).
#
# 1. Everything that needs no cluster: unit, golden, parsers and collectors on real network
#    namespaces the tests create, and analysis of the recorded example bundles.
# 2. The live suites against the real lab cluster (test/lab/lab.test.ts, test/live/, and files
#    named live-*.test.ts or *-lab.test.ts): the lab is brought up once (building what is not
#    cached), the suites run one at a time because they share it and some of them break it on
#    purpose, and the lab is torn down whatever happens.
# 3. The suites of kube-proxy's nftables mode (live files with "nftables" in their name), on a
#    fresh lab brought up with --proxy-mode nftables.
#
# NETDOCTOR_SKIP_LAB=1 runs phase 1 only (for a machine that cannot host the lab: it needs root
# and network namespaces); the skip is printed, never silent.
set -euo pipefail
cd "$(dirname "$0")/.."

is_live() {
  case "$1" in
    test/lab/lab.test.ts | test/live/* | */live-*.test.ts | *-lab.test.ts) return 0 ;;
    *) return 1 ;;
  esac
}

unit=()
live=()
while IFS= read -r f; do
  if is_live "$f"; then live+=("$f"); else unit+=("$f"); fi
done < <(find test -name '*.test.ts' -not -path '*/fixtures/*' | sort)

echo "== phase 1: ${#unit[@]} test files that need no cluster"
node --test --test-concurrency=2 "${unit[@]}"

if [ "${NETDOCTOR_SKIP_LAB:-0}" = 1 ]; then
  echo "== phase 2 skipped (NETDOCTOR_SKIP_LAB=1): ${#live[@]} live test files did not run"
  exit 0
fi

echo "== phase 2: the lab cluster, then ${#live[@]} live test files"
lab() { node src/cli/main.ts lab "$@"; }
trap 'echo "== lab down"; lab down || true' EXIT
start=$(date +%s)
# A fresh lab every run: whatever an earlier run or a crash left behind is removed first.
lab down >/dev/null 2>&1 || true
lab up
echo "lab up took $(($(date +%s) - start)) s"
# The nftables-mode suites skip themselves here (they say why) and run in phase 3.
NETDOCTOR_LAB=1 NETDOCTOR_LAB_KEEP=1 node --test --test-concurrency=1 "${live[@]}"

nft=()
for f in "${live[@]}"; do case "$f" in *nftables*) nft+=("$f") ;; esac; done
echo "== phase 3: a fresh lab with kube-proxy in nftables mode, then ${#nft[@]} test files"
start=$(date +%s)
lab down >/dev/null
lab up --proxy-mode nftables
echo "lab up (nftables mode) took $(($(date +%s) - start)) s"
NETDOCTOR_LAB=1 NETDOCTOR_LAB_KEEP=1 node --test --test-concurrency=1 "${nft[@]}"
