//! `cargo xtask`: the project's own build, so that `make run` and `make test`
//! need only what the project uses (cargo, the wasm32 target, wasm-opt from
//! npm `binaryen`) and not a build tool compiled from source first.
//!
//! - `cargo xtask site` builds the release site exactly where the server
//!   looks for it (`LEPTOS_SITE_ROOT`, default `target/site`): the WASM
//!   bundle, the stylesheet and `public/`, content-hashed names with
//!   `hash.txt` beside the server binary, brotli and gzip copies — and the
//!   server binary itself, compiled at the same time.
//! - `cargo xtask bindgen` runs the same wasm-bindgen and wasm-opt steps on
//!   any `.wasm` (the bundle bench's floor page uses it).
//!
//! What to build is read from the `[[workspace.metadata.leptos]]` table in
//! the workspace's `Cargo.toml`, the table cargo-leptos reads, so that
//! `cargo leptos watch` stays available as a development loop on the same
//! settings.

mod cargo;
mod compress;
mod config;
mod front;
mod hash;
mod site;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Switchboard's build")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Build the release site and the server (what `make run` serves).
    Site {
        /// Build only the site, not the server.
        #[arg(long)]
        front_only: bool,
    },
    /// wasm-bindgen (`--target web`) then wasm-opt, as the site's bundle is
    /// made: writes `<out-dir>/<out-name>.js` and `<out-dir>/<out-name>.wasm`.
    Bindgen {
        /// The `.wasm` rustc wrote.
        input: PathBuf,
        #[arg(long)]
        out_dir: PathBuf,
        #[arg(long)]
        out_name: String,
    },
}

fn main() {
    let cli = Cli::parse();
    let done = match cli.task {
        Task::Site { front_only } => site::build(front_only),
        Task::Bindgen {
            input,
            out_dir,
            out_name,
        } => front::bindgen(&input, &out_dir, &out_name).and_then(|wasm| front::optimise(&wasm)),
    };
    if let Err(e) = done {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
