//! Which theme the canvases draw with: light, dark (the system asks for a
//! dark scheme), projector (projector mode) or forced (Windows high
//! contrast and other forced-colour modes), where the canvases take the
//! system's own colours, read from a probe element, as the rest of the
//! page does.

use wasm_bindgen::JsCast;

use crate::stage::palette::Theme;

/// The kinds of theme.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Look {
    #[default]
    Light,
    Dark,
    Projector,
    Forced,
}

fn media(query: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.match_media(query).ok().flatten())
        .is_some_and(|m| m.matches())
}

/// The look the page has now (`projector`: projector mode is on).
pub fn look(projector: bool) -> Look {
    if media("(forced-colors: active)") {
        Look::Forced
    } else if projector {
        Look::Projector
    } else if media("(prefers-color-scheme: dark)") {
        Look::Dark
    } else {
        Look::Light
    }
}

/// The colours of a look.
pub fn theme(look: Look) -> Theme {
    match look {
        Look::Light => Theme::light(),
        Look::Dark => Theme::dark(),
        Look::Projector => Theme::projector(),
        Look::Forced => forced().unwrap_or_else(Theme::light),
    }
}

/// The system's colours: text and lines in `CanvasText` on `Canvas`; what
/// went wrong (errors, drops, timeouts) in `Highlight`, which the system
/// keeps apart from both. Kinds stay apart by their shapes.
fn forced() -> Option<Theme> {
    let doc = web_sys::window()?.document()?;
    let body = doc.body()?;
    let probe: web_sys::HtmlElement = doc.create_element("span").ok()?.dyn_into().ok()?;
    let read = |css: &str, prop: &str| -> Option<String> {
        probe.set_attribute("style", css).ok()?;
        let style = web_sys::window()?.get_computed_style(&probe).ok()??;
        style.get_property_value(prop).ok()
    };
    body.append_child(&probe).ok()?;
    let text = read("color: CanvasText", "color");
    let canvas = read("color: Canvas", "color");
    let mark = read("color: Highlight", "color");
    probe.remove();
    let (text, canvas, mark) = (text?, canvas?, mark?);
    let t = |s: &String| s.clone();
    Some(Theme {
        stage: t(&canvas),
        panel: t(&canvas),
        surface: t(&canvas),
        ink: t(&text),
        muted: t(&text),
        track: t(&text),
        hues: [
            t(&text),
            t(&text),
            t(&mark),
            t(&text),
            t(&mark),
            t(&text),
            t(&text),
        ],
    })
}
