//! The help: keyboard shortcuts, this device's accessibility settings
//! (what is said aloud, single-key shortcuts, sound, the run in words on
//! screen) and the page's own download rate.

use leptos::prelude::*;

use crate::controls::modal::Modal;
use crate::describe::announcer::Verbosity;
use crate::format::fmt_rate;
use crate::page::Page;

/// The shortcuts and settings, and what the page downloads while open.
#[component]
pub fn HelpOverlay(open: RwSignal<bool>, page: Page) -> impl IntoView {
    // The page's own download rate, measured once a second while the help
    // is open.
    let rate = RwSignal::new(None::<f64>);
    Effect::new(move |_| {
        if !open.get() {
            return;
        }
        rate.set(None);
        let last = StoredValue::new((
            crate::pane::feed::received_bytes(),
            crate::stage::scene::now_ms(),
        ));
        let timer = set_interval_with_handle(
            move || {
                let (bytes, at) = (
                    crate::pane::feed::received_bytes(),
                    crate::stage::scene::now_ms(),
                );
                let (b0, t0) = last.get_value();
                last.set_value((bytes, at));
                if at > t0 {
                    rate.set(Some((bytes - b0) as f64 * 1000.0 / (at - t0)));
                }
            },
            std::time::Duration::from_secs(1),
        )
        .ok();
        on_cleanup(move || {
            if let Some(t) = timer {
                t.clear();
            }
        });
    });
    let prefs = page.prefs;
    let close = Callback::new(move |()| open.set(false));
    let shown = Memo::new(move |_| open.get());
    view! {
        {move || shown.get().then(|| view! {
            <Modal labelledby="help-title" testid="help" close>
                <h2 id="help-title">"Keyboard and accessibility"</h2>
                <p class="help-note">"Every shortcut also works with Alt+Shift (Alt+Shift+K plays and pauses), even with single-key shortcuts off."</p>
                <dl class="keys">
                    <dt><kbd>"Space"</kbd>" or "<kbd>"Alt+Shift+K"</kbd></dt><dd>"play / pause every pane"</dd>
                    <dt><kbd>"←"</kbd>" "<kbd>"→"</kbd></dt><dd>"slower / faster"</dd>
                    <dt><kbd>","</kbd>" "<kbd>"."</kbd></dt><dd>"step back / on by exactly one action (pauses)"</dd>
                    <dt><kbd>"["</kbd>" "<kbd>"]"</kbd></dt><dd>"one virtual second back / on"</dd>
                    <dt><kbd>"R"</kbd></dt><dd>"replay the last 10 s at ¼ speed"</dd>
                    <dt><kbd>"B"</kbd></dt><dd>"bookmark the moment shown (with the label typed beside the button)"</dd>
                    <dt><kbd>"L"</kbd></dt><dd>"back to live (the furthest the run has gone)"</dd>
                    <dt><kbd>"1"</kbd>"–"<kbd>"9"</kbd></dt><dd>"switch pane A to the n-th pattern"</dd>
                    <dt><kbd>"D"</kbd></dt><dd>"describe the run now, in words (read by your screen reader)"</dd>
                    <dt><kbd>"P"</kbd></dt><dd>"projector mode (large type, high contrast, everything on one screen)"</dd>
                    <dt><kbd>"S"</kbd></dt><dd>"open or close the parameters drawer (projector mode)"</dd>
                    <dt><kbd>"F"</kbd></dt><dd>"pane A's stage and headline figures full screen"</dd>
                    <dt><kbd>"?"</kbd>" or "<kbd>"Alt+Shift+H"</kbd></dt><dd>"this help"</dd>
                    <dt><kbd>"Esc"</kbd></dt><dd>"close the help, the inspector, the drawer or full screen"</dd>
                    <dt>"Sliders"</dt><dd>"arrow keys step, Page Up / Page Down step by a tenth, Home / End go to the ends; the change is described when you stop"</dd>
                </dl>
                <fieldset class="settings" data-testid="settings">
                    <legend>"On this device"</legend>
                    <label class="setting">
                        <span>"Say aloud while the run plays"</span>
                        <select data-testid="verbosity" on:change=move |ev| {
                            if let Some(v) = Verbosity::from_id(&event_target_value(&ev)) {
                                prefs.verbosity.set(v);
                            }
                        }>
                            {Verbosity::ALL.into_iter().map(|v| view! {
                                <option value=v.id() selected=move || prefs.verbosity.get() == v>{v.label()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <Check testid="single-key" on=prefs.shortcuts label="Single-key shortcuts (off: Alt+Shift and the key)" />
                    <Check testid="sound" on=prefs.sound label="Sound: a tone for each completed, dropped or timed-out request, and the queue's depth as pitch" />
                    <Check testid="words-shown" on=prefs.words_shown label="Show the run in words under each stage" />
                </fieldset>
                <p>"Click any dot, or pick one from “Inspect a recent request”, to read its whole conversation."</p>
                <p class="download-rate" data-testid="download-rate">
                    {move || match rate.get() {
                        None => "This page's download rate: measuring…".to_string(),
                        Some(r) => format!("This page receives {} (all panes; a paused pane sends almost nothing).", fmt_rate(r)),
                    }}
                </p>
                <button class="primary" on:click=move |_| open.set(false)>"Close"</button>
            </Modal>
        }.into_any())}
    }
}

/// One of the device's on/off settings.
#[component]
fn Check(testid: &'static str, on: RwSignal<bool>, label: &'static str) -> impl IntoView {
    view! {
        <label class="setting check">
            <input type="checkbox" data-testid=testid prop:checked=move || on.get()
                on:change=move |ev| on.set(event_target_checked(&ev)) />
            <span>{label}</span>
        </label>
    }
}
