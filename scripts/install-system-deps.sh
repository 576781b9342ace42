#!/usr/bin/env bash
# Installs the Debian packages behind every command in scripts/system-deps.tsv (what the tests,
# the lab build, the lab and local node access run). Idempotent; quiet when everything is
# present already. Lines whose package is "-" come with the machine and are only checked, by
# scripts/preflight.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
missing=()
while IFS=$'\t' read -r cmd pkg _; do
  [[ -z "$cmd" || "$cmd" == \#* || "$pkg" == - ]] && continue
  if [[ "$cmd" == /* ]]; then [[ -e "$cmd" ]] && continue
  else PATH="$PATH:/usr/sbin:/sbin" command -v "$cmd" >/dev/null 2>&1 && continue
  fi
  [[ " ${missing[*]-} " == *" $pkg "* ]] || missing+=("$pkg")
done <"$here/system-deps.tsv"
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  # Packages such as openssh-server start their daemon on install; netdoctor only needs the
  # binaries, so services are kept from starting (policy-rc.d exit 101) while apt runs.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; own_policy=1; fi
  trap 'if [ "$own_policy" = 1 ]; then rm -f "$policy"; fi' EXIT
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
bash "$here/preflight.sh"
