//! The page's keyboard shortcuts (listed in the help): every one works with
//! Alt+Shift, whatever the focus is on but a text field; the same keys
//! without modifiers are single-key shortcuts, which the help can turn off
//! (WCAG 2.1.4: speech input and screen readers use single letters). A
//! student following the teacher keeps only the view's own keys.

use leptos::prelude::*;
use sim::catalogue;
use sim::wire::Control;
use wasm_bindgen::JsCast;

use crate::page::Page;

/// Speeds offered in the speed menu (and stepped through with ←/→).
pub const SPEEDS: [f64; 9] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0];

/// The overlays and modes the keys open and close.
#[derive(Clone, Copy)]
pub struct Toggles {
    pub help: RwSignal<bool>,
    pub drawer: RwSignal<bool>,
    pub projector: RwSignal<bool>,
}

/// What a key asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    PlayPause,
    Slower,
    Faster,
    Help,
    Close,
    Projector,
    Drawer,
    FullScreen,
    Describe,
    Pattern(usize),
    StepBack,
    StepOn,
    SecondBack,
    SecondOn,
    Live,
    Replay,
    Bookmark,
}

/// The action of a key: `key` as typed, `code` the physical key (Alt
/// changes what some layouts type), `chord` whether Alt+Shift is held.
fn action(key: &str, code: &str, chord: bool) -> Option<Action> {
    if key == "Escape" {
        return Some(Action::Close);
    }
    let name = if chord {
        match code {
            "KeyK" | "Space" => " ",
            "ArrowLeft" => "ArrowLeft",
            "ArrowRight" => "ArrowRight",
            "KeyH" | "Slash" => "?",
            "KeyP" => "p",
            "KeyS" => "s",
            "KeyF" => "f",
            "KeyD" => "d",
            "Comma" => ",",
            "Period" => ".",
            "BracketLeft" => "[",
            "BracketRight" => "]",
            "KeyL" => "l",
            "KeyR" => "r",
            "KeyB" => "b",
            c => c.strip_prefix("Digit").unwrap_or(""),
        }
    } else {
        key
    };
    Some(match name {
        " " => Action::PlayPause,
        "ArrowLeft" => Action::Slower,
        "ArrowRight" => Action::Faster,
        "?" => Action::Help,
        "p" | "P" => Action::Projector,
        "s" | "S" => Action::Drawer,
        "f" | "F" => Action::FullScreen,
        "d" | "D" => Action::Describe,
        "," => Action::StepBack,
        "." => Action::StepOn,
        "[" => Action::SecondBack,
        "]" => Action::SecondOn,
        "l" | "L" => Action::Live,
        "r" | "R" => Action::Replay,
        "b" | "B" => Action::Bookmark,
        d if d.len() == 1 && d.as_bytes()[0].is_ascii_digit() && d != "0" => {
            Action::Pattern((d.as_bytes()[0] - b'1') as usize)
        }
        _ => return None,
    })
}

/// Listens for the shortcuts for the life of the page.
pub fn listen(page: Page, toggles: Toggles) {
    let Toggles {
        help,
        drawer,
        projector,
    } = toggles;
    // The handle is dropped on purpose: the listener lives as long as the page.
    let _keys = window_event_listener(leptos::ev::keydown, move |e| {
        let target = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
        let tag = target.as_ref().map(|el| el.tag_name()).unwrap_or_default();
        let typing = matches!(tag.as_str(), "INPUT" | "SELECT" | "TEXTAREA");
        let chord = e.alt_key() && e.shift_key() && !e.ctrl_key() && !e.meta_key();
        if typing && !chord {
            return;
        }
        if !chord && (e.ctrl_key() || e.meta_key() || e.alt_key()) {
            return;
        }
        // A focused button takes Space itself; Escape always closes.
        if !chord && tag == "BUTTON" && e.key() == " " {
            return;
        }
        let Some(act) = action(&e.key(), &e.code(), chord) else {
            return;
        };
        if !chord && act != Action::Close && !page.prefs.shortcuts.get_untracked() {
            return;
        }
        // Following the teacher: only the view's own keys.
        let view_only = matches!(
            act,
            Action::Help
                | Action::Close
                | Action::Projector
                | Action::FullScreen
                | Action::Describe
        );
        if page.following() && act == Action::PlayPause {
            // A follower's Space holds their own view still.
            e.prevent_default();
            page.held.update(|h| *h = !*h);
            return;
        }
        if page.following() && !view_only {
            return;
        }
        match act {
            Action::PlayPause => {
                e.prevent_default();
                if !page.hold.get_untracked() {
                    page.toggle();
                }
            }
            Action::Slower | Action::Faster => {
                e.prevent_default();
                let now = page.speed.get_untracked();
                let i = SPEEDS.iter().position(|&s| s >= now).unwrap_or(4);
                let next = if act == Action::Slower {
                    SPEEDS[i.saturating_sub(1)]
                } else {
                    SPEEDS[(i + 1).min(SPEEDS.len() - 1)]
                };
                page.set_speed(next);
            }
            Action::Help => help.update(|h| *h = !*h),
            Action::Close => {
                help.set(false);
                drawer.set(false);
                page.inspect.set(None);
                if document().fullscreen_element().is_some() {
                    document().exit_fullscreen();
                }
            }
            Action::Projector => projector.update(|p| *p = !*p),
            Action::Drawer => drawer.update(|d| *d = !*d),
            Action::FullScreen => crate::pane::view::show_full_screen(0),
            Action::Describe => {
                e.prevent_default();
                page.voice
                    .answer(crate::access::speech::describe_now(&page));
            }
            Action::StepBack => crate::controls::timeline::step_back(page),
            Action::StepOn => {
                if page.playing.get_untracked() {
                    page.set_playing(false);
                }
                page.send_all(Control::Step);
            }
            Action::SecondBack | Action::SecondOn => {
                if page.playing.get_untracked() {
                    page.set_playing(false);
                }
                let dt = if act == Action::SecondBack { -1.0 } else { 1.0 };
                crate::controls::timeline::nudge(page, dt);
            }
            Action::Live => crate::controls::timeline::live(page),
            Action::Replay => crate::controls::timeline::replay(page),
            Action::Bookmark => crate::controls::timeline::bookmark(page),
            Action::Pattern(n) => {
                if let (Some(info), Some(a)) = (catalogue().get(n), page.panes().first()) {
                    a.commands.send(Control::Pattern {
                        id: info.id.to_string(),
                    });
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_keys_and_their_alt_shift_chords_mean_the_same() {
        for (key, code, act) in [
            (" ", "Space", Action::PlayPause),
            ("p", "KeyP", Action::Projector),
            ("?", "Slash", Action::Help),
            ("d", "KeyD", Action::Describe),
            ("3", "Digit3", Action::Pattern(2)),
            ("ArrowLeft", "ArrowLeft", Action::Slower),
        ] {
            assert_eq!(action(key, code, false), Some(act), "{key}");
            // With Alt+Shift the layout may type anything: the code decides.
            assert_eq!(action("Ω", code, true), Some(act), "{code}");
        }
        assert_eq!(action("K", "KeyK", true), Some(Action::PlayPause));
        assert_eq!(action("k", "KeyK", false), None);
        assert_eq!(action("Escape", "Escape", false), Some(Action::Close));
        assert_eq!(action("0", "Digit0", false), None);
    }
}
