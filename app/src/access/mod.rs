//! What lets every student follow the run beyond the picture: the page's
//! once-a-second reading into words and announcements (`speech`), the
//! announcer and its live regions (`voice`), this device's choices
//! (`prefs`) and the opt-in sound (`sound`). The words themselves come
//! from the pure `describe`.
//!
//! May use: `describe`, `stage` (readings of the playback buffer), `page`,
//! `pane::state`, `sim`.

pub mod prefs;
pub mod sound;
pub mod speech;
pub mod voice;
