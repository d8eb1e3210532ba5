//! The page shell (server-rendered HTML document) and the root component.

use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags};

use crate::dashboard::Dashboard;

/// The Content-Security-Policy of the page: scripts only from this origin
/// or carrying this response's nonce (the inline bootstrap Leptos writes),
/// WebAssembly allowed to compile (`'wasm-unsafe-eval'`, never
/// `'unsafe-eval'`), connections only to this server, no framing.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Sets the page's Content-Security-Policy header with this response's
/// nonce (the server integration makes one per response).
#[cfg(feature = "ssr")]
fn send_content_security_policy() {
    use leptos_axum::ResponseOptions;
    let (Some(nonce), Some(response)) =
        (leptos::nonce::use_nonce(), use_context::<ResponseOptions>())
    else {
        return;
    };
    if let Ok(value) = http::HeaderValue::from_str(&content_security_policy(&nonce.to_string())) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The HTML document the server renders around the app.
///
/// Erased (`AnyView`) on the server: the concrete type of the whole page
/// tree would otherwise reach every axum route future, whose symbol names
/// then run to megabytes (1.4 GB test binaries). Only the server renders
/// the shell, so the browser's build leaves it out (erasing the whole page
/// there would pull in `AnyView`'s async hydration for all of it).
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> AnyView {
    send_content_security_policy();
    provide_meta_context();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="description" content="Switchboard: a live lab for API communication patterns." />
                <title>"Switchboard — API communication patterns, live"</title>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
    .into_any()
}

/// The page. Erased on the server for the same reason as [`shell`] (its
/// route list is generated from it); in the browser it keeps its concrete
/// type, which hydrates with less code than `AnyView`.
///
/// The title is the shell's, so the browser's build carries no
/// `leptos_meta`.
#[component]
pub fn App() -> impl IntoView {
    let view = view! { <Dashboard /> };
    #[cfg(feature = "ssr")]
    let view = view.into_any();
    view
}
