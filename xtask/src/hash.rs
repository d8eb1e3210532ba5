//! Content-hashed names: `<stem>.<hash>.<ext>`, the hash the URL-safe
//! base64 of the file's MD5 (22 characters, cargo-leptos's scheme), and
//! `hash.txt` beside the server binary telling Leptos which names to put in
//! the page. A new build of changed files has new names, so the server lets
//! browsers keep every file under `/pkg` for a year.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use base64ct::{Base64UrlUnpadded, Encoding};
use md5::{Digest, Md5};

/// The hash a file's name carries.
pub fn of(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(&Md5::digest(bytes))
}

/// Renames every file under `pkg` after its content — but wasm-bindgen's
/// inline snippets, which the WASM imports by their plain names — and
/// rewrites the names in the `<output_name>.js` glue. Returns the lines of
/// `hash.txt` (`js: …`, `wasm: …`, `css: …`).
pub fn name_by_content(pkg: &Path, output_name: &str) -> Result<String> {
    let mut renamed = BTreeMap::new();
    let mut hashes = BTreeMap::new();
    let mut stack = vec![pkg.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(pkg)?.to_path_buf();
            let (Some(stem), Some(ext)) = (
                path.file_stem().and_then(|s| s.to_str()),
                path.extension().and_then(|s| s.to_str()),
            ) else {
                continue;
            };
            if is_inline_snippet(&rel) {
                continue;
            }
            let hash = of(&std::fs::read(&path)?);
            if stem.ends_with(&format!(".{hash}")) {
                continue; // already named after this content
            }
            let new = path.with_file_name(format!("{stem}.{hash}.{ext}"));
            std::fs::rename(&path, &new)?;
            if rel == Path::new(&format!("{output_name}.{ext}")) {
                hashes.insert(ext.to_string(), hash);
            }
            renamed.insert(rel, new.strip_prefix(pkg)?.to_path_buf());
        }
    }
    let glue = Path::new(&format!("{output_name}.js")).to_path_buf();
    let Some(glue_now) = renamed.get(&glue) else {
        bail!(
            "{} holds no {}: did wasm-bindgen run?",
            pkg.display(),
            glue.display()
        );
    };
    let glue_now = pkg.join(glue_now);
    let mut js = std::fs::read_to_string(&glue_now)?;
    for (old, new) in &renamed {
        js = js.replace(&*slashes(old), &slashes(new));
    }
    std::fs::write(&glue_now, js)?;

    let mut lines = String::new();
    for ext in ["js", "wasm", "css"] {
        let Some(hash) = hashes.get(ext) else {
            bail!("{} holds no {output_name}.{ext} to name", pkg.display());
        };
        lines.push_str(&format!("{ext}: {hash}\n"));
    }
    Ok(lines)
}

/// `snippets/<crate>/inline<n>.js`: imported by the WASM by that name.
fn is_inline_snippet(rel: &Path) -> bool {
    rel.starts_with("snippets")
        && rel.extension().is_some_and(|e| e == "js")
        && rel
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("inline"))
}

/// A relative path as it appears in an import (forward slashes).
fn slashes(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Where Leptos looks for `hash.txt`: beside the server binary.
pub fn file_beside(bin_dir: &Path) -> PathBuf {
    bin_dir.join("hash.txt")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// cargo-leptos's hash of a known input (so names do not change when the
    /// builder does): MD5 "" is d41d8cd98f00b204e9800998ecf8427e.
    #[test]
    fn hash_is_base64url_md5() {
        assert_eq!(of(b""), "1B2M2Y8AsgTpgAmY7PhCfg");
        assert_eq!(of(b"").len(), 22);
    }

    #[test]
    fn renames_and_rewrites_the_glue() {
        let dir = std::env::temp_dir().join(format!("xtask-hash-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("snippets/leptos-1")).unwrap();
        let js = "import * as s from './snippets/leptos-1/mod.js';\nimport './snippets/leptos-1/inline0.js';\n";
        std::fs::write(dir.join("site.js"), js).unwrap();
        std::fs::write(dir.join("site.wasm"), b"\0asm").unwrap();
        std::fs::write(dir.join("site.css"), "a{}").unwrap();
        std::fs::write(dir.join("snippets/leptos-1/mod.js"), "export {}").unwrap();
        std::fs::write(dir.join("snippets/leptos-1/inline0.js"), "export {}").unwrap();

        let lines = name_by_content(&dir, "site").unwrap();
        let (hjs, hwasm, hcss) = (of(js.as_bytes()), of(b"\0asm"), of(b"a{}"));
        assert_eq!(lines, format!("js: {hjs}\nwasm: {hwasm}\ncss: {hcss}\n"));
        assert!(dir.join(format!("site.{hwasm}.wasm")).is_file());
        assert!(dir.join(format!("site.{hcss}.css")).is_file());
        let hmod = of(b"export {}");
        let glue = std::fs::read_to_string(dir.join(format!("site.{hjs}.js"))).unwrap();
        assert!(
            glue.contains(&format!("./snippets/leptos-1/mod.{hmod}.js")),
            "{glue}"
        );
        // Inline snippets keep the name the WASM imports.
        assert!(glue.contains("./snippets/leptos-1/inline0.js"), "{glue}");
        assert!(dir.join("snippets/leptos-1/inline0.js").is_file());

        // Naming twice changes nothing.
        let err = name_by_content(&dir, "site").unwrap_err();
        assert!(err.to_string().contains("holds no site.js"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
