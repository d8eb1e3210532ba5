//! Brotli and gzip copies of every file of the site, made once at build
//! time: the server sends the copy a browser accepts as it is
//! (`ServeDir::precompressed_br/gzip`), never compressing per request.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// Writes `<file>.br` and `<file>.gz` beside every file under `dir` (not
/// beside copies already made). Returns (files, bytes in, brotli bytes out).
pub fn site(dir: &Path) -> Result<(usize, u64, u64)> {
    let mut totals = (0, 0, 0);
    walk(dir, &mut totals)?;
    Ok(totals)
}

fn walk(dir: &Path, totals: &mut (usize, u64, u64)) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, totals)?;
            continue;
        }
        if matches!(path.extension().and_then(|e| e.to_str()), Some("br" | "gz")) {
            continue;
        }
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let br = brotli(&bytes)?;
        let gz = gzip(&bytes)?;
        std::fs::write(with_suffix(&path, "br"), &br)?;
        std::fs::write(with_suffix(&path, "gz"), &gz)?;
        totals.0 += 1;
        totals.1 += bytes.len() as u64;
        totals.2 += br.len() as u64;
    }
    Ok(())
}

/// Brotli at its defaults (quality 11, 4 MiB window): the smallest copy,
/// its cost paid once per build.
pub fn brotli(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams::default();
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
    Ok(out)
}

/// gzip at its best level, for browsers without brotli.
pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

fn with_suffix(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    name.into()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    /// Each copy decompresses to the file; copies are not copied again.
    #[test]
    fn copies_round_trip() {
        let dir = std::env::temp_dir().join(format!("xtask-compress-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        let text = "body { color: black }\n".repeat(200);
        std::fs::write(dir.join("pkg/a.css"), &text).unwrap();
        std::fs::write(dir.join("favicon.svg"), "<svg/>").unwrap();
        let (files, bytes_in, br_out) = site(&dir).unwrap();
        assert_eq!((files, bytes_in), (2, text.len() as u64 + 6));
        assert!(br_out < bytes_in);
        // A second pass compresses the two files again, not their copies.
        assert_eq!(site(&dir).unwrap().0, 2);

        let mut back = Vec::new();
        brotli::BrotliDecompress(
            &mut &std::fs::read(dir.join("pkg/a.css.br")).unwrap()[..],
            &mut back,
        )
        .unwrap();
        assert_eq!(back, text.as_bytes());
        let mut back = String::new();
        flate2::read::GzDecoder::new(&std::fs::read(dir.join("pkg/a.css.gz")).unwrap()[..])
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, text);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
