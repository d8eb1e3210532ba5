//! The page's voice: the [`Announcer`] and the two polite live regions it
//! speaks through, taken in turn so that the same words said twice are
//! still heard (a region whose text does not change says nothing). Answers
//! to the user ("Describe now", a control's context) are said at once;
//! what a running pane says is decided once a second by `speech`.

use leptos::prelude::*;

use crate::describe::announcer::Announcer;
use crate::stage::scene::now_ms;

/// The ids of the two live regions (see `Dashboard`).
pub const REGIONS: [&str; 2] = ["announce-a", "announce-b"];

/// The page's voice: its announcer and which live region spoke last.
#[derive(Clone, Copy)]
pub struct Voice {
    announcer: StoredValue<Announcer, LocalStorage>,
    slot: StoredValue<usize>,
    /// The last words put in a live region (for the tests and the help).
    pub last: RwSignal<String>,
}

impl Default for Voice {
    fn default() -> Self {
        Voice {
            announcer: StoredValue::new_local(Announcer::default()),
            slot: StoredValue::new(0),
            last: RwSignal::new(String::new()),
        }
    }
}

impl Voice {
    /// Puts `text` in the next live region, emptying the other.
    pub fn speak(&self, text: &str) {
        let doc = document();
        let slot = (self.slot.get_value() + 1) % REGIONS.len();
        self.slot.set_value(slot);
        if let Some(old) = doc.get_element_by_id(REGIONS[1 - slot]) {
            old.set_text_content(None);
        }
        if let Some(now) = doc.get_element_by_id(REGIONS[slot]) {
            now.set_text_content(Some(text));
        }
        self.last.set(text.to_string());
    }

    /// Says `text` now: an answer to something the user did.
    pub fn answer(&self, text: String) {
        let text = self
            .announcer
            .try_update_value(|a| a.answer(now_ms(), text))
            .unwrap_or_default();
        self.speak(&text);
    }

    /// The announcer (the page's once-a-second reading offers it news).
    pub fn announcer(&self) -> StoredValue<Announcer, LocalStorage> {
        self.announcer
    }

    /// Whether a pane is restoring its state now (sound waits too).
    pub fn is_restoring(&self) -> bool {
        let now = now_ms();
        self.announcer.with_value(|a| a.is_restoring(now))
    }

    /// Pane `index` restores its state (a hello): quiet for a while.
    pub fn restoring(&self, index: usize) {
        let now = now_ms();
        self.announcer.update_value(|a| a.restoring(index, now));
    }
}
