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
# live_suites MODE FILE...: the files one at a time on the running lab. After a file that fails,
# the lab's own data-plane checks say whether it left the lab broken; if so the next files get a
# fresh lab, so one file's leftovers never pass for the next files' failures. At the end: the
# failures in a line each, first first (from a TAP copy of each file's run).
live_suites() {
  local mode=$1 failed=0 n=0 f taps
  shift
  taps=$(mktemp -d)
  for f in "$@"; do
    let n+=1
    if NETDOCTOR_LAB=1 NETDOCTOR_LAB_KEEP=1 node --test --test-concurrency=1 \
      --test-reporter=spec --test-reporter-destination=stdout \
      --test-reporter=tap --test-reporter-destination="$taps/$(printf '%03d' "$n").tap" "$f"; then
      continue
    fi
    failed=1
    echo "== $f failed; the lab now: lab check"
    if lab check 2>&1 | head -n 16; then continue; fi
    echo "== the lab fails its checks: a fresh lab (--proxy-mode $mode) for the files after $f"
    lab down >/dev/null
    lab up --proxy-mode "$mode"
  done
  if [ "$failed" = 1 ]; then
    echo "== the failures, first first"
    cat "$taps"/*.tap | awk -f scripts/first-failures.awk | head -n 12
  fi
  rm -rf "$taps"
  return "$failed"
}
start=$(date +%s)
# A fresh lab every run: whatever an earlier run or a crash left behind is removed first.
lab down >/dev/null 2>&1 || true
lab up --proxy-mode iptables
echo "lab up took $(($(date +%s) - start)) s"
# The nftables-mode suites skip themselves here (they say why) and run in phase 3. A failure here
# still lets phase 3 run; the script fails at the end.
status=0
live_suites iptables "${live[@]}" || status=1

nft=()
for f in "${live[@]}"; do case "$f" in *nftables*) nft+=("$f") ;; esac; done
echo "== phase 3: a fresh lab with kube-proxy in nftables mode, then ${#nft[@]} test files"
start=$(date +%s)
lab down >/dev/null
lab up --proxy-mode nftables
echo "lab up (nftables mode) took $(($(date +%s) - start)) s"
live_suites nftables "${nft[@]}" || status=1
exit "$status"
