# netdoctor: the two quick-start commands are `make demo` and `make test`.
SHELL := /bin/bash
NODE_BIN := $(shell scripts/ensure-node.sh)
export PATH := $(NODE_BIN):$(PATH)

.PHONY: all setup preflight build lint typecheck test unit demo bench image manifests clean

all: build

# `npm install` against the lock rather than `npm ci`: the registry this project builds from
# does not carry every optional platform package of the linters (only linux-x64 is needed),
# and `npm ci` refuses a lock file that lacks them.
node_modules/.stamp: package.json package-lock.json
	npm install --no-audit --no-fund
	@touch $@

setup: node_modules/.stamp

build: setup
	npm run --silent build

typecheck: setup
	npm run --silent typecheck

lint: setup
	npm run --silent lint

## Every command the tests and the lab run is on this machine (scripts/system-deps.tsv); fails in
## seconds naming what is missing. `scripts/install-system-deps.sh` installs it.
preflight:
	@scripts/preflight.sh

## Every test: preflight, type-check, lint, build, then the whole suite: unit, real-namespace,
## golden and example tests, then the live suites against the real lab cluster (scripts/test.sh).
test: preflight
	$(MAKE) --no-print-directory typecheck lint build
	scripts/test.sh

## netdoctor's main job on its embedded default: analyze the bundled example clusters.
demo: build
	node dist/cli/main.js demo --out out/demo

## netdoctor's own OCI image (docker-archive tar, no docker needed): Node.js 24, the built CLI,
## its production dependencies and the node tools; written to out/image/. Load it with
## `ctr -n k8s.io images import` or `docker load`, or push it with skopeo.
image: build
	NETDOCTOR_IMAGE_OUT=$(CURDIR)/out/image lab/images.sh netdoctor

## deploy/manifests/netdoctor.yaml from charts/netdoctor (helm is built from its Go module the
## first time, into the lab cache); a test fails when the two differ.
manifests:
	scripts/render-manifests.sh

bench: build
	npm run --silent bench

clean:
	rm -rf dist out node_modules .tools
