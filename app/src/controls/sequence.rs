//! "Sequence diagram" under the timeline: the two virtual seconds before
//! the moment shown, drawn by the server from the exact run as a
//! space-time diagram (a lane per node, an arrow per message; hover or
//! focus an arrow for its story; the conversation open in the inspector
//! drawn bold over the rest), shown here and downloadable as SVG.

use leptos::prelude::*;

use crate::controls::exports::post_export;
use crate::page::Page;

/// Asks the server for pane A's diagram ending at the moment shown.
async fn fetch_diagram(page: Page) -> Result<String, String> {
    let pane = page.panes().into_iter().next().ok_or("no pane to draw")?;
    let mut recipe = pane.recipe(page.seed.get_untracked());
    recipe.until = page.clock.exact.get_value().max(sim::time::MS);
    // The conversation open in the inspector is drawn over the rest.
    let chosen = pane
        .scene
        .with_value(|s| s.as_ref().and_then(|s| s.borrow().playback.highlight));
    let body = crate::json::Object::new()
        .raw("recipe", &crate::json::recipe(&recipe))
        .str("format", "svg")
        .opt_int("req", chosen)
        .done();
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
    let diagram: RwSignal<Option<Result<String, String>>> = RwSignal::new(None);
    let load = move || {
        diagram.set(None);
        leptos::task::spawn_local(async move { diagram.set(Some(fetch_diagram(page).await)) });
    };
    view! {
        <div class="sequence-diagram">
            <button data-testid="sequence" aria-expanded=move || open.get().to_string()
                title="The 2 s before the moment shown: a lane per node, an arrow per message"
                on:click=move |_| {
                    let now = !open.get_untracked();
                    open.set(now);
                    if now { load(); }
                }>
                "Sequence diagram"
            </button>
            <Show when=move || open.get()>
                <button data-testid="sequence-update" on:click=move |_| load()>"At this moment"</button>
                <button data-testid="sequence-svg" on:click=move |_| {
                    if let Some(p) = page.panes().first() { post_export(page, p, "svg") }
                }>"Download SVG"</button>
                <figure data-testid="sequence-figure">
                    {move || match diagram.get() {
                        None => view! { <p>"Drawing the run's last 2 s on the server…"</p> }.into_any(),
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
