#!/usr/bin/env bash
# Renders charts/netdoctor with its default values into deploy/manifests/netdoctor.yaml, for
# `kubectl apply -f` without helm. test/deploy/manifests.test.ts re-renders and compares, so the
# file cannot drift from the chart. Usage: scripts/render-manifests.sh [OUTPUT] (- for stdout)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/deploy/manifests/netdoctor.yaml}"
NS=netdoctor

render() {
  printf '# netdoctor %s: charts/netdoctor rendered with its default values by scripts/render-manifests.sh.\n' \
    "$(sed -n 's/^appVersion: *"\(.*\)"$/\1/p' "$ROOT/charts/netdoctor/Chart.yaml")"
  printf '# Do not edit: change the chart and re-run the script. Apply with kubectl apply -f %s\n' \
    "deploy/manifests/netdoctor.yaml"
  # helm leaves the namespace to `--create-namespace`; kubectl apply needs it in the file. The
  # agents and serve's node pods are privileged, so Pod Security admission must allow them here.
  cat <<NAMESPACE
---
apiVersion: v1
kind: Namespace
metadata:
  name: $NS
  labels:
    pod-security.kubernetes.io/enforce: privileged
NAMESPACE
  (cd "$ROOT" && scripts/helm.sh template netdoctor charts/netdoctor --namespace "$NS")
}

if [[ "$OUT" == - ]]; then
  render
else
  mkdir -p "$(dirname "$OUT")"
  render >"$OUT.tmp"
  mv "$OUT.tmp" "$OUT"
fi
