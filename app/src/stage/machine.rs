//! What the browser remembers about this machine from one page to the next:
//! whether its stage needed the low resolution ([`crate::stage::dots`]). Every
//! page learns that over seconds of slow frames, and on a slow laptop a
//! class loads many pages (adding or removing a pane loads one), so the
//! verdict is kept in `localStorage`. A browser that keeps nothing (storage
//! off, private mode) learns it again on each page, as before.

use crate::stage::dots::Verdict;

/// The `localStorage` key; present (any value) when the low resolution was
/// needed and no try of full resolution has held since.
const KEY: &str = "switchboard.stage.low-resolution";

/// This browser's `localStorage`, if it keeps anything.
pub(crate) fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Whether an earlier page found that this machine needs the low
/// resolution.
pub fn needs_low_resolution() -> bool {
    storage().is_some_and(|s| s.get_item(KEY).ok().flatten().is_some())
}

/// Keeps what a frame found out for the next page.
pub fn remember(verdict: Verdict) {
    let Some(s) = storage() else {
        return;
    };
    // A full storage or a refusal leaves the next page to learn again.
    let _ = match verdict {
        Verdict::NeedsLow => s.set_item(KEY, "1"),
        Verdict::FullHolds => s.remove_item(KEY),
    };
}
