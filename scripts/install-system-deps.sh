#!/usr/bin/env bash
# Debian packages that the real-namespace tests (and the lab) need. Idempotent; quiet when
# everything is present already.
set -euo pipefail
pkgs=(iproute2 iptables nftables tcpdump)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
