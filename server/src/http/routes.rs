//! The HTTP surface: page, assets, catalogue, exports and WebSocket, behind
//! the origin check and the security headers.

use std::net::SocketAddr;
use std::sync::Arc;

use app::{shell, App};
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Json, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;

use crate::http::origin::Origins;
use crate::shared::Shared;

/// Largest export request body: a recipe of `Limits::recipe_changes`
/// changes of a few dozen values each.
const MAX_EXPORT_BODY: usize = 4 * 1024 * 1024;
/// A sweep request is a few settings.
const MAX_SWEEP_BODY: usize = 16 * 1024;
/// Longest a request body may take to arrive: a client that announces a
/// body and sends it slowly (or never) would otherwise hold its connection
/// and task for as long as it likes. The largest body allowed (an export's
/// 4 MiB) takes well under a second on a class's network.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Leptos options for serving the built site from `site_root`. The page
/// names the content-hashed bundle when the build hashed it.
pub fn leptos_options(site_root: &str, addr: SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("switchboard")
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .env(leptos::config::Env::PROD)
        .hash_files(crate::http::assets::hash_file().is_some())
        .build()
}

/// `GET /api/patterns`: every pattern with its teaching text and parameters
/// (ids, names, units, ranges, defaults).
async fn patterns() -> Json<&'static [&'static sim::PatternInfo]> {
    Json(sim::catalogue())
}

/// The whole application.
pub fn router(options: LeptosOptions, shared: Arc<Shared>, origins: Origins) -> Router {
    let assets = crate::http::assets::router(
        &options.site_root,
        &options.site_pkg_dir,
        options.hash_files,
    );
    let routes = generate_route_list(App);
    let pages = Router::new()
        .leptos_routes(&options, routes, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options);
    let api = Router::new()
        .route("/api/patterns", get(patterns))
        .route(
            "/api/rooms",
            axum::routing::post(crate::http::rooms::create),
        )
        .route("/api/rooms/{code}", get(crate::http::rooms::describe))
        .route("/api/rooms/{code}/qr.svg", get(crate::http::rooms::qr))
        .route(
            "/api/rooms/{code}/answer",
            axum::routing::post(crate::http::rooms::answer),
        )
        .route(
            "/api/rooms/{code}/sketch",
            axum::routing::post(crate::http::rooms::sketch),
        )
        .route(
            "/api/rooms/{code}/sketches",
            get(crate::http::rooms::sketches),
        )
        .route(
            "/api/rooms/{code}/steer",
            axum::routing::post(crate::http::rooms::steer),
        )
        .route("/join/{code}", get(crate::http::rooms::join))
        .route(
            "/api/export",
            get(crate::export::export)
                .post(crate::export::export_recipe)
                .layer(DefaultBodyLimit::max(MAX_EXPORT_BODY)),
        )
        .route(
            "/api/sweep",
            axum::routing::post(crate::http::sweep::sweep)
                .layer(DefaultBodyLimit::max(MAX_SWEEP_BODY)),
        )
        .route(
            "/api/real",
            axum::routing::post(crate::http::real::real)
                .layer(DefaultBodyLimit::max(MAX_SWEEP_BODY)),
        )
        .route("/api/real/{id}/bytes", get(crate::http::real::bytes))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            BODY_TIMEOUT,
        ))
        .with_state(Arc::clone(&shared));
    let compressed = api.merge(pages).layer(CompressionLayer::new());
    // The WebSocket route and the precompressed bundle stay outside the
    // compression layer.
    let mut app = Router::new()
        .route("/ws", get(crate::http::socket::upgrade))
        .with_state(shared)
        .merge(assets)
        .merge(compressed)
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(origins),
            crate::http::origin::check,
        ));
    for layer in crate::http::headers::layers() {
        app = app.layer(layer);
    }
    app
}
