//! The stage: everything that turns a pane's events into the picture of
//! messages moving — the plain playback buffer the frames feed
//! (`playback`), node positions (`layout`), the animation frame's scene
//! and what it redraws (`scene`), the canvas drawing and hit-testing
//! (`paint`), how many dots this machine can draw (`dots`, remembered by
//! `machine`), each canvas's size and visibility (`watch`), and the
//! colours (`palette`, `theme`).
//!
//! May use: `sim`, `charts` (the scene draws a pane's charts in the same
//! frame), `format`. Knows nothing of panes, the page or the class.

pub mod dots;
pub mod layout;
pub mod machine;
pub mod paint;
pub mod palette;
pub mod playback;
pub mod scene;
pub mod theme;
pub mod watch;
