//! A pane's canvases as the browser reports them: on screen or not, and
//! their size.
//!
//! The animation frame must neither draw what nobody can see nor ask the
//! page for a canvas's size (reading `clientWidth` after the text figures
//! changed forces a layout in the middle of the frame). So each canvas is
//! watched by an `IntersectionObserver` (on screen?) and a `ResizeObserver`
//! (how big, in CSS pixels), and the frame reads plain cells.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{
    CanvasRenderingContext2d, HtmlCanvasElement, IntersectionObserver, IntersectionObserverEntry,
    ResizeObserver, ResizeObserverEntry,
};

/// One canvas, its 2D context and what the observers last said.
pub struct Canvas {
    pub el: HtmlCanvasElement,
    pub ctx: CanvasRenderingContext2d,
    /// CSS size from the `ResizeObserver`; (0, 0) until it first reports.
    size: Cell<(f64, f64)>,
    /// Intersects the viewport. Until the observer first reports, assumed
    /// visible, so nothing waits for it to be drawn.
    visible: Cell<bool>,
    /// Came back on screen or changed size since it was last drawn: its
    /// picture is out of date even if its data is not.
    stale: Cell<bool>,
}

impl Canvas {
    pub fn new(el: HtmlCanvasElement) -> Option<Self> {
        let ctx = el.get_context("2d").ok()??.dyn_into().ok()?;
        Some(Canvas {
            el,
            ctx,
            size: Cell::new((0.0, 0.0)),
            visible: Cell::new(true),
            stale: Cell::new(true),
        })
    }

    pub fn visible(&self) -> bool {
        self.visible.get()
    }

    /// Takes the "must be redrawn" flag.
    pub fn take_stale(&self) -> bool {
        self.stale.replace(false)
    }

    /// Matches the backing store to the CSS size and the device pixel ratio
    /// `dpr` and sets the transform; returns the CSS size. Measures the
    /// element itself only before the observer has reported.
    pub fn fit(&self, dpr: f64) -> (f64, f64) {
        let (mut w, mut h) = self.size.get();
        if w == 0.0 || h == 0.0 {
            w = self.el.client_width().max(1) as f64;
            h = self.el.client_height().max(1) as f64;
        }
        let (pw, ph) = ((w * dpr).round() as u32, (h * dpr).round() as u32);
        if self.el.width() != pw || self.el.height() != ph {
            self.el.set_width(pw);
            self.el.set_height(ph);
            self.stale.set(true);
        }
        let _ = self.ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
        (w, h)
    }
}

/// An observer callback: for each entry (of type `E`) whose target is one
/// of `canvases`, calls `update` with the entry and that canvas.
fn on_entries<E: JsCast + 'static>(
    canvases: &[Rc<Canvas>],
    target: fn(&E) -> web_sys::Element,
    update: fn(&E, &Canvas),
) -> Closure<dyn FnMut(js_sys::Array)> {
    let canvases = canvases.to_vec();
    Closure::new(move |entries: js_sys::Array| {
        for entry in entries.iter() {
            let entry: E = entry.unchecked_into();
            let el = target(&entry);
            if let Some(c) = canvases.iter().find(|c| c.el.is_same_node(Some(&el))) {
                update(&entry, c);
            }
        }
    })
}

/// Starts observing `canvases` for the life of the page.
pub fn observe(canvases: Vec<Rc<Canvas>>) {
    let on_resize = on_entries(&canvases, ResizeObserverEntry::target, |entry, c| {
        let r = entry.content_rect();
        c.size.set((r.width().max(1.0), r.height().max(1.0)));
        c.stale.set(true);
    });
    let on_view = on_entries(&canvases, IntersectionObserverEntry::target, |entry, c| {
        let now = entry.is_intersecting();
        if now && !c.visible.get() {
            c.stale.set(true);
        }
        c.visible.set(now);
    });
    let resize = ResizeObserver::new(on_resize.as_ref().unchecked_ref()).ok();
    let view = IntersectionObserver::new(on_view.as_ref().unchecked_ref()).ok();
    for c in &canvases {
        if let Some(r) = &resize {
            r.observe(&c.el);
        }
        if let Some(v) = &view {
            v.observe(&c.el);
        }
    }
    // The panes live as long as the page (changing them reloads it).
    on_resize.forget();
    on_view.forget();
}
