#!/usr/bin/env bash
# Runs helm as lab/build.sh builds it from its Go module (HELM_VERSION in lab/versions.env), into
# the lab cache's bin directory. A cold cache builds it first (about a minute and a half on two
# cores); a warm one only checks that the binary is there. Usage: scripts/helm.sh ARGS...
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../lab/versions.env
source "$ROOT/lab/versions.env"
CACHE="${NETDOCTOR_LAB_CACHE:-/var/cache/netdoctor-lab}"
HELM="$CACHE/bin/helm-$HELM_VERSION/helm"
if [[ ! -x "$HELM" ]]; then
  mkdir -p "$CACHE/bin"
  # Test files run in parallel and may all find it missing: one builds, the others wait for it.
  flock "$CACHE/bin/.helm-build.lock" bash -c '[[ -x "$1" ]] || "$2/lab/build.sh" helm >&2' _ "$HELM" "$ROOT"
fi
exec "$HELM" "$@"
