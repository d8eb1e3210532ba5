#!/usr/bin/env bash
# Builds the floor page's bundle as `cargo xtask site` builds Switchboard's
# (the repository's .cargo/config.toml flags, which apply here too, the
# wasm-release profile, the same wasm-bindgen and wasm-opt steps) into
# target/floor/pkg/floor.wasm, with brotli and gzip copies as the site's
# are made. Runs from any directory.
set -euo pipefail
cd "$(dirname "$0")"
out=$(cd ../.. && pwd)/target/floor
cargo build --lib --target wasm32-unknown-unknown \
  --profile wasm-release --target-dir "$out" --quiet
mkdir -p "$out/pkg"
# The site's own wasm-bindgen and wasm-opt steps (xtask/src/front.rs).
(cd ../.. && cargo xtask bindgen --out-dir "$out/pkg" --out-name floor \
  "$out/wasm32-unknown-unknown/wasm-release/leptos_floor.wasm")
node -e '
const fs = require("fs"), zlib = require("zlib");
const f = process.argv[1], b = fs.readFileSync(f);
fs.writeFileSync(f + ".br", zlib.brotliCompressSync(b, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }));
fs.writeFileSync(f + ".gz", zlib.gzipSync(b, { level: 9 }));' "$out/pkg/floor.wasm"
