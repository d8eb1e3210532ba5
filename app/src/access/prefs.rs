//! What this person chose for this device, kept in `localStorage` from one
//! page to the next: how much the page says aloud, whether single-key
//! shortcuts are on, whether the run makes sound, and whether the run's
//! description is shown on screen as well as to screen readers. A browser
//! that keeps nothing starts from the defaults on each page.

use leptos::prelude::*;

use crate::describe::announcer::Verbosity;
use crate::stage::machine::storage;

const VERBOSITY: &str = "switchboard.verbosity";
const SHORTCUTS: &str = "switchboard.single-key-shortcuts";
const SOUND: &str = "switchboard.sound";
const WORDS: &str = "switchboard.words-shown";

/// The device's choices, as signals the page reads.
#[derive(Clone, Copy)]
pub struct Prefs {
    /// How much is announced without being asked.
    pub verbosity: RwSignal<Verbosity>,
    /// Single-key shortcuts (P, S, F, D, ?, digits) are on; off, they need
    /// Alt+Shift (WCAG 2.1.4: speech input and screen readers use letters).
    pub shortcuts: RwSignal<bool>,
    /// Earcons and the queue's tone (off by default: a class shares one
    /// loudspeaker).
    pub sound: RwSignal<bool>,
    /// The run's description is shown under each stage, not only read.
    pub words_shown: RwSignal<bool>,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            verbosity: RwSignal::new(Verbosity::default()),
            shortcuts: RwSignal::new(true),
            sound: RwSignal::new(false),
            words_shown: RwSignal::new(false),
        }
    }
}

fn read(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

fn write(key: &str, value: &str) {
    if let Some(s) = storage() {
        // A full storage or a refusal forgets the choice at the next page.
        let _ = s.set_item(key, value);
    }
}

impl Prefs {
    /// Reads what this device remembers (call in the browser), then keeps
    /// every later choice.
    pub fn load(&self) {
        if let Some(v) = read(VERBOSITY).as_deref().and_then(Verbosity::from_id) {
            self.verbosity.set(v);
        }
        if let Some(v) = read(SHORTCUTS) {
            self.shortcuts.set(v != "off");
        }
        if let Some(v) = read(SOUND) {
            self.sound.set(v == "on");
        }
        if let Some(v) = read(WORDS) {
            self.words_shown.set(v == "on");
        }
        let me = *self;
        Effect::new(move |first: Option<()>| {
            let (v, k, s, w) = (
                me.verbosity.get(),
                me.shortcuts.get(),
                me.sound.get(),
                me.words_shown.get(),
            );
            if first.is_some() {
                write(VERBOSITY, v.id());
                write(SHORTCUTS, if k { "on" } else { "off" });
                write(SOUND, if s { "on" } else { "off" });
                write(WORDS, if w { "on" } else { "off" });
            }
        });
    }
}
