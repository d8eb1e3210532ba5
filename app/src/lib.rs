//! `app` — Switchboard's user interface.
//!
//! Rendered on the server (feature `ssr`), hydrated in the browser (feature
//! `hydrate`). The [`dashboard`] page holds one [`pane`] per pattern being
//! compared; each pane talks to its own simulation session over one
//! WebSocket ([`pane::feed`]); frames land in a plain buffer
//! ([`stage::playback`]) that the [`stage`] and the [`charts`] draw from
//! once per animation frame; [`controls`] change the runs; [`class`] is the
//! classroom; [`access`] and the pure [`describe`] tell the run in words.
//! The link ([`url`]) carries everything a run needs. Reactive signals
//! carry only what people read as text: parameter values, metric figures,
//! connection state.
//!
//! Folders depend downwards: `dashboard` → `controls`, `class` → `pane` →
//! `access` → `stage`, `charts` → `describe` → `url`, `json`, `format`
//! (and `sim`); `page` is the shared state they all may read.

#![recursion_limit = "256"]

pub mod access;
pub mod app;
pub mod charts;
pub mod class;
pub mod clock;
pub mod controls;
pub mod dashboard;
pub mod describe;
pub mod format;
pub mod json;
pub mod page;
pub mod pane;
pub mod stage;
pub mod startup;
pub mod url;

#[cfg(feature = "ssr")]
pub use app::shell;
pub use app::App;

/// Entry point of the WASM bundle: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
