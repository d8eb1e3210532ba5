//! The keyboard help overlay, with the page's own download rate.

use leptos::prelude::*;

use crate::format::fmt_rate;

/// The shortcuts, and what the page downloads while it is open.
#[component]
pub fn HelpOverlay(open: RwSignal<bool>) -> impl IntoView {
    // The page's own download rate, measured once a second while the help
    // is open.
    let rate = RwSignal::new(None::<f64>);
    Effect::new(move |_| {
        if !open.get() {
            return;
        }
        rate.set(None);
        let last = StoredValue::new((crate::feed::received_bytes(), crate::scene::now_ms()));
        let timer = set_interval_with_handle(
            move || {
                let (bytes, at) = (crate::feed::received_bytes(), crate::scene::now_ms());
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
    view! {
        {move || open.get().then(|| view! {
            <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="help-title" data-testid="help" on:click=move |_| open.set(false)>
                <div class="dialog" on:click=|e| e.stop_propagation()>
                    <h2 id="help-title">"Keyboard shortcuts"</h2>
                    <dl class="keys">
                        <dt><kbd>"Space"</kbd></dt><dd>"play / pause every pane"</dd>
                        <dt><kbd>"←"</kbd>" "<kbd>"→"</kbd></dt><dd>"slower / faster"</dd>
                        <dt><kbd>"1"</kbd>"–"<kbd>"9"</kbd></dt><dd>"switch pane A to the n-th pattern"</dd>
                        <dt><kbd>"P"</kbd></dt><dd>"projector mode (large type, high contrast, everything on one screen)"</dd>
                        <dt><kbd>"S"</kbd></dt><dd>"open or close the parameters drawer (projector mode)"</dd>
                        <dt><kbd>"F"</kbd></dt><dd>"pane A's stage and headline figures full screen"</dd>
                        <dt><kbd>"?"</kbd></dt><dd>"this help"</dd>
                        <dt><kbd>"Esc"</kbd></dt><dd>"close the help, the inspector, the drawer or full screen"</dd>
                    </dl>
                    <p>"Click any dot to see its whole conversation as a sequence diagram."</p>
                    <p class="download-rate" data-testid="download-rate">
                        {move || match rate.get() {
                            None => "This page's download rate: measuring…".to_string(),
                            Some(r) => format!("This page receives {} (all panes; a paused pane sends almost nothing).", fmt_rate(r)),
                        }}
                    </p>
                    <button class="primary" on:click=move |_| open.set(false)>"Close"</button>
                </div>
            </div>
        }.into_any())}
    }
}
