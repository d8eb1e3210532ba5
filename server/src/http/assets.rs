//! The built bundle under `/pkg`, served like a production site.
//!
//! `make build` (`cargo xtask site`, `xtask/`) names the script, WASM and
//! stylesheet after their content and writes brotli and gzip copies beside
//! them; this route sends the copy the browser accepts as it is (no
//! compression per request) and, when the names are hashed (the `hash.txt`
//! the build writes beside the binary exists), lets browsers
//! keep them for a year without asking again: a new build has new names.
//! Unhashed names (a development build) are revalidated every time.

use std::path::{Path, PathBuf};

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::Router;
use tower_http::services::ServeDir;

/// How long a content-hashed file may be kept: a year, never revalidated.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Files whose names do not change with their content: ask every time
/// (`Last-Modified` makes the answer a short 304).
pub const REVALIDATE: &str = "no-cache";

/// The file the build (`cargo xtask site`, or cargo-leptos) writes beside
/// the server binary when it hashed the bundle's names.
pub fn hash_file() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let file = exe.parent()?.join("hash.txt");
    file.exists().then_some(file)
}

/// `/<pkg_dir>/*` from `<site_root>/<pkg_dir>`, precompressed copies first.
pub fn router(site_root: &str, pkg_dir: &str, hashed: bool) -> Router {
    let dir = Path::new(site_root).join(pkg_dir);
    let cache = HeaderValue::from_static(if hashed { IMMUTABLE } else { REVALIDATE });
    Router::new()
        .nest_service(
            &format!("/{pkg_dir}"),
            ServeDir::new(dir).precompressed_br().precompressed_gzip(),
        )
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let cache = cache.clone();
            async move {
                let mut res = next.run(req).await;
                // A missing file is not cached for a year.
                if res.status().is_success() {
                    res.headers_mut().insert(header::CACHE_CONTROL, cache);
                }
                res
            }
        }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Serves `router` on port 0; returns its address.
    async fn serve(router: Router) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        addr
    }

    /// The head (lower-cased) and body of a GET with `accept` encodings.
    async fn get(addr: std::net::SocketAddr, path: &str, accept: &str) -> (String, Vec<u8>) {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept-Encoding: {accept}\r\nConnection: close\r\n\r\n"
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await.unwrap();
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
        (head, raw[split + 4..].to_vec())
    }

    #[tokio::test]
    async fn the_bundle_is_sent_as_compressed_at_build_time_and_kept_when_hashed() {
        let site = std::env::temp_dir().join(format!("switchboard-assets-{}", std::process::id()));
        let pkg = site.join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join("app.1a2b3c.js"), "plain script").unwrap();
        std::fs::write(pkg.join("app.1a2b3c.js.br"), "brotli copy").unwrap();
        std::fs::write(pkg.join("app.1a2b3c.js.gz"), "gzip copy").unwrap();
        let root = site.to_str().unwrap();

        let hashed = serve(router(root, "pkg", true)).await;
        let (head, body) = get(hashed, "/pkg/app.1a2b3c.js", "gzip, br").await;
        assert_eq!(body, b"brotli copy");
        assert!(head.contains("content-encoding: br"), "{head}");
        assert!(
            head.contains(&format!("cache-control: {IMMUTABLE}")),
            "{head}"
        );
        let (head, body) = get(hashed, "/pkg/app.1a2b3c.js", "gzip").await;
        assert_eq!(body, b"gzip copy");
        assert!(head.contains("content-encoding: gzip"), "{head}");
        let (head, body) = get(hashed, "/pkg/app.1a2b3c.js", "identity").await;
        assert_eq!(body, b"plain script");
        assert!(!head.contains("content-encoding"), "{head}");
        // A missing file is not cached for a year.
        let (head, _) = get(hashed, "/pkg/app.000000.js", "br").await;
        assert!(head.starts_with("http/1.1 404"), "{head}");
        assert!(!head.contains("cache-control"), "{head}");

        let plain = serve(router(root, "pkg", false)).await;
        let (head, _) = get(plain, "/pkg/app.1a2b3c.js", "br").await;
        assert!(
            head.contains(&format!("cache-control: {REVALIDATE}")),
            "{head}"
        );
        let _ = std::fs::remove_dir_all(&site);
    }
}
