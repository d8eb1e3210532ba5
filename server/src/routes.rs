//! The HTTP surface: page, assets, catalogue, exports and WebSocket.

use std::net::SocketAddr;

use app::{shell, App};
use axum::routing::get;
use axum::{Json, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;

use crate::viewer;

/// Leptos options for serving the built site from `site_root`.
pub fn leptos_options(site_root: &str, addr: SocketAddr) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("switchboard")
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .env(leptos::config::Env::PROD)
        .build()
}

/// `GET /api/patterns`: every pattern with its teaching text and parameters
/// (ids, names, units, ranges, defaults).
async fn patterns() -> Json<&'static [&'static sim::PatternInfo]> {
    Json(sim::catalogue())
}

/// The whole application.
pub fn router(options: LeptosOptions) -> Router {
    let routes = generate_route_list(App);
    let pages = Router::new()
        .route("/api/patterns", get(patterns))
        .route(
            "/api/export",
            get(crate::export::export).post(crate::export::export_recipe),
        )
        .leptos_routes(&options, routes, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .layer(CompressionLayer::new())
        .with_state(options);
    // The WebSocket route stays outside the compression layer.
    Router::new()
        .route("/ws", get(viewer::upgrade))
        .merge(pages)
}
