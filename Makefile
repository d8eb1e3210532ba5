# Switchboard — `make run` serves the dashboard, `make test` runs every suite.
# Both install what is missing first and skip what is already there.

SHELL := /bin/bash
.DEFAULT_GOAL := run

ADDR ?= 127.0.0.1:3000
TOOLS_BIN := $(CURDIR)/tools/node_modules/.bin
export PATH := $(TOOLS_BIN):$(HOME)/.cargo/bin:$(PATH)
export LEPTOS_SITE_ROOT := target/site

.PHONY: run test setup setup-e2e setup-nats build lint unit e2e bench soak clean-site

## Build in release and serve http://$(ADDR)
run: setup setup-nats build
	./target/release/switchboard serve --addr $(ADDR)

## Format, lint, unit/integration tests (replicas against a real nats-server),
## then browser end-to-end tests.
test: setup setup-e2e setup-nats lint unit build e2e

setup:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown \
	  || rustup target add wasm32-unknown-unknown
	@if [ ! -x "$(TOOLS_BIN)/wasm-opt" ] || [ ! -x "$(TOOLS_BIN)/esbuild" ]; then \
	  echo "Installing wasm-opt (npm binaryen) and esbuild…"; \
	  (cd tools && npm ci --no-audit --no-fund); \
	fi

setup-e2e:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing Chromium (Debian)…"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi
	@if [ ! -d end2end/node_modules/@playwright/test ] || [ ! -d end2end/node_modules/uplot ]; then \
	  (cd end2end && npm ci --no-audit --no-fund); \
	fi

## nats-server (Debian): the broker patterns' real runs and the replica
## tests start their own. Without it those real runs say so in words.
setup-nats:
	@if ! command -v nats-server >/dev/null; then \
	  echo "Installing nats-server (Debian)…"; \
	  (apt-get install -y nats-server || (apt-get update && apt-get install -y nats-server)) \
	  || echo "nats-server could not be installed: the broker patterns' real runs will say so"; \
	fi

## The site (WASM bundle, stylesheet, public/, hashed names, brotli and gzip
## copies) and the server, compiled side by side by the project's own build
## (xtask/; no cargo-leptos): ~7 min from nothing on 2 cores, ~1 min after a
## one-line change.
build:
	cargo xtask site

lint:
	python3 tools/import_cycles.py
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p app --features hydrate --target wasm32-unknown-unknown -- -D warnings

unit:
	cargo test --workspace

## Playwright in Debian's Chromium; the config starts and stops the server.
e2e:
	cd end2end && npx playwright test

## Engine and wire figures (ratios against in-run baselines), a sweep on one
## thread and on every core beside the engine alone, one room on one
## replica vs two through NATS, a pane's bandwidth,
## the bundle beside the smallest hydrated Leptos page built the same way,
## frame cost in Chromium at full speed and with the CPU slowed 4×.
bench: setup setup-e2e build
	cargo bench -p sim
	cargo run --release -p server --example sweepbench
	cargo run --release -p server --example sweepload -- target/release/switchboard
	cargo run --release -p server --example realbench
	LOAD=real cargo run --release -p server --example sweepload -- target/release/switchboard
	LOAD=real-queue cargo run --release -p server --example sweepload -- target/release/switchboard
	cargo run --release -p server --example classbench -- target/release/switchboard
	cargo run --release -p server --example replicabench -- target/release/switchboard
	cargo run --release -p server --example bandwidth -- target/release/switchboard
	tools/leptos_floor/build.sh
	cd end2end && node bench/bundle.mjs && node bench/frames.mjs && node bench/coldload.mjs && node bench/charts.mjs

## Ten minutes of hostile and heavy clients against the release binary
## (SOAK_SECS to change the length); prints RSS, CPU and frame rates.
soak: setup build
	cargo run --release -p server --example soak -- target/release/switchboard
