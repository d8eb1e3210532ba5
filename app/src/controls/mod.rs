//! What the teacher (or a student exploring) operates: a control per
//! parameter (`param`) and the parameters panel (`parameters`), the
//! transport bar (`transport`), the top bar (`topbar`), the keyboard
//! shortcuts (`keys`), the help and its settings (`help`), the classroom
//! scenarios (`presets`) and their prompt (`prompt`), modal dialogs
//! (`modal`), the exports (`exports`), the timeline (`timeline`) and the
//! whole run's charts, the sequence diagram, the what-if sweep and the
//! real run beside the model under it (`whole_run`, `sequence`, `sweep`,
//! `real`).
//!
//! May use: `page`, `pane`, `class`, `access`, `describe`, `url`,
//! `json`, `format`, `sim`, and `charts` and `stage::theme` to draw.

pub mod exports;
pub mod help;
pub mod keys;
pub mod modal;
pub mod param;
pub mod parameters;
pub mod presets;
pub mod prompt;
pub mod real;
pub mod sequence;
pub mod sweep;
pub mod timeline;
pub mod topbar;
pub mod transport;
pub mod whole_run;
