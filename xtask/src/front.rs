//! The browser's half: wasm-bindgen's glue and the optimised WASM.
//!
//! wasm-bindgen is the library the `wasm-bindgen` command wraps, pinned to
//! the `wasm-bindgen` version in `Cargo.lock` (the glue must match the crate
//! the WASM was compiled against), with the command's defaults for
//! `--target web`, less the TypeScript declarations nothing reads. wasm-opt
//! is binaryen's, from npm (`tools/`), with cargo-leptos's flags; the glue
//! and the stylesheet are minified by esbuild, also from npm (cargo-leptos
//! used swc and lightningcss: the sizes are within 50 bytes of theirs).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use wasm_bindgen_cli_support::Bindgen;

/// Where `make` installs the npm tools.
const TOOLS: &str = "tools/node_modules/.bin";

/// Smallest code (`-Oz`), allowing the two WASM features every browser the
/// page supports has and rustc's wasm32 target emits.
const WASM_OPT_FLAGS: [&str; 3] = [
    "-Oz",
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
];

/// Writes `<out_dir>/<out_name>.js` (ES module glue) and
/// `<out_dir>/<out_name>.wasm` from `input`; returns the `.wasm`'s path.
pub fn bindgen(input: &Path, out_dir: &Path, out_name: &str) -> Result<PathBuf> {
    if !input.is_file() {
        bail!("{} does not exist: build the WASM first", input.display());
    }
    let mut b = Bindgen::new();
    b.input_path(input)
        .out_name(out_name)
        .web(true)?
        .debug(false)
        .demangle(true)
        .keep_debug(false)
        .keep_lld_exports(false)
        .remove_name_section(false)
        .remove_producers_section(false)
        .typescript(false)
        .omit_default_module_path(false);
    b.generate(out_dir)
        .with_context(|| format!("wasm-bindgen on {}", input.display()))?;
    // wasm-bindgen writes `<name>_bg.wasm`; the page asks for `<name>.wasm`.
    let written = out_dir.join(format!("{out_name}_bg.wasm"));
    let wasm = out_dir.join(format!("{out_name}.wasm"));
    std::fs::rename(&written, &wasm)
        .with_context(|| format!("renaming {} to {}", written.display(), wasm.display()))?;
    Ok(wasm)
}

/// Runs wasm-opt on `wasm` in place.
pub fn optimise(wasm: &Path) -> Result<()> {
    let mut cmd = tool("wasm-opt")?;
    cmd.args(WASM_OPT_FLAGS).arg(wasm).arg("-o").arg(wasm);
    run(cmd, wasm)
}

/// Minifies a `.js` (an ES module: imports, exports and every property
/// name the WASM imports by are kept) or a `.css` in place.
pub fn minify(file: &Path) -> Result<()> {
    let mut cmd = tool("esbuild")?;
    cmd.arg(file)
        .arg("--minify")
        .arg("--allow-overwrite")
        .arg("--log-level=warning")
        .arg(format!("--outfile={}", file.display()));
    run(cmd, file)
}

fn run(mut cmd: Command, file: &Path) -> Result<()> {
    let name = cmd.get_program().to_string_lossy().into_owned();
    let status = cmd.status().with_context(|| format!("cannot run {name}"))?;
    if !status.success() {
        bail!("{name} failed on {} ({status})", file.display());
    }
    Ok(())
}

/// The project's copy of an npm tool, else one on `PATH`.
fn tool(name: &str) -> Result<Command> {
    let ours = crate::site::root().join(TOOLS).join(name);
    if ours.is_file() {
        return Ok(Command::new(ours));
    }
    let on_path = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .find(|f| f.is_file())
    });
    on_path.map(Command::new).with_context(|| {
        format!("{name} not found: `make setup` installs it (npm, in tools/), or put it on PATH")
    })
}
