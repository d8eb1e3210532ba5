//! `app` — Switchboard's user interface.
//!
//! Rendered on the server (feature `ssr`), hydrated in the browser (feature
//! `hydrate`). The page talks to its own simulation session over one
//! WebSocket ([`feed`]); frames land in a plain buffer ([`playback`]) that the
//! canvas ([`stage`]) and the charts ([`charts`]) draw from once per
//! animation frame. Reactive signals carry only what people read as text:
//! parameter values, metric figures, connection state.

pub mod app;
pub mod charts;
pub mod commands;
pub mod controls;
pub mod dashboard;
pub mod explain;
pub mod feed;
pub mod layout;
pub mod palette;
pub mod playback;
pub mod series;
pub mod stage;

pub use app::{shell, App};

/// Entry point of the WASM bundle: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
