//! `app` — Switchboard's user interface.
//!
//! Rendered on the server (feature `ssr`), hydrated in the browser (feature
//! `hydrate`). The [`dashboard`] page holds one [`pane`] per pattern being
//! compared; each pane talks to its own simulation session over one
//! WebSocket ([`feed`]); frames land in a plain buffer ([`playback`]) that the
//! canvas ([`stage`]) and the charts ([`charts`]) draw from once per
//! animation frame. The link ([`url`]) carries everything a run needs. Reactive signals carry only what people read as text:
//! parameter values, metric figures, connection state.

#![recursion_limit = "256"]

pub mod app;
pub mod charts;
pub mod class;
pub mod commands;
pub mod controls;
pub mod dashboard;
pub mod describe;
pub mod dots;
pub mod explain;
pub mod exports;
pub mod feed;
pub mod figure_pace;
pub mod figures;
pub mod format;
pub mod help;
pub mod inspector;
pub mod json;
pub mod keys;
pub mod laws;
pub mod layout;
pub mod machine;
pub mod modal;
pub mod page;
pub mod palette;
pub mod pane;
pub mod pane_charts;
pub mod pane_state;
pub mod parameters;
pub mod playback;
pub mod prefs;
pub mod presets;
pub mod prompt;
pub mod scene;
pub mod series;
pub mod sound;
pub mod speech;
pub mod stage;
pub mod startup;
pub mod stream;
pub mod theme;
pub mod topbar;
pub mod transport;
pub mod url;
pub mod voice;
pub mod watch;

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
