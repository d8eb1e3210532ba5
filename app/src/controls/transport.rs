//! The transport bar every pane shares: play and pause, step, speed,
//! reset, a new seed, and what the run can be shared or taken away as.

use leptos::prelude::*;
use sim::wire::Control;

use crate::controls::exports::{download_png, post_export};
use crate::controls::keys::SPEEDS;
use crate::page::Page;
use crate::pane::state::PaneState;

#[component]
pub fn Transport(page: Page, panes: RwSignal<Vec<PaneState>>) -> impl IntoView {
    let notice = page.notice;
    let share = move |_| {
        let mut href = window().location().href().unwrap_or_default();
        // Paused: the link opens this very moment.
        if !page.playing.get_untracked() {
            let t = sim::time::exact_secs(page.clock.exact.get_value());
            href.push_str(&format!("&t={t}"));
        }
        let clipboard = window().navigator().clipboard();
        let _ = clipboard.write_text(&href);
        notice.set(Some(format!("Link copied: {href}")));
    };

    view! {
            <fieldset class="transport" role="toolbar" aria-label="Playback" disabled=move || page.following()>
                <button
                    class="primary"
                    data-testid="play"
                    aria-pressed=move || (!page.playing.get()).to_string()
                    on:click=move |_| page.toggle()
                >
                    {move || if page.playing.get() { "❚❚ Pause" } else { "▶ Play" }}
                </button>
                <button
                    data-testid="step"
                    disabled=move || page.playing.get()
                    title="Run exactly the next scheduled action"
                    on:click=move |_| page.send_all(Control::Step)
                >
                    "Step"
                </button>
                <label class="speed">
                    "Speed "
                    <select
                        data-testid="speed"
                        on:change=move |ev| {
                            if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                                page.set_speed(v);
                            }
                        }
                    >
                        {SPEEDS
                            .iter()
                            .map(|&s| {
                                view! {
                                    <option value=s.to_string() selected=move || page.speed.get() == s>
                                        {format!("{s}×")}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <button
                    title="Start the same run again from t = 0"
                    on:click=move |_| page.send_all(Control::Reset { seed: None })
                >
                    "↺ Reset"
                </button>
                <button
                    title="Start a new run with a fresh random seed"
                    on:click=move |_| {
                        let s = (js_sys::Math::random() * 1e9) as u64;
                        page.send_all(Control::Reset { seed: Some(s) });
                    }
                >
                    "New seed"
                </button>
                <crate::class::DescribeNow page />
                <span class="seed" data-testid="seed">{move || format!("seed {}", page.seed.get())}</span>
                <span class="exports">
                    <button data-testid="share" title="Copy a link that opens this run" on:click=share>"Share link"</button>
                    <button data-testid="png" title="Download the charts as a PNG" on:click=move |_| download_png(&page)>"PNG"</button>
                    {move || panes.get().into_iter().map(|p| {
                        let suffix = if panes.with_untracked(|v| v.len() > 1) { format!(" {}", p.name()) } else { String::new() };
                        view! {
                            <button data-testid=format!("export-ndjson-{}", p.id())
                                title="The run's events, one JSON object per line — replayed exactly, live changes included"
                                on:click=move |_| post_export(page, &p, "ndjson")>{format!("Events{suffix}")}</button>
                            <button data-testid=format!("export-csv-{}", p.id())
                                title="Per-second metrics, the columns of switchboard simulate --format csv"
                                on:click=move |_| post_export(page, &p, "csv")>{format!("CSV{suffix}")}</button>
                            <button data-testid=format!("export-transcript-{}", p.id())
                                title="The run in words: what the page says aloud, second by second, replayed exactly"
                                on:click=move |_| post_export(page, &p, "transcript")>{format!("Transcript{suffix}")}</button>
                            <button data-testid=format!("export-perfetto-{}", p.id())
                                title="A trace for ui.perfetto.dev: nodes and workers as tracks, messages as arrows, the figures as counters"
                                on:click=move |_| post_export(page, &p, "perfetto")>{format!("Trace{suffix}")}</button>
                        }
                    }).collect_view()}
                </span>
            </fieldset>

    }
}
