#!/usr/bin/env bash
# Re-records examples/ from the real lab cluster: a healthy diagnosis, then one per fault of
# the catalog (test/lab/lab.test.ts breaks each fault, waits for its symptom, runs diagnose and
# keeps the bundle), then examples/index.json with what each must be diagnosed as.
# Needs root and a running lab (`node src/cli/main.ts lab up`); takes about ten minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
nd() { node src/cli/main.ts "$@"; }
nd lab status -o json | grep -q '"state": *"up"' || { echo "the lab is not up: node src/cli/main.ts lab up" >&2; exit 2; }
out=$(mktemp -d /tmp/netdoctor-examples-XXXXXX)
trap 'rm -rf "$out"' EXIT
image="netdoctor.lab/toolbox:$(sed -n 's/^TOOLBOX_VERSION=//p' lab/versions.env)"

nd diagnose --kubeconfig "$(nd lab kubeconfig)" --agent-image "$image" \
  --external-target http://203.0.113.80/ --external-name www.outside.test --out "$out/healthy" -o text >/dev/null || true
NETDOCTOR_RECORD_DIR="$out" NETDOCTOR_LAB=1 NETDOCTOR_LAB_KEEP=1 \
  node --test --test-name-pattern='^fault ' test/lab/lab.test.ts
node scripts/example-index.ts "$out" > "$out/index.json"
rm -rf examples && mkdir examples
cp -r "$out"/. examples/
rm -f examples/*.tar.gz
echo "recorded $(ls -d examples/*/ | wc -l) examples"
