//! "Whole run" under the timeline: pane A's run from its start to as far
//! as it has gone, in two charts — waiting time (p50, p95) and completed
//! per second — with every second's extremes kept at any width and the
//! live changes marked. The figures are the server's replay of the page's
//! recipe (the CSV export), so they are every event's, not the dots'.

use leptos::html::Canvas;
use leptos::prelude::*;

use crate::charts::canvas::{self, ChartSpec, ChartView};
use crate::charts::whole_run::{envelope, parse_csv, takeaway, windows, Second, Window};
use crate::page::Page;

/// Points per line at most: two per bucket, a bucket per ~3 CSS px.
const BUCKETS: usize = 200;

const WAIT: ChartSpec<'static> = ChartSpec {
    title: "Waiting time, whole run",
    unit: "ms",
    names: &["p50", "p95"],
    dashed: &[],
    stacked: false,
    colours: &[],
};

const DONE: ChartSpec<'static> = ChartSpec {
    title: "Completed per second, whole run",
    unit: "/s",
    names: &["completed"],
    dashed: &[],
    stacked: false,
    colours: &[],
};

/// Asks the server to replay pane A's run to its head and reads the rows.
async fn fetch_run(page: Page) -> Result<Vec<Second>, String> {
    let pane = page.panes().into_iter().next().ok_or("no pane to chart")?;
    let mut recipe = pane.recipe(page.seed.get_untracked());
    recipe.until = page
        .clock
        .head_exact
        .get_value()
        .max(recipe.until)
        .max(sim::time::SECOND);
    let body = crate::json::Object::new()
        .raw("recipe", &crate::json::recipe(&recipe))
        .str("format", "csv")
        .done();
    let (status, text) = crate::class::fetch_text("POST", "/api/export", Some(&body)).await?;
    if status != 200 {
        return Err(text);
    }
    Ok(parse_csv(&text))
}

/// Draws `spec`'s lines of `seconds` on `el`, the changes marked.
fn draw(
    el: &web_sys::HtmlCanvasElement,
    page: Page,
    spec: &ChartSpec<'_>,
    lines: &[fn(&Second) -> f64],
    seconds: &[Second],
) {
    let Some((ctx, w, h)) = canvas::fit(el) else {
        return;
    };
    let series = envelope(seconds, BUCKETS, lines);
    let theme = crate::stage::theme::theme(page.look.get_value());
    let view = ChartView {
        zoom: 1.0,
        ..ChartView::default()
    };
    canvas::draw(&ctx, w, h, spec, &series, &view, &theme);
    canvas::shade(&ctx, (w, h), 1.0, &series, &faults(page), &theme);
    canvas::marks(
        &ctx,
        (w, h),
        1.0,
        &series,
        &page.clock.changes.get_untracked(),
        &theme,
    );
}

/// Pane A's fault windows at its current settings.
fn faults(page: Page) -> Vec<Window> {
    page.panes()
        .first()
        .map(|p| windows(&p.param_set_untracked()))
        .unwrap_or_default()
}

#[component]
pub fn WholeRun(page: Page) -> impl IntoView {
    let open = RwSignal::new(false);
    let run: RwSignal<Option<Result<Vec<Second>, String>>> = RwSignal::new(None);
    let wait_ref = NodeRef::<Canvas>::new();
    let done_ref = NodeRef::<Canvas>::new();
    let load = move || {
        run.set(None);
        leptos::task::spawn_local(async move { run.set(Some(fetch_run(page).await)) });
    };
    Effect::new(move |_| {
        let Some(Ok(seconds)) = run.get() else {
            return;
        };
        if let Some(el) = wait_ref.get() {
            draw(&el, page, &WAIT, &[|s| s.p50, |s| s.p95], &seconds);
        }
        if let Some(el) = done_ref.get() {
            draw(&el, page, &DONE, &[|s| s.completed], &seconds);
        }
    });
    let words = move || match run.get() {
        None => "Replaying the run on the server…".to_string(),
        Some(Err(e)) => format!("The whole run could not be charted: {e}"),
        Some(Ok(s)) => takeaway(
            &s,
            page.clock.changes.with_untracked(Vec::len),
            &faults(page),
        ),
    };
    view! {
        <div class="whole-run">
            <button data-testid="whole-run" aria-expanded=move || open.get().to_string()
                title="The run from its start, every second's extremes kept, live changes marked"
                on:click=move |_| {
                    let now = !open.get_untracked();
                    open.set(now);
                    if now { load(); }
                }>
                "Whole run"
            </button>
            <Show when=move || open.get()>
                <button data-testid="whole-run-update" on:click=move |_| load()>"Update"</button>
                <figure data-testid="whole-run-chart">
                    <canvas node_ref=wait_ref role="img" aria-label="Waiting time p50 and p95 over the whole run; the sentence below says what it shows"></canvas>
                    <canvas node_ref=done_ref role="img" aria-label="Completed requests per second over the whole run; the sentence below says what it shows"></canvas>
                    <figcaption data-testid="whole-run-words" aria-live="polite">{words}</figcaption>
                </figure>
            </Show>
        </div>
    }
}
