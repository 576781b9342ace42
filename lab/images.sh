#!/usr/bin/env bash
# Assembles the lab's container images without docker or a registry: each image is a root
# filesystem put together from binaries built by lab/build.sh and host binaries with the shared
# libraries ldd finds, written as a docker-archive tar (one layer tar + config + manifest.json)
# that `ctr images import` accepts. Output: $CACHE/images/<name>_<tag>.tar.
# Usage: lab/images.sh [image...]   images: pause flannel kube-proxy coredns kube-router toolbox
#        lab/images.sh netdoctor     netdoctor's own image (`make image`), never cached: it holds
#                                    this checkout's build; NETDOCTOR_IMAGE_OUT sets where it goes.
set -euo pipefail

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$LAB_DIR/versions.env"
CACHE="${NETDOCTOR_LAB_CACHE:-/var/cache/netdoctor-lab}"
BIN="$CACHE/bin"
OUT="$CACHE/images"
# Must match IMAGE_REGISTRY in src/lab/addons/context.ts.
REGISTRY=netdoctor.lab
mkdir -p "$OUT"

log() { printf '[images %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# add_file ROOT SRC [DEST]: copies SRC (following symlinks) to ROOT/DEST.
add_file() {
  local root="$1" src="$2" dest="${3:-$2}"
  mkdir -p "$root/$(dirname "$dest")"
  cp -L "$src" "$root/$dest"
}

# add_libs ROOT FILE...: copies the shared libraries (and the loader) each FILE needs.
add_libs() {
  local root="$1"; shift
  local f lib
  for f in "$@"; do
    while read -r lib; do
      [[ -n "$lib" && -e "$lib" ]] && add_file "$root" "$lib"
    done < <(ldd "$f" 2>/dev/null | grep -oE '/[^ ]+' || true)
  done
}

# add_bin ROOT SRC [DEST]: a binary and its libraries.
add_bin() {
  add_file "$@"
  add_libs "$1" "$2"
}

add_busybox() {
  local root="$1"
  add_file "$root" /bin/busybox /bin/busybox
  local applet
  for applet in sh ash cat cp mv rm ls ln mkdir echo sleep ps grep sed awk tr head tail wc \
    ping ping6 nc wget nslookup hostname ip ifconfig route arp netstat traceroute top kill \
    env id true false test date mount umount find xargs sort uniq cut vi timeout seq printf tee; do
    [[ -e "$root/bin/$applet" ]] || ln -s busybox "$root/bin/$applet"
  done
}

# iptables, both backends, with the extension modules it loads at run time (ldd cannot see them).
add_iptables() {
  local root="$1" mode="${2:-nft}"
  add_bin "$root" /usr/sbin/xtables-nft-multi
  add_bin "$root" /usr/sbin/xtables-legacy-multi
  local ext=/usr/lib/x86_64-linux-gnu/xtables
  mkdir -p "$root$ext"
  cp -L "$ext"/*.so "$root$ext/"
  add_libs "$root" "$ext"/*.so
  local t
  for t in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
    ln -sf xtables-legacy-multi "$root/usr/sbin/${t/tables/tables-legacy}"
    ln -sf xtables-nft-multi "$root/usr/sbin/${t/tables/tables-nft}"
    ln -sf "xtables-$mode-multi" "$root/usr/sbin/$t"
  done
  # iptables' own helper files: protocol names for -p and the lock location.
  add_file "$root" /etc/protocols
  add_file "$root" /etc/services
  mkdir -p "$root/run"
}

base_files() {
  local root="$1"
  mkdir -p "$root/etc" "$root/tmp" "$root/proc" "$root/sys" "$root/dev" "$root/run" "$root/var/run"
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf 'hosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n' >"$root/etc/nsswitch.conf"
}

# write_archive NAME TAG ROOT ENTRYPOINT_JSON
write_archive() {
  local name="$1" tag="$2" root="$3" entry="$4"
  local work; work="$(mktemp -d "$OUT/.work.XXXXXX")"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -cf "$work/layer.tar" .
  local diff; diff="$(sha256sum "$work/layer.tar" | cut -d' ' -f1)"
  mkdir -p "$work/$diff"
  mv "$work/layer.tar" "$work/$diff/layer.tar"
  cat >"$work/config.json" <<JSON
{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z",
 "config":{"Entrypoint":$entry,"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/bin"],"WorkingDir":"/"},
 "rootfs":{"type":"layers","diff_ids":["sha256:$diff"]},
 "history":[{"created":"1970-01-01T00:00:00Z","created_by":"netdoctor lab/images.sh"}]}
JSON
  local cfg; cfg="$(sha256sum "$work/config.json" | cut -d' ' -f1)"
  mv "$work/config.json" "$work/$cfg.json"
  printf '[{"Config":"%s.json","RepoTags":["%s/%s:%s"],"Layers":["%s/layer.tar"]}]\n' \
    "$cfg" "$REGISTRY" "$name" "$tag" "$diff" >"$work/manifest.json"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work" \
    -cf "$OUT/${name}_$tag.tar.tmp" manifest.json "$cfg.json" "$diff"
  mv "$OUT/${name}_$tag.tar.tmp" "$OUT/${name}_$tag.tar"
  rm -rf "$work"
  log "$REGISTRY/$name:$tag -> $OUT/${name}_$tag.tar"
}

# recipe_of FILLER ENTRYPOINT_JSON: what an image is made by, to hash.
recipe_of() {
  declare -f "$1"
  printf '%s\n' "$2"
}

# image NAME TAG ENTRYPOINT_JSON FILLER [fresh]: builds unless the archive is already there and
# was made by the same recipe (its filler function and entrypoint, whose hash is kept beside it:
# a tool added to an image rebuilds it under the same tag); always with "fresh".
image() {
  local name="$1" tag="$2" entry="$3" filler="$4" fresh="${5:-}"
  local recipe kept=""
  recipe=$(recipe_of "$filler" "$entry" | sha256sum | cut -d' ' -f1)
  [[ -f "$OUT/${name}_$tag.recipe" ]] && kept=$(cat "$OUT/${name}_$tag.recipe")
  if [[ -z "$fresh" && -f "$OUT/${name}_$tag.tar" && "$kept" == "$recipe" ]]; then
    log "$name:$tag cached"
    return
  fi
  local root="$OUT/.rootfs-$name"
  rm -rf "$root"
  mkdir -p "$root"
  base_files "$root"
  "$filler" "$root"
  write_archive "$name" "$tag" "$root" "$entry"
  echo "$recipe" >"$OUT/${name}_$tag.recipe"
  rm -rf "$root"
}

need() { [[ -x "$1" ]] || { echo "missing $1: run lab/build.sh first" >&2; exit 1; }; }

fill_pause() {
  need "$BIN/pause-$PAUSE_VERSION/pause"
  add_file "$1" "$BIN/pause-$PAUSE_VERSION/pause" /pause
}
fill_flannel() {
  need "$BIN/flannel-$FLANNEL_VERSION/flanneld"
  add_file "$1" "$BIN/flannel-$FLANNEL_VERSION/flanneld" /opt/bin/flanneld
  add_file "$1" "$BIN/flannel-cni-$FLANNEL_CNI_PLUGINS_VERSION/flannel" /flannel
  add_busybox "$1"
  add_iptables "$1" nft
  add_bin "$1" /usr/sbin/nft
}
fill_kube_proxy() {
  need "$BIN/k8s-$K8S_VERSION/kube-proxy"
  add_file "$1" "$BIN/k8s-$K8S_VERSION/kube-proxy" /usr/local/bin/kube-proxy
  add_busybox "$1"
  add_iptables "$1" nft
  # nftables mode programs the kernel through the nft binary.
  add_bin "$1" /usr/sbin/nft
  add_bin "$1" /usr/sbin/conntrack
  add_bin "$1" /usr/sbin/ipset
}
fill_coredns() {
  need "$BIN/coredns-$COREDNS_VERSION/coredns"
  add_file "$1" "$BIN/coredns-$COREDNS_VERSION/coredns" /coredns
}
fill_kube_router() {
  need "$BIN/kube-router-$KUBE_ROUTER_VERSION/kube-router"
  add_file "$1" "$BIN/kube-router-$KUBE_ROUTER_VERSION/kube-router" /usr/local/bin/kube-router
  add_busybox "$1"
  add_iptables "$1" nft
  add_bin "$1" /usr/sbin/ipset
  add_bin "$1" /usr/sbin/conntrack
}
# need_pkg BINARY PACKAGE: installs the Debian package that provides BINARY when it is missing.
need_pkg() {
  [[ -x "$1" ]] && return
  log "installing $2 for $1"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$2" >/dev/null
  [[ -x "$1" ]] || { echo "missing $1 after installing $2" >&2; exit 1; }
}

fill_toolbox() {
  local r="$1"
  need_pkg /usr/bin/ping iputils-ping
  add_busybox "$r"
  add_iptables "$r" nft
  # iproute2's ip replaces busybox's applet of the same name.
  rm -f "$r/bin/ip"
  add_bin "$r" /usr/bin/ip /usr/sbin/ip
  add_bin "$r" /usr/sbin/bridge
  add_bin "$r" /usr/sbin/nft
  add_bin "$r" /usr/bin/tcpdump
  add_bin "$r" /usr/bin/dig
  add_bin "$r" /usr/bin/curl
  add_bin "$r" /usr/sbin/conntrack
  add_bin "$r" /usr/bin/iperf3
  # iputils ping replaces busybox's applet: the MTU probes need don't-fragment (-M do).
  rm -f "$r/bin/ping"
  add_bin "$r" /usr/bin/ping /bin/ping
  add_file "$r" /etc/ssl/certs/ca-certificates.crt 2>/dev/null || true
}

# netdoctor's image: the toolbox's node tools (iproute2, both iptables backends, nft, conntrack,
# ping with don't-fragment, dig, curl, tcpdump), Node.js 24, the built CLI and its production
# dependencies. Its entrypoint is the CLI, so a pod runs `netdoctor agent ...` as its args.
fill_netdoctor() {
  local r="$1" src node
  src="$(cd "$LAB_DIR/.." && pwd)"
  [[ -f "$src/dist/cli/main.js" ]] || { echo "missing $src/dist: run make build first" >&2; exit 1; }
  node="$("$src/scripts/ensure-node.sh")/node"
  fill_toolbox "$r"
  add_bin "$r" "$node" /usr/local/bin/node
  mkdir -p "$r/opt/netdoctor"
  cp -r "$src/dist" "$src/schema" "$src/package.json" "$src/package-lock.json" "$r/opt/netdoctor/"
  # Production dependencies only, resolved from the lock.
  (cd "$r/opt/netdoctor" && PATH="$(dirname "$node"):$PATH" npm install --omit=dev --no-audit --no-fund --ignore-scripts >/dev/null)
  rm -f "$r/opt/netdoctor/package-lock.json"
}

# netdoctor's image is never cached, and goes to NETDOCTOR_IMAGE_OUT when that is set.
netdoctor_image() {
  OUT="${NETDOCTOR_IMAGE_OUT:-$OUT}"
  mkdir -p "$OUT"
  local version
  version="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$LAB_DIR/../package.json" | head -1)"
  image netdoctor "$version" '["/usr/local/bin/node","/opt/netdoctor/dist/cli/main.js"]' fill_netdoctor fresh
}

main() {
  local want=("$@")
  [[ ${#want[@]} -gt 0 ]] || want=(pause flannel kube-proxy coredns kube-router toolbox)
  local i
  for i in "${want[@]}"; do
    case "$i" in
      pause) image pause "$PAUSE_VERSION" '["/pause"]' fill_pause ;;
      flannel) image flannel "$FLANNEL_VERSION" '["/opt/bin/flanneld"]' fill_flannel ;;
      kube-proxy) image kube-proxy "$K8S_VERSION" '["/usr/local/bin/kube-proxy"]' fill_kube_proxy ;;
      coredns) image coredns "$COREDNS_VERSION" '["/coredns"]' fill_coredns ;;
      kube-router) image kube-router "$KUBE_ROUTER_VERSION" '["/usr/local/bin/kube-router"]' fill_kube_router ;;
      toolbox) image toolbox "$TOOLBOX_VERSION" '["/bin/sh"]' fill_toolbox ;;
      netdoctor) netdoctor_image ;;
      *) echo "unknown image: $i" >&2; exit 2 ;;
    esac
  done
}

main "$@"
