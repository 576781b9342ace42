#!/usr/bin/env bash
# Builds every binary the netdoctor lab runs, from Go modules, into $CACHE/bin/<key>/.
# Caches (GOMODCACHE, GOCACHE, binaries) live outside the work tree so a second run only
# checks that the binaries exist. Usage: lab/build.sh [component...]
#   components: pause flannel-cni flannel coredns kube-router k8s (default: all), and, only when
#   named (the lab never runs them): kwok (simulates nodes for bench/kwok-scale.bench.ts) and helm
#   (lints, renders and installs charts/netdoctor in the tests)
set -euo pipefail

command -v go >/dev/null || export PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null || { echo "lab/build.sh needs a Go toolchain (1.26) on PATH" >&2; exit 1; }
LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$LAB_DIR/versions.env"

CACHE="${NETDOCTOR_LAB_CACHE:-/var/cache/netdoctor-lab}"
export GOMODCACHE="$CACHE/gomod"
export GOCACHE="$CACHE/gocache"
export GOTOOLCHAIN=local
export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0
# The checksum database is not reachable for every module here; go.sum files in lab/build/ pin
# the hashes instead (recorded on the first build).
export GOSUMDB="${GOSUMDB:-off}"
# The machine has two cores shared with other work: never let the compiler take more.
JOBS="${NETDOCTOR_LAB_BUILD_JOBS:-2}"
export GOMAXPROCS="$JOBS"

BIN="$CACHE/bin"
mkdir -p "$BIN" "$GOMODCACHE" "$GOCACHE"

log() { printf '[build %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# have DIR NAME...: true when every named binary already exists in DIR.
have() {
  local dir="$1"; shift
  local n
  for n in "$@"; do [[ -x "$dir/$n" ]] || return 1; done
}

build_k8s() {
  local out="$BIN/k8s-$K8S_VERSION"
  local cmds=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
  if have "$out" "${cmds[@]}"; then log "kubernetes $K8S_VERSION: cached"; return; fi
  mkdir -p "$out.tmp"
  local major minor
  major="${K8S_VERSION#v}"; major="${major%%.*}"
  minor="${K8S_VERSION#v*.}"; minor="${minor%%.*}"
  local date; date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  local ld="-s -w -checklinkname=0"
  local pkg
  # Both version packages: component-base for the servers, client-go's for kubectl's client side.
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date -X $pkg.gitCommit=0000000000000000000000000000000000000000"
  done
  log "kubernetes $K8S_VERSION: building ${cmds[*]}"
  local pkgs=()
  for pkg in "${cmds[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$pkg"); done
  (cd "$LAB_DIR/build/k8s" && go build -p "$JOBS" -trimpath -tags providerless,dockerless \
    -ldflags "$ld" -o "$out.tmp/" "${pkgs[@]}")
  mkdir -p "$out"
  mv "$out.tmp"/* "$out/"
  rmdir "$out.tmp"
  log "kubernetes $K8S_VERSION: done"
}

# go_wrapper NAME MODULE VERSION: a wrapper module in lab/build/NAME that requires MODULE@VERSION,
# so the build uses that module's own pinned dependencies without cloning its repository.
go_wrapper() {
  local name="$1" module="$2" version="$3"
  local dir="$LAB_DIR/build/$name"
  mkdir -p "$dir"
  if [[ ! -f "$dir/go.mod" ]] || ! grep -q "$module $version" "$dir/go.mod"; then
    printf 'module netdoctor.lab/%s\n\ngo 1.22.0\n\nrequire %s %s\n' "$name" "$module" "$version" >"$dir/go.mod"
    rm -f "$dir/go.sum"
  fi
  printf '%s\n' "$dir"
}

# go_bin NAME VERSION WRAPPER_DIR PACKAGE OUTPUT_NAME LDFLAGS: one binary into $BIN/NAME-VERSION/.
go_bin() {
  local name="$1" version="$2" dir="$3" pkg="$4" outname="$5" ld="$6"
  local out="$BIN/$name-$version"
  if have "$out" "$outname"; then log "$name $version: cached"; return; fi
  log "$name $version: building $pkg"
  mkdir -p "$out"
  (cd "$dir" && go build -p "$JOBS" -trimpath -ldflags "-s -w -checklinkname=0 $ld" -o "$out/$outname.tmp" "$pkg")
  mv "$out/$outname.tmp" "$out/$outname"
  log "$name $version: done"
}

# flanneld's main package registers every backend. The Tencent VPC backend's SDK is not served by
# the module proxy here and the UDP backend needs cgo, so the lab builds flannel's own main.go
# without those two imports (the lab uses only the VXLAN backend), from a copy kept in the cache.
build_flannel() {
  local d; d="$(go_wrapper flannel github.com/flannel-io/flannel "$FLANNEL_VERSION")"
  local src="$CACHE/src/flannel-$FLANNEL_VERSION"
  if ! have "$BIN/flannel-$FLANNEL_VERSION" flanneld; then
    mkdir -p "$src"
    cp "$d/go.mod" "$src/go.mod"
    [[ -f "$d/go.sum" ]] && cp "$d/go.sum" "$src/go.sum"
    local moddir
    moddir="$(cd "$src" && go mod download -json "github.com/flannel-io/flannel@$FLANNEL_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
    grep -vE 'pkg/backend/(tencentvpc|udp)"' "$moddir/main.go" >"$src/main.go"
  fi
  go_bin flannel "$FLANNEL_VERSION" "$src" . flanneld \
    "-X github.com/flannel-io/flannel/pkg/version.Version=$FLANNEL_VERSION"
  [[ -f "$src/go.sum" ]] && cp "$src/go.sum" "$d/go.sum" || true
}

# The flannel CNI plugin is the meta plugin that reads /run/flannel/subnet.env and delegates to
# bridge + host-local. Its standalone repository is not served by the module proxy here, so the
# lab builds the same plugin from containernetworking/plugins, where it lived before the move.
build_flannel_cni() {
  local d; d="$(go_wrapper flannel-cni github.com/containernetworking/plugins "$FLANNEL_CNI_PLUGINS_VERSION")"
  go_bin flannel-cni "$FLANNEL_CNI_PLUGINS_VERSION" "$d" \
    github.com/containernetworking/plugins/plugins/meta/flannel flannel ""
}

build_coredns() {
  local d; d="$(go_wrapper coredns github.com/coredns/coredns "$COREDNS_VERSION")"
  go_bin coredns "$COREDNS_VERSION" "$d" github.com/coredns/coredns coredns \
    "-X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION"
}

build_kube_router() {
  local d; d="$(go_wrapper kube-router github.com/cloudnativelabs/kube-router "$KUBE_ROUTER_VERSION")"
  go_bin kube-router "$KUBE_ROUTER_VERSION" "$d" github.com/cloudnativelabs/kube-router/cmd/kube-router \
    kube-router "-X github.com/cloudnativelabs/kube-router/pkg/version.Version=$KUBE_ROUTER_VERSION"
}

# pause: the sandbox process of every pod; the lab's own small Go program (lab/build/pause).
build_pause() {
  go_bin pause "$PAUSE_VERSION" "$LAB_DIR/build/pause" . pause ""
}

# kwok: fake nodes and pods on the lab's real API server, for the scale benchmark.
build_kwok() {
  local d; d="$(go_wrapper kwok sigs.k8s.io/kwok "$KWOK_VERSION")"
  go_bin kwok "$KWOK_VERSION" "$d" sigs.k8s.io/kwok/cmd/kwok kwok \
    "-X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}"
}

# helm: the chart's tests lint and render charts/netdoctor with it, and the live test installs it.
build_helm() {
  local d; d="$(go_wrapper helm helm.sh/helm/v4 "$HELM_VERSION")"
  go_bin helm "$HELM_VERSION" "$d" helm.sh/helm/v4/cmd/helm helm \
    "-X helm.sh/helm/v4/internal/version.version=$HELM_VERSION -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
}

main() {
  local want=("$@")
  [[ ${#want[@]} -gt 0 ]] || want=(pause flannel-cni flannel coredns kube-router k8s)
  local c
  for c in "${want[@]}"; do
    case "$c" in
      k8s) build_k8s ;;
      flannel) build_flannel ;;
      flannel-cni) build_flannel_cni ;;
      coredns) build_coredns ;;
      kube-router) build_kube_router ;;
      pause) build_pause ;;
      kwok) build_kwok ;;
      helm) build_helm ;;
      *) echo "unknown component: $c" >&2; exit 2 ;;
    esac
  done
  log "all requested components built under $BIN"
}

main "$@"
