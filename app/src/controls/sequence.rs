//! "Sequence diagram" under the timeline: a window of virtual seconds (two
//! unless another is chosen) before the moment shown, drawn by the server from the exact run as a
//! space-time diagram (a lane per node, an arrow per message; hover or
//! focus an arrow for its story; the conversation open in the inspector
//! drawn bold over the rest), shown here and downloadable as SVG.

use leptos::prelude::*;

use crate::controls::exports::post_export_body;
use crate::page::Page;

/// "0.25 s", "2 s".
fn secs(w: f64) -> String {
    format!("{} s", sim::params::fmt_num(w))
}

/// The windows one can pick, in virtual seconds.
const WINDOWS: [f64; 7] = [0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0];

/// The export request for pane A's diagram of the `window` seconds ending
/// at the moment shown.
fn diagram_request(page: Page, window: f64) -> Result<String, String> {
    let pane = page.panes().into_iter().next().ok_or("no pane to draw")?;
    let mut recipe = pane.recipe(page.seed.get_untracked());
    recipe.until = page.clock.exact.get_value().max(sim::time::MS);
    // The conversation open in the inspector is drawn over the rest.
    let chosen = pane
        .scene
        .with_value(|s| s.as_ref().and_then(|s| s.borrow().playback.highlight));
    Ok(crate::json::Object::new()
        .raw("recipe", &crate::json::recipe(&recipe))
        .str("format", "svg")
        .opt_int("req", chosen)
        .num("window_s", window)
        .done())
}

/// Asks the server for the diagram.
async fn fetch_diagram(page: Page, window: f64) -> Result<String, String> {
    let body = diagram_request(page, window)?;
    let (status, text) = crate::class::fetch_text("POST", "/api/export", Some(&body)).await?;
    if status != 200 || !text.starts_with("<svg") {
        return Err(text);
    }
    Ok(text)
}

/// The diagram's own summary (its `<title>`), for the caption.
fn summary(svg: &str) -> String {
    svg.split_once("<title>")
        .and_then(|(_, rest)| rest.split_once("</title>"))
        .map(|(t, _)| {
            t.replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
        })
        .unwrap_or_default()
}

#[component]
pub fn SequenceDiagram(page: Page) -> impl IntoView {
    let open = RwSignal::new(false);
    let window = RwSignal::new(2.0_f64);
    let diagram: RwSignal<Option<Result<String, String>>> = RwSignal::new(None);
    let load = move || {
        diagram.set(None);
        let w = window.get_untracked();
        leptos::task::spawn_local(async move { diagram.set(Some(fetch_diagram(page, w).await)) });
    };
    let span = move || secs(window.get());
    view! {
        <div class="sequence-diagram">
            <button data-testid="sequence" aria-expanded=move || open.get().to_string()
                title="The seconds before the moment shown: a lane per node, an arrow per message"
                on:click=move |_| {
                    let now = !open.get_untracked();
                    open.set(now);
                    if now { load(); }
                }>
                "Sequence diagram"
            </button>
            <Show when=move || open.get()>
                <label class="sequence-window">"Window "
                    <select data-testid="sequence-window" on:change=move |ev| {
                        if let Ok(w) = event_target_value(&ev).parse::<f64>() {
                            window.set(w);
                            load();
                        }
                    }>
                        {WINDOWS.iter().map(|&w| view! {
                            <option value=w.to_string() selected=move || window.get() == w>
                                {format!("{} before", secs(w))}
                            </option>
                        }).collect_view()}
                    </select>
                </label>
                <button data-testid="sequence-update" on:click=move |_| load()>"At this moment"</button>
                <button data-testid="sequence-svg" on:click=move |_| {
                    if let Ok(body) = diagram_request(page, window.get_untracked()) {
                        post_export_body(page, body)
                    }
                }>"Download SVG"</button>
                <figure data-testid="sequence-figure">
                    {move || match diagram.get() {
                        None => view! { <p>{move || format!("Drawing the run's last {} on the server…", span())}</p> }.into_any(),
                        Some(Err(e)) => view! { <p role="alert">{format!("No diagram: {e}")}</p> }.into_any(),
                        Some(Ok(svg)) => {
                            let said = summary(&svg);
                            view! {
                                <div class="sequence-view" data-testid="sequence-view" tabindex="0" role="region"
                                    aria-label="Sequence diagram, scrollable" inner_html=svg></div>
                                <figcaption data-testid="sequence-words">{said}</figcaption>
                            }.into_any()
                        }
                    }}
                </figure>
            </Show>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caption_is_the_diagrams_own_summary() {
        let svg = "<svg role=\"img\"><title>Polling &amp; more: 12 messages</title></svg>";
        assert_eq!(summary(svg), "Polling & more: 12 messages");
        assert_eq!(summary("<svg/>"), "");
    }
}
