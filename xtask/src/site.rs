//! `cargo xtask site`: the release site and the server, built at the same
//! time on separate cargo target folders (the WASM build's long single-core
//! link-time optimisation overlaps the server's compilation), then the
//! site's files named, copied and compressed as the server expects them.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::config::Site;
use crate::{cargo, compress, front, hash};

/// The workspace root (every path in the site's table is relative to it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Builds everything `switchboard serve` needs.
pub fn build(front_only: bool) -> Result<()> {
    let started = Instant::now();
    std::env::set_current_dir(root())?;
    let site = Site::load(Path::new("."))?;

    let server = if front_only {
        None
    } else {
        Some(ServerBuild::start(&site)?)
    };
    let built = front_and_files(&site, started);
    let server_done = match server {
        Some(server) => server.finish(built.is_ok()),
        None => Ok(()),
    };
    built?;
    server_done?;
    say(
        started,
        "done: `./target/release/switchboard serve` serves it",
    );
    Ok(())
}

fn front_and_files(site: &Site, started: Instant) -> Result<()> {
    say(
        started,
        "compiling the WASM bundle (the server compiles beside it)",
    );
    let status = cargo::front(site).status().context("cannot run cargo")?;
    if !status.success() {
        bail!("the WASM build failed ({status})");
    }

    let root = &site.site_root;
    clear(root)?;
    let pkg = site.pkg_dir();
    std::fs::create_dir_all(&pkg)?;
    say(started, "wasm-bindgen");
    let wasm = front::bindgen(&cargo::front_output(site), &pkg, &site.output_name)?;
    say(started, "wasm-opt -Oz");
    front::optimise(&wasm)?;
    let wasm_bytes = std::fs::metadata(&wasm)?.len();

    copy_dir(&site.assets_dir, root, &site.site_pkg_dir)?;
    let css = pkg.join(format!("{}.css", site.output_name));
    std::fs::copy(&site.style_file, &css).with_context(|| {
        format!(
            "cannot copy {} to {}",
            site.style_file.display(),
            css.display()
        )
    })?;

    front::minify(&pkg.join(format!("{}.js", site.output_name)))?;
    front::minify(&css)?;

    let hash_txt = hash::file_beside(&cargo::server_dir());
    if site.hash_files {
        let lines = hash::name_by_content(&pkg, &site.output_name)?;
        std::fs::create_dir_all(cargo::server_dir())?;
        std::fs::write(&hash_txt, lines)?;
    } else if hash_txt.exists() {
        // A stale hash.txt would make the server name files that are gone.
        std::fs::remove_file(&hash_txt)?;
    }

    let (files, bytes, br) = compress::site(root)?;
    say(
        started,
        &format!(
            "site ready in {}: {files} files, {} KB, {} KB as brotli (WASM {} KB)",
            root.display(),
            bytes / 1000,
            br / 1000,
            wasm_bytes / 1000,
        ),
    );
    Ok(())
}

/// The server's compilation, running while the site is made; its output
/// goes to a log (two cargo progress bars on one terminal are unreadable)
/// that is printed if it fails.
struct ServerBuild {
    child: Child,
    log: PathBuf,
}

impl ServerBuild {
    fn start(site: &Site) -> Result<ServerBuild> {
        let log = PathBuf::from("target/xtask-server-build.log");
        std::fs::create_dir_all("target")?;
        let out = File::create(&log)?;
        let child = cargo::server(site)
            .stdout(out.try_clone()?)
            .stderr(out)
            .stdin(Stdio::null())
            .spawn()
            .context("cannot run cargo")?;
        Ok(ServerBuild { child, log })
    }

    /// Waits for the server (or stops it, when the site failed).
    fn finish(mut self, wait: bool) -> Result<()> {
        if !wait {
            let _ = self.child.kill();
            let _ = self.child.wait();
            return Ok(());
        }
        let status = self.child.wait()?;
        if !status.success() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            eprintln!("{log}");
            bail!(
                "the server build failed ({status}); its output is above and in {}",
                self.log.display()
            );
        }
        Ok(())
    }
}

/// Empties the site root (creating it), refusing paths that are clearly
/// not a build's output.
fn clear(root: &Path) -> Result<()> {
    let absolute = std::path::absolute(root)?;
    if root.as_os_str().is_empty()
        || absolute.parent().is_none()
        || absolute == std::path::absolute(".")?
    {
        bail!("refusing to empty {} as the site root", root.display());
    }
    if root.exists() {
        std::fs::remove_dir_all(root)
            .with_context(|| format!("cannot empty {}", root.display()))?;
    }
    std::fs::create_dir_all(root)?;
    Ok(())
}

/// Copies `from` into `to` recursively, but a top-level `reserved` entry.
fn copy_dir(from: &Path, to: &Path, reserved: &str) -> Result<()> {
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        if entry.file_name() == reserved {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            std::fs::create_dir_all(&dst)?;
            copy_dir(&src, &dst, "")?;
        } else {
            std::fs::copy(&src, &dst).with_context(|| format!("cannot copy {}", src.display()))?;
        }
    }
    Ok(())
}

fn say(started: Instant, what: &str) {
    let s = started.elapsed().as_secs();
    eprintln!("[xtask {:>2}:{:02}] {what}", s / 60, s % 60);
}
