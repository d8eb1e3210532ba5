//! The page's keyboard shortcuts (see the help overlay), ignored while
//! typing in a field; a student following the teacher keeps only the
//! view's own keys.

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

/// Listens for the shortcuts for the life of the page.
pub fn listen(page: Page, toggles: Toggles) {
    let Toggles {
        help,
        drawer,
        projector,
    } = toggles;
    // The handle is dropped on purpose: the listener lives as long as the page.
    let _keys = window_event_listener(leptos::ev::keydown, move |e| {
        let typing = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| {
                matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA")
                    || (el.tag_name() == "BUTTON" && e.key() == " ")
            });
        if typing || e.ctrl_key() || e.meta_key() || e.alt_key() {
            return;
        }
        let key = e.key();
        // Following the teacher: only the view's own keys.
        if page.following() && !matches!(key.as_str(), "?" | "Escape" | "p" | "P" | "f" | "F") {
            return;
        }
        match key.as_str() {
            " " => {
                e.prevent_default();
                if !page.hold.get_untracked() {
                    page.toggle();
                }
            }
            "ArrowLeft" | "ArrowRight" => {
                e.prevent_default();
                let now = page.speed.get_untracked();
                let i = SPEEDS.iter().position(|&s| s >= now).unwrap_or(4);
                let next = if key == "ArrowLeft" {
                    SPEEDS[i.saturating_sub(1)]
                } else {
                    SPEEDS[(i + 1).min(SPEEDS.len() - 1)]
                };
                page.set_speed(next);
            }
            "?" => help.update(|h| *h = !*h),
            "Escape" => {
                help.set(false);
                drawer.set(false);
                page.inspect.set(None);
                if document().fullscreen_element().is_some() {
                    document().exit_fullscreen();
                }
            }
            "p" | "P" => projector.update(|p| *p = !*p),
            "s" | "S" => drawer.update(|d| *d = !*d),
            "f" | "F" => crate::pane::show_full_screen(0),
            d if d.len() == 1 && d.as_bytes()[0].is_ascii_digit() && d != "0" => {
                let n = (d.as_bytes()[0] - b'1') as usize;
                if let (Some(info), Some(a)) = (catalogue().get(n), page.panes().first()) {
                    a.commands.send(Control::Pattern {
                        id: info.id.to_string(),
                    });
                }
            }
            _ => {}
        }
    });
}
