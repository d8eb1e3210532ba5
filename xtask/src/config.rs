//! What to build and where, from the `[[workspace.metadata.leptos]]` table
//! of the workspace's `Cargo.toml` (the table cargo-leptos reads), with the
//! `LEPTOS_*` environment variables overriding it as they do for
//! cargo-leptos and for the server at run time.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// One site: the WASM library, the server binary and where the pieces go.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub struct Site {
    /// Stem of the bundle's files (`<output-name>.js/.wasm/.css`); the
    /// server's `LeptosOptions::output_name` names the same files.
    pub output_name: String,
    /// Where the site is written and served from (`LEPTOS_SITE_ROOT`).
    pub site_root: PathBuf,
    /// The bundle's folder inside the site root (`/pkg` on the wire).
    pub site_pkg_dir: String,
    /// The one stylesheet, copied as `<pkg>/<output-name>.css`.
    pub style_file: PathBuf,
    /// Copied as they are to the site root (favicon and the like).
    pub assets_dir: PathBuf,
    /// The crate compiled to WASM.
    pub lib_package: String,
    #[serde(default)]
    pub lib_features: Vec<String>,
    #[serde(default = "yes")]
    pub lib_default_features: bool,
    /// Cargo profile of the WASM build (small beats fast to compile).
    #[serde(default = "release")]
    pub lib_profile_release: String,
    pub bin_package: String,
    pub bin_target: String,
    #[serde(default)]
    pub bin_features: Vec<String>,
    #[serde(default = "yes")]
    pub bin_default_features: bool,
    /// Content-hashed names, so browsers may keep the files for a year.
    #[serde(default)]
    pub hash_files: bool,
}

fn yes() -> bool {
    true
}

fn release() -> String {
    "release".into()
}

#[derive(Deserialize)]
struct Manifest {
    workspace: Workspace,
}

#[derive(Deserialize)]
struct Workspace {
    metadata: Metadata,
}

#[derive(Deserialize)]
struct Metadata {
    leptos: Vec<Site>,
}

impl Site {
    /// The workspace's site, `LEPTOS_*` variables applied.
    pub fn load(root: &Path) -> Result<Site> {
        let path = root.join("Cargo.toml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let mut site = Site::parse(&text)?;
        site.overlay(|name| std::env::var(name).ok())?;
        Ok(site)
    }

    /// The first (only) site of a workspace manifest.
    pub fn parse(manifest: &str) -> Result<Site> {
        let manifest: Manifest = toml::from_str(manifest)
            .context("Cargo.toml has no usable [[workspace.metadata.leptos]] table")?;
        match <[Site; 1]>::try_from(manifest.workspace.metadata.leptos) {
            Ok([site]) => Ok(site),
            Err(sites) => bail!(
                "Cargo.toml describes {} sites in [[workspace.metadata.leptos]]; this build makes exactly one",
                sites.len()
            ),
        }
    }

    /// Applies the variables cargo-leptos and Leptos read (those this build
    /// has a use for); `var` looks one up.
    pub fn overlay(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<()> {
        if let Some(v) = var("LEPTOS_OUTPUT_NAME") {
            self.output_name = v;
        }
        if let Some(v) = var("LEPTOS_SITE_ROOT") {
            self.site_root = v.into();
        }
        if let Some(v) = var("LEPTOS_SITE_PKG_DIR") {
            self.site_pkg_dir = v;
        }
        if let Some(v) = var("LEPTOS_STYLE_FILE") {
            self.style_file = v.into();
        }
        if let Some(v) = var("LEPTOS_ASSETS_DIR") {
            self.assets_dir = v.into();
        }
        if let Some(v) = var("LEPTOS_HASH_FILES") {
            self.hash_files = match v.as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => bail!("LEPTOS_HASH_FILES is {v:?}: say true or false"),
            };
        }
        if self.output_name.is_empty() || self.output_name.contains(['/', '\\']) {
            bail!("the output name {:?} is not a file stem", self.output_name);
        }
        Ok(())
    }

    /// `<site root>/<pkg dir>`.
    pub fn pkg_dir(&self) -> PathBuf {
        self.site_root.join(&self.site_pkg_dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The workspace's own manifest describes one site the server can serve.
    #[test]
    fn reads_the_workspace_table() {
        let text = include_str!("../../Cargo.toml");
        let site = Site::parse(text).unwrap();
        assert_eq!(site.output_name, "switchboard");
        assert_eq!(site.site_root, PathBuf::from("target/site"));
        assert_eq!(site.pkg_dir(), PathBuf::from("target/site/pkg"));
        assert_eq!(site.lib_package, "app");
        assert_eq!(site.lib_features, ["hydrate"]);
        assert!(!site.lib_default_features);
        assert_eq!(site.lib_profile_release, "wasm-release");
        assert_eq!(site.bin_target, "switchboard");
        assert!(site.hash_files);
    }

    #[test]
    fn environment_overrides_the_table() {
        let mut site = Site::parse(include_str!("../../Cargo.toml")).unwrap();
        site.overlay(|name| match name {
            "LEPTOS_SITE_ROOT" => Some("/tmp/elsewhere".into()),
            "LEPTOS_HASH_FILES" => Some("false".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(site.site_root, PathBuf::from("/tmp/elsewhere"));
        assert!(!site.hash_files);
        let err = site
            .overlay(|name| (name == "LEPTOS_HASH_FILES").then(|| "perhaps".into()))
            .unwrap_err();
        assert!(err.to_string().contains("say true or false"), "{err}");
        let err = site
            .overlay(|name| (name == "LEPTOS_OUTPUT_NAME").then(|| "../x".into()))
            .unwrap_err();
        assert!(err.to_string().contains("not a file stem"), "{err}");
    }

    #[test]
    fn refuses_a_manifest_without_a_site() {
        let err = Site::parse("[workspace]\nmembers = []\n").unwrap_err();
        assert!(
            format!("{err:#}").contains("[[workspace.metadata.leptos]]"),
            "{err:#}"
        );
    }
}
