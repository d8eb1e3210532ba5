//! A modal dialog that keyboards and screen readers can use: focus moves
//! into it when it opens (to the dialog itself, so its name is read
//! first), Tab and Shift+Tab stay inside it, Esc closes it where closing
//! is allowed, and focus returns to what had it when the dialog closes.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// What Tab moves between inside a dialog.
const FOCUSABLE: &str =
    "button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea, [tabindex]:not([tabindex='-1'])";

/// The element that has focus, if it is one that can take it back.
fn focused() -> Option<web_sys::HtmlElement> {
    document()
        .active_element()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        .filter(|e| e.tag_name() != "BODY")
}

/// Keeps Tab inside `dialog`: past the last control to the first, before
/// the first to the last.
fn keep_tab_inside(dialog: &web_sys::HtmlElement, ev: &web_sys::KeyboardEvent) {
    if ev.key() != "Tab" {
        return;
    }
    let Ok(list) = dialog.query_selector_all(FOCUSABLE) else {
        return;
    };
    let items: Vec<web_sys::HtmlElement> = (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        .collect();
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        ev.prevent_default();
        return;
    };
    let active = focused();
    let at = |e: &web_sys::HtmlElement| active.as_ref().is_some_and(|a| a == e);
    let outside = active.as_ref().is_none_or(|a| !dialog.contains(Some(a)));
    if ev.shift_key() && (at(first) || outside || active.as_ref().is_some_and(|a| a == dialog)) {
        ev.prevent_default();
        let _ = last.focus();
    } else if !ev.shift_key() && (at(last) || outside) {
        ev.prevent_default();
        let _ = first.focus();
    }
}

/// A modal dialog named by the element `labelledby`; `close` (Esc, a
/// click outside) where the dialog may be dismissed without an answer.
#[component]
pub fn Modal(
    labelledby: &'static str,
    testid: &'static str,
    #[prop(optional)] close: Option<Callback<()>>,
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<html::Div>::new();
    let opener = StoredValue::new_local(None::<web_sys::HtmlElement>);
    Effect::new(move |_| {
        if let Some(d) = dialog.get() {
            opener.set_value(focused());
            let _ = d.focus();
        }
    });
    on_cleanup(move || {
        // Back where the reader was, if it is still on the page.
        if let Some(o) = opener.try_get_value().flatten() {
            if o.is_connected() {
                let _ = o.focus();
            }
        }
    });
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            if let Some(c) = close {
                ev.stop_propagation();
                c.run(());
            }
            return;
        }
        if let Some(d) = dialog.get_untracked() {
            keep_tab_inside(&d, &ev);
        }
    };
    view! {
        <div class="overlay" data-testid=testid on:click=move |_| {
            if let Some(c) = close {
                c.run(());
            }
        }>
            <div class="dialog" node_ref=dialog role="dialog" aria-modal="true" aria-labelledby=labelledby
                tabindex="-1" on:click=|e| e.stop_propagation() on:keydown=on_key>
                {children()}
            </div>
        </div>
    }
}
