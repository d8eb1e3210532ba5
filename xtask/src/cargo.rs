//! The two compilations of a site — the library to WASM and the server
//! binary — as cargo commands, the flags cargo-leptos would pass.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::config::Site;

/// Where the WASM build keeps its own artefacts (cargo-leptos's place for
/// them too): its host tools are built for another profile than the
/// server's, so sharing a folder would gain nothing and lock it.
pub const FRONT_TARGET: &str = "target/front";

/// `cargo build` of the library for `wasm32-unknown-unknown`.
pub fn front(site: &Site) -> Command {
    let mut cmd = cargo();
    cmd.args(["build", "--lib", "--target=wasm32-unknown-unknown"])
        .arg(format!("--package={}", site.lib_package))
        .arg(format!("--target-dir={FRONT_TARGET}"))
        .arg(format!("--profile={}", site.lib_profile_release));
    features(&mut cmd, &site.lib_features, site.lib_default_features);
    cmd.envs(leptos_env(site));
    cmd
}

/// The `.wasm` rustc leaves for [`front`].
pub fn front_output(site: &Site) -> PathBuf {
    Path::new(FRONT_TARGET)
        .join("wasm32-unknown-unknown")
        .join(&site.lib_profile_release)
        .join(format!("{}.wasm", site.lib_package.replace('-', "_")))
}

/// `cargo build --release` of the server binary.
pub fn server(site: &Site) -> Command {
    let mut cmd = cargo();
    cmd.args(["build", "--release"])
        .arg(format!("--package={}", site.bin_package))
        .arg(format!("--bin={}", site.bin_target));
    features(&mut cmd, &site.bin_features, site.bin_default_features);
    cmd.envs(leptos_env(site));
    cmd
}

/// What cargo-leptos tells the compiler about the site. Leptos reads
/// `LEPTOS_OUTPUT_NAME` while compiling: without it, a server serving
/// unhashed names would link the page to `<name>_bg.wasm`, a file this
/// build does not write.
pub fn leptos_env(site: &Site) -> [(&'static str, String); 4] {
    [
        ("LEPTOS_OUTPUT_NAME", site.output_name.clone()),
        (
            "LEPTOS_SITE_ROOT",
            site.site_root.to_string_lossy().into_owned(),
        ),
        ("LEPTOS_SITE_PKG_DIR", site.site_pkg_dir.clone()),
        ("LEPTOS_HASH_FILES", site.hash_files.to_string()),
    ]
}

/// Where [`server`] puts the binary: `hash.txt` is written beside it.
pub fn server_dir() -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    target.join("release")
}

fn cargo() -> Command {
    // The cargo that runs this xtask, whatever PATH says.
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn features(cmd: &mut Command, features: &[String], default: bool) {
    if !default {
        cmd.arg("--no-default-features");
    }
    if !features.is_empty() {
        cmd.arg(format!("--features={}", features.join(",")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(cmd: &Command) -> Vec<String> {
        cmd.get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    /// The builds cargo-leptos ran for this workspace, flag for flag.
    #[test]
    fn the_workspace_builds() {
        let site = Site::parse(include_str!("../../Cargo.toml")).unwrap();
        assert_eq!(
            args(&front(&site)),
            [
                "build",
                "--lib",
                "--target=wasm32-unknown-unknown",
                "--package=app",
                "--target-dir=target/front",
                "--profile=wasm-release",
                "--no-default-features",
                "--features=hydrate"
            ]
        );
        assert_eq!(
            front_output(&site),
            Path::new("target/front/wasm32-unknown-unknown/wasm-release/app.wasm")
        );
        assert_eq!(
            args(&server(&site)),
            [
                "build",
                "--release",
                "--package=server",
                "--bin=switchboard",
                "--no-default-features",
                "--features=ssr"
            ]
        );
        let env: Vec<_> = server(&site)
            .get_envs()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.unwrap().to_string_lossy().into_owned(),
                )
            })
            .collect();
        assert!(
            env.contains(&("LEPTOS_OUTPUT_NAME".into(), "switchboard".into())),
            "{env:?}"
        );
    }
}
