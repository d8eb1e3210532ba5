#!/usr/bin/env python3
"""The bundle's largest parts, grouped by crate: `twiggy top` over the WASM
that cargo-leptos links (target/front/wasm32-unknown-unknown/wasm-release/
app.wasm) after wasm-bindgen has taken out its descriptors, names kept,
before wasm-opt; code and data only (the name section is set aside).
wasm-bindgen runs first because the linked file also holds one describe
function and one export per web-sys binding (~640 K here) that never ship.
Usage: tools/bundle_parts.py [app.wasm]"""
import csv
import io
import re
import subprocess
import sys
import tempfile

WASM = sys.argv[1] if len(sys.argv) > 1 else "target/front/wasm32-unknown-unknown/wasm-release/app.wasm"

# First match wins: (part, pattern over the item's name).
PARTS = [
    ("tachys hydrate_async (AnyView)", r"hydrate_async"),
    ("tachys view build/hydrate/rebuild", r"\btachys\b"),
    ("reactive_graph", r"\breactive_graph\b"),
    ("float formatting", r"flt2dec|float_to_decimal|float_to_exponential|\bfmt::float\b"),
    ("serde_json", r"\bserde_json\b"),
    ("serde + postcard", r"\bserde(_core)?\b|\bpostcard\b"),
    ("wasm-bindgen / js-sys / web-sys", r"\bwasm_bindgen\b|\bjs_sys\b|\bweb_sys\b"),
    ("sim", r"\bsim::"),
    ("the app's own functions", r"\bapp::"),
    ("leptos / leptos_dom / leptos_meta", r"\bleptos(_dom|_meta|_macro)?\b"),
    ("static data", r"^data segment|^data\["),
    ("core/alloc/std and unattributed", r"."),
]
SKIP = re.compile(r'"function names" subsection|^custom section|^Σ|^\.\.\. and')

with tempfile.TemporaryDirectory() as tmp:
    subprocess.run(["wasm-bindgen", "--target", "web", "--out-dir", tmp, "--out-name", "x", WASM],
                   check=True)
    out = subprocess.run(["twiggy", "top", "-n", "1000000", "--format", "csv", f"{tmp}/x_bg.wasm"],
                         check=True, capture_output=True, text=True).stdout
sizes = {name: 0 for name, _ in PARTS}
for row in csv.DictReader(io.StringIO(out)):
    item = row["Name"]
    if SKIP.search(item):
        continue
    for name, pattern in PARTS:
        if re.search(pattern, item):
            sizes[name] += int(row["ShallowSize"])
            break
total = sum(sizes.values())
print(f"{'part':40} {'bytes':>10} {'share':>6}")
for name, size in sorted(sizes.items(), key=lambda kv: -kv[1]):
    print(f"{name:40} {size / 1000:>9.0f}K {100 * size / total:>5.0f}%")
print(f"{'total':40} {total / 1000:>9.0f}K")
