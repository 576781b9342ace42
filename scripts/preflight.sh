#!/usr/bin/env bash
# Checks, in a second, that every command in scripts/system-deps.tsv is on this machine, and
# names each missing one with its Debian package. `make test` and `lab up` run it first, so a
# machine that lacks a tool fails at once instead of an hour into the run.
# Usage: scripts/preflight.sh [--quiet]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
missing=()
pkgs=()
while IFS=$'\t' read -r cmd pkg _; do
  [[ -z "$cmd" || "$cmd" == \#* ]] && continue
  if [[ "$cmd" == /* ]]; then [[ -e "$cmd" ]] && continue
  elif [[ "$cmd" == go ]]; then
    # lab/build.sh looks in /usr/local/go/bin too.
    PATH="$PATH:/usr/local/go/bin" command -v go >/dev/null 2>&1 && continue
  else PATH="$PATH:/usr/sbin:/sbin" command -v "$cmd" >/dev/null 2>&1 && continue
  fi
  if [[ "$pkg" == - ]]; then missing+=("$cmd (not a Debian package: comes with the machine)")
  else missing+=("$cmd (Debian package $pkg)"); [[ " ${pkgs[*]-} " == *" $pkg "* ]] || pkgs+=("$pkg")
  fi
done <"$here/system-deps.tsv"
if [ ${#missing[@]} -gt 0 ]; then
  echo "netdoctor preflight: ${#missing[@]} command(s) missing:" >&2
  printf '  %s\n' "${missing[@]}" >&2
  [ ${#pkgs[@]} -gt 0 ] && echo "  install them with: sudo bash scripts/install-system-deps.sh   (apt-get install ${pkgs[*]})" >&2
  exit 1
fi
[[ "${1:-}" == --quiet ]] || echo "netdoctor preflight: all $(grep -cvE '^(#|$)' "$here/system-deps.tsv") commands present"
