//! The charts and figures a pane shows: the four canvas charts (their
//! drawing, `canvas`; their data, `series`; what each plots,
//! `pane_charts`), the text figures and tiles (`figures`), how often they
//! follow the metrics (`figure_pace`), the closed forms written beside
//! the measurement (`laws`), the whole run downsampled (`whole_run`) and a
//! what-if sweep's curve (`sweep`).
//!
//! May use: `sim`, `format`, `stage::palette` (hues). Knows nothing of
//! panes or the page.

pub mod canvas;
pub mod figure_pace;
pub mod figures;
pub mod laws;
pub mod pane_charts;
pub mod series;
pub mod sweep;
pub mod whole_run;
