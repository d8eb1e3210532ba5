//! Security headers on every response: no sniffing, no framing, no referrer,
//! and a Content-Security-Policy on responses that did not set their own.
//!
//! The page sets its own policy while it is rendered (it carries the nonce
//! of its inline bootstrap script: see `app::app::content_security_policy`);
//! everything else the server answers (JSON, CSV, static files, refusals)
//! gets a policy that allows nothing to run.

use axum::http::{header, HeaderName, HeaderValue};
use tower_http::set_header::SetResponseHeaderLayer;

/// The policy of responses that are not the page.
pub const NOTHING_RUNS: &str = "default-src 'none'; frame-ancestors 'none'";

/// The layers that set the fixed headers, where a handler did not.
pub fn layers() -> [SetResponseHeaderLayer<HeaderValue>; 4] {
    let set = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    [
        set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        set(header::X_FRAME_OPTIONS, "DENY"),
        set(header::REFERRER_POLICY, "no-referrer"),
        set(header::CONTENT_SECURITY_POLICY, NOTHING_RUNS),
    ]
}
