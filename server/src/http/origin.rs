//! Which web pages may talk to the server: the WebSocket and every POST
//! check the browser's `Origin` header before anything else happens.
//!
//! A browser always names the page a WebSocket or a POST comes from. The
//! page this server served has an origin whose host is the `Host` the
//! request was sent to; anything else (another site's script, a cross-site
//! form) is refused with 403 before the upgrade or the body is read, unless
//! the host listed it with `--allow-origin`. Requests without an `Origin`
//! come from programs, not pages (curl, the CLI, tests), and pass.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The origins allowed besides the server's own.
#[derive(Clone, Debug, Default)]
pub struct Origins {
    /// Normalised (`scheme://host[:port]`, lower case, no trailing slash).
    allowed: Vec<String>,
}

impl Origins {
    pub fn new(allowed: &[String]) -> Origins {
        Origins {
            allowed: allowed.iter().map(|o| normalise(o)).collect(),
        }
    }

    /// Whether a request to `host` from a page at `origin` may go ahead.
    pub fn allows(&self, origin: &str, host: Option<&str>) -> bool {
        let origin = normalise(origin);
        let own = host.is_some_and(|h| {
            let h = h.to_ascii_lowercase();
            origin == format!("http://{h}") || origin == format!("https://{h}")
        });
        own || self.allowed.contains(&origin)
    }
}

fn normalise(o: &str) -> String {
    o.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// Whether `req` is one the origin check applies to.
fn guarded(req: &Request) -> bool {
    req.method() == Method::POST || req.uri().path() == "/ws"
}

/// Middleware: refuses cross-origin WebSockets and POSTs with 403.
pub async fn check(State(origins): State<Arc<Origins>>, req: Request, next: Next) -> Response {
    if guarded(&req) {
        if let Some(origin) = req.headers().get(header::ORIGIN) {
            let host = req
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok());
            let ok = origin.to_str().is_ok_and(|o| origins.allows(o, host));
            if !ok {
                let shown = sim::params::clip(origin.to_str().unwrap_or("(not text)")).into_owned();
                return (
                    StatusCode::FORBIDDEN,
                    format!(
                        "requests from pages at {shown} are not allowed here; \
                         the host can allow them with --allow-origin {shown}"
                    ),
                )
                    .into_response();
            }
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_host_and_listed_origins_pass_others_do_not() {
        let o = Origins::new(&["https://class.example.org/".into()]);
        assert!(o.allows("http://127.0.0.1:3000", Some("127.0.0.1:3000")));
        assert!(o.allows("HTTP://LOCALHOST:3000", Some("localhost:3000")));
        assert!(o.allows("https://class.example.org", Some("10.0.0.2:3000")));
        assert!(!o.allows("http://evil.example", Some("127.0.0.1:3000")));
        assert!(!o.allows("http://127.0.0.1:3001", Some("127.0.0.1:3000")));
        assert!(!o.allows("null", Some("127.0.0.1:3000")));
        assert!(!o.allows("http://127.0.0.1:3000", None));
    }
}
