# Entente: the two commands of the README are `make run` and `make test`.
# Both install what is missing (and only that), so they are idempotent and fast the second time.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := run

CARGO_LEPTOS_VERSION := 0.3.10
WASM_BINDGEN_VERSION := 0.2.130
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
export ENTENTE_TEST_POSTGRES_URL ?= $(POSTGRES_URL)
# wasm-opt from npm's binaryen (tools/): Debian's wasm-opt 108 produces a module that fails to
# start in the browser for Rust >= 1.82 release builds.
export PATH := $(CURDIR)/tools/node_modules/.bin:$(PATH)

.PHONY: run test setup tools node-deps python-deps services test-api build build-debug test-rust test-wasm test-e2e test-e2e-release lint bench fmt

## run: install what is missing, build (release), serve console + token service on http://127.0.0.1:3000
run: setup build
	LEPTOS_SITE_ROOT=target/site $(TARGET_DIR)/release/entente serve

## test: every suite — unit, integration on SQLite and PostgreSQL, interop, wasm check, browser
## (debug build, then the release build that `make run` serves)
test: setup services lint test-rust test-wasm build-debug test-api test-e2e build test-e2e-release
	@echo "all test suites passed"

setup: tools node-deps python-deps

tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@if ! command -v cargo-leptos >/dev/null || [ "$$(cargo leptos --version | awk '{print $$2}')" != "$(CARGO_LEPTOS_VERSION)" ]; then \
	  echo "installing cargo-leptos $(CARGO_LEPTOS_VERSION) (about 15 minutes on 2 cores)"; \
	  cargo install cargo-leptos --locked --version $(CARGO_LEPTOS_VERSION); fi
	@if ! command -v wasm-bindgen >/dev/null || [ "$$(wasm-bindgen --version | awk '{print $$2}')" != "$(WASM_BINDGEN_VERSION)" ]; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION)"; \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force; fi
	@missing=""; [ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	  command -v wrk >/dev/null || missing="$$missing wrk"; \
	  command -v jq >/dev/null || missing="$$missing jq"; \
	  command -v curl >/dev/null || missing="$$missing curl"; \
	  if [ -n "$$missing" ]; then echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi

node-deps:
	@for d in tools end2end interop; do \
	  if [ ! -d $$d/node_modules ] || [ $$d/package-lock.json -nt $$d/node_modules/.package-lock.json ]; then \
	    (cd $$d && npm ci --no-audit --no-fund); fi; done

# schemathesis (PyPI), pinned in tools/requirements.txt, in a virtual environment of its own.
python-deps:
	@if [ ! -x tools/.venv/bin/st ] || [ tools/requirements.txt -nt tools/.venv/.installed ]; then \
	  python3 -m venv tools/.venv && tools/.venv/bin/pip install -q -r tools/requirements.txt && \
	  touch tools/.venv/.installed; fi

## services: the tests need PostgreSQL, and redis-server (the cluster tests start their own on free
## ports, to stop and restart it); a missing one fails with a clear message
services:
	@command -v redis-server >/dev/null || { echo "redis-server is required by the cluster tests (apt-get install redis-server)." >&2; exit 1; }
	@if ! psql "$(POSTGRES_URL)" -qtAc 'select 1' >/dev/null 2>&1; then \
	  echo "PostgreSQL is not reachable at $(POSTGRES_URL). Start it (pg_ctlcluster --skip-systemctl-redirect \$$(ls /etc/postgresql) main start) or set POSTGRES_URL." >&2; \
	  exit 1; fi

# The release site is size-optimised (wasm-release profile, wasm-opt -Oz) and precompressed:
# brotli and gzip copies beside each file, served to browsers that accept them.
build:
	cargo leptos build --release --precompress

build-debug:
	cargo leptos build

# The wasm crate (frontend) is linted and checked for wasm only: on the host it would switch the
# console's `hydrate` feature on beside `ssr` (cargo unifies features across the workspace), and
# the server under test would not be the one that ships.
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --exclude frontend --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

# Builds the server exactly as `cargo leptos build` does (same features, same flags), so the
# browser suite's debug build reuses it and compiles only the wasm.
test-rust:
	cargo test --workspace --exclude frontend

test-wasm:
	cargo check -p app --features hydrate --target wasm32-unknown-unknown

# The admin API against its own OpenAPI document: no 5xx, every response as documented.
test-api:
	ENTENTE_BIN=$(abspath $(TARGET_DIR))/debug/entente tools/api-fuzz.sh

test-e2e:
	cd end2end && ENTENTE_BIN=$(abspath $(TARGET_DIR))/debug/entente npx playwright test

# The same browser suite against what `make run` serves: release server, wasm-opt'ed release wasm.
test-e2e-release:
	cd end2end && ENTENTE_BIN=$(abspath $(TARGET_DIR))/release/entente npx playwright test

## bench: release build, Entente and the peer (oidc-provider) under the same load, with ratios
bench: setup
	cargo build --release -p entente
	ENTENTE_BIN=$(abspath $(TARGET_DIR))/release/entente bench/run.sh

fmt:
	cargo fmt --all
