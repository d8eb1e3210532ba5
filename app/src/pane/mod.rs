//! One pane: a pattern's own session and how it is shown. Its reactive
//! state (`state`), its WebSocket (`feed`) and what each frame does to it
//! (`stream`), the controls it sends (`commands`), its view (`view`), the
//! inspector's conversation (`inspector`) and the pattern's explanation
//! (`explain`).
//!
//! May use: `stage`, `charts`, `describe`, `access`, `page`, `url`,
//! `json`, `format`. The page holds panes; a pane reaches the page only
//! through `page::Page`.

pub mod commands;
pub mod explain;
pub mod feed;
pub mod inspector;
pub mod state;
pub mod stream;
pub mod view;
